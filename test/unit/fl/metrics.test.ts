/**
 * The metrics registry (Prometheus text exposition) and the counts the server transport keeps:
 * connections, rejections by reason, bytes and frames both ways, handshake durations, served
 * on the transport's own HTTP server.
 */
import { describe, expect, it } from 'vitest';
import { connectWebSocketTransport, createMetrics } from '../../../src/fl/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';
import { rawConnect, startServer, until } from '../../helpers/fl.ts';

describe('createMetrics', () => {
  it('renders counters, gauges and summaries in Prometheus text format, labels escaped', () => {
    const m = createMetrics();
    m.increment('privagg_fl_rejections_total', { reason: 'bad-signature' });
    m.increment('privagg_fl_rejections_total', { reason: 'bad-signature' }, 2);
    m.increment('privagg_fl_rejections_total', { reason: 'say "hi"\n\\' });
    m.set('privagg_fl_connections_open', 5);
    m.observe('privagg_fl_handshake_seconds', 0.25);
    m.observe('privagg_fl_handshake_seconds', 0.5);
    expect(m.value('privagg_fl_rejections_total', { reason: 'bad-signature' })).toBe(3);
    expect(m.render().split('\n')).toEqual([
      '# HELP privagg_fl_connections_open WebSocket connections open now',
      '# TYPE privagg_fl_connections_open gauge',
      'privagg_fl_connections_open 5',
      '# HELP privagg_fl_handshake_seconds time from connection to authenticated session',
      '# TYPE privagg_fl_handshake_seconds summary',
      'privagg_fl_handshake_seconds_count 2',
      'privagg_fl_handshake_seconds_sum 0.75',
      'privagg_fl_handshake_seconds_max 0.5',
      '# HELP privagg_fl_rejections_total connections or packets rejected, by reason',
      '# TYPE privagg_fl_rejections_total counter',
      'privagg_fl_rejections_total{reason="bad-signature"} 3',
      'privagg_fl_rejections_total{reason="say \\"hi\\"\\n\\\\"} 1',
      '',
    ]);
  });

  it('handle answers its path only, GET and HEAD only', () => {
    const m = createMetrics({ path: '/m' });
    m.increment('x_total');
    const out: { status?: number; body?: string } = {};
    const res = {
      writeHead: (status: number) => {
        out.status = status;
      },
      end: (body: string) => {
        out.body = body;
      },
    };
    expect(m.handle({ url: '/other', method: 'GET' }, res)).toBe(false);
    expect(out.status).toBeUndefined();
    expect(m.handle({ url: '/m?x=1', method: 'GET' }, res)).toBe(true);
    expect(out).toEqual({
      status: 200,
      body: '# HELP x_total x_total\n# TYPE x_total counter\nx_total 1\n',
    });
    expect(m.handle({ url: '/m', method: 'POST' }, res)).toBe(true);
    expect(out.status).toBe(405);
  });

  it('refuses bad names, kinds, amounts and options', () => {
    const m = createMetrics();
    m.increment('a_total');
    expect(() => m.set('a_total', 1)).toThrow(RangeError);
    expect(() => m.increment('bad name')).toThrow(RangeError);
    expect(() => m.increment('a_total', { 'bad-label': 'x' })).toThrow(RangeError);
    expect(() => m.increment('a_total', undefined, -1)).toThrow(RangeError);
    expect(() => createMetrics({ nope: 1 } as never)).toThrow(TypeError);
    expect(() => createMetrics({ path: 'metrics' })).toThrow(RangeError);
    for (const h of HOSTILE_VALUES) {
      if (typeof h.value === 'number' && Number.isFinite(h.value) && h.value >= 0) continue;
      if (h.value === undefined) continue;
      expect(() => m.increment('a_total', undefined, h.value as number), h.name).toThrow();
      expect(() => m.observe('d_seconds', h.value as number), h.name).toThrow();
    }
  });
});

describe('transport metrics', () => {
  it('the server counts connections, rejections by reason, bytes and frames, and serves them', async () => {
    const metrics = createMetrics();
    const s = await startServer({ metrics, metricsPath: '/metrics' });
    try {
      const alice = s.clients.get('alice') as { secretKey: Uint8Array };
      const client = await connectWebSocketTransport(s.server.url, {
        serverPublicKey: s.identity.publicKey,
        clientId: 'alice',
        secretKey: alice.secretKey,
      });
      await client.send(new Uint8Array(1000));
      await until(() => s.events.some((e) => e.type === 'message'), 2000, 'frame');
      await s.server.send('alice', new Uint8Array(500));
      const bad = await rawConnect(s.server.url);
      bad.ws.send('text');
      await bad.closed;
      await client.close();
      await until(() => metrics.value('privagg_fl_connections_open') === 0, 2000, 'closed');
      expect(s.server.metrics).toBe(metrics);
      expect(metrics.value('privagg_fl_connections_total')).toBe(2);
      expect(metrics.value('privagg_fl_authenticated_total')).toBe(1);
      expect(metrics.value('privagg_fl_rejections_total', { reason: 'text-message' })).toBe(1);
      expect(metrics.value('privagg_fl_frames_received_total')).toBe(1);
      expect(metrics.value('privagg_fl_frames_sent_total')).toBe(1);
      // handshake packets, one 1000-byte frame in one DATA packet (16-byte header), acks
      expect(metrics.value('privagg_fl_bytes_received_total')).toBeGreaterThan(1016);
      expect(metrics.value('privagg_fl_bytes_sent_total')).toBe(516);
      const res = await fetch(s.server.url.replace('ws://', 'http://').replace(/\/$/, '/metrics'));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toContain('privagg_fl_rejections_total{reason="text-message"} 1');
      expect(text).toContain('privagg_fl_handshake_seconds_count 1');
      expect((await fetch(s.server.url.replace('ws://', 'http://'))).status).toBe(426);
    } finally {
      await s.server.close();
    }
  });
});
