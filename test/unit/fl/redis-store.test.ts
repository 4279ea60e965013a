import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRoundStore } from '../../../src/fl/redis/store.ts';
import { isPrivaggError } from '../../../src/index.ts';
import { type RedisServer, redisAvailable, startRedis } from '../../helpers/redis.ts';

const DIGEST = 'ab'.repeat(16);
async function expectPrivaggError(f: () => Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await f();
  } catch (e) {
    caught = e;
  }
  expect(isPrivaggError(caught) && caught.code).toBe(code);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!redisAvailable)('RedisRoundStore (real redis-server on loopback)', () => {
  let server: RedisServer;
  const open: RedisRoundStore[] = [];
  let prefixCount = 0;
  async function stores(n: number, options: { leaseMs?: number; livenessMs?: number } = {}) {
    const prefix = `t${prefixCount++}`;
    const out: RedisRoundStore[] = [];
    for (let i = 0; i < n; i++) {
      const s = await RedisRoundStore.connect({
        url: server.url,
        prefix,
        coordinatorId: `c${i}`,
        ...options,
      });
      open.push(s);
      out.push(s);
    }
    return out;
  }
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const s of open) await s.close();
    await server?.stop();
  });

  it('grants the lease to exactly one of racing coordinators, renews it for the holder only, and hands it over after expiry', async () => {
    const [a, b, c] = await stores(3, { leaseMs: 300 });
    const won = await Promise.all([a, b, c].map((s) => (s as RedisRoundStore).lead()));
    expect(won.filter(Boolean)).toHaveLength(1);
    const leader = [a, b, c][won.indexOf(true)] as RedisRoundStore;
    const other = [a, b, c][won.indexOf(false)] as RedisRoundStore;
    expect(await leader.lead()).toBe(true);
    expect(await other.lead()).toBe(false);
    expect(await other.openRound(DIGEST, 100, 200, 10)).toBeUndefined();
    await sleep(450);
    expect(await other.lead()).toBe(true);
    expect(await other.leader()).toBe(other.coordinatorId);
    await other.resign();
    expect(await other.leader()).toBeUndefined();
  });

  it('claims each client for at most one coordinator, even when they race', async () => {
    const [a, b] = await stores(2);
    expect(await a?.lead()).toBe(true);
    const round = await a?.openRound(DIGEST, 5000, 10_000, 100);
    expect(round?.state).toBe('open');
    expect(round?.planDigest).toBe(DIGEST);
    const n = round?.round as number;
    const clients = Array.from({ length: 50 }, (_, i) => `client-${i}`);
    const outcomes = await Promise.all(
      clients.flatMap((id) => [a?.claimClient(n, id), b?.claimClient(n, id)]),
    );
    for (let i = 0; i < clients.length; i++) {
      const pair = [outcomes[2 * i], outcomes[2 * i + 1]].sort();
      expect(pair).toEqual(['duplicate', 'ok']);
    }
    const members = await a?.members(n);
    const all = [...(members?.values() ?? [])].flat().sort();
    expect(all).toEqual([...clients].sort());
    // the winner claiming again (a reconnect) is idempotent
    const owner = [...(members?.entries() ?? [])].find(([, l]) => l.includes('client-0'))?.[0];
    const ownerStore = owner === a?.coordinatorId ? a : b;
    expect(await ownerStore?.claimClient(n, 'client-0')).toBe('ok');
  });

  it('refuses claims after the join cut-off and partials after the submit deadline (Redis clock)', async () => {
    const [a] = await stores(1);
    expect(await a?.lead()).toBe(true);
    const round = await a?.openRound(DIGEST, 150, 300, 10);
    const n = round?.round as number;
    expect(await a?.claimClient(n, 'early')).toBe('ok');
    expect(round?.maxClients).toBe(10);
    await sleep(200);
    expect(await a?.claimClient(n, 'late')).toBe('closed');
    expect(await a?.submitPartial(n, new Uint8Array([1]))).toBe('ok');
    await sleep(150);
    const [b] = await stores(1);
    expect(await b?.submitPartial(n, new Uint8Array([2]))).toBe('closed');
  });

  it('accepts one partial per coordinator and closes atomically with exactly the partials in', async () => {
    const [a, b, c] = await stores(3);
    expect(await a?.lead()).toBe(true);
    const n = (await a?.openRound(DIGEST, 5000, 10_000, 100))?.round as number;
    const pa = new Uint8Array([1, 2, 3]);
    const pb = new Uint8Array(70_000).map((_, i) => i & 0xff);
    expect(await a?.submitPartial(n, pa)).toBe('ok');
    expect(await b?.submitPartial(n, pb)).toBe('ok');
    expect(await b?.submitPartial(n, new Uint8Array([9]))).toBe('duplicate');
    expect(await a?.partialCount(n)).toBe(2);
    await expectPrivaggError(() => (b as RedisRoundStore).closeRound(n), 'PROTOCOL_ABORTED');
    const partials = await a?.closeRound(n);
    expect([...(partials?.keys() ?? [])].sort()).toEqual(['c0', 'c1']);
    expect(partials?.get('c0')).toEqual(pa);
    expect(partials?.get('c1')).toEqual(pb);
    expect(await c?.submitPartial(n, new Uint8Array([7]))).toBe('closed');
    await expectPrivaggError(() => (a as RedisRoundStore).closeRound(n), 'PROTOCOL_ABORTED');
    expect((await a?.round(n))?.state).toBe('closed');
    expect(await a?.finishRound(n)).toBe(true);
    expect(await a?.abortRound(n, 'too late')).toBe(false);
    expect((await a?.round(n))?.state).toBe('done');
  });

  it('admits at most maxClients clients over all coordinators', async () => {
    const [a, b] = await stores(2);
    expect(await a?.lead()).toBe(true);
    const n = (await a?.openRound(DIGEST, 5000, 10_000, 3))?.round as number;
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b)?.claimClient(n, `k${i}`)),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'full')).toHaveLength(5);
  });

  it('aborts an open round with a reason, and numbers rounds in sequence', async () => {
    const [a] = await stores(1);
    expect(await a?.lead()).toBe(true);
    const r1 = await a?.openRound(DIGEST, 1000, 2000, 10);
    const r2 = await a?.openRound(DIGEST, 1000, 2000, 10);
    expect((r2?.round ?? 0) - (r1?.round ?? 0)).toBe(1);
    expect((await a?.latestRound())?.round).toBe(r2?.round);
    expect(await a?.abortRound(r1?.round as number, 'master died')).toBe(true);
    const aborted = await a?.round(r1?.round as number);
    expect(aborted?.state).toBe('aborted');
    expect(aborted?.reason).toBe('master died');
    expect(await a?.claimClient(r1?.round as number, 'x')).toBe('closed');
    expect(await a?.round(999_999)).toBeUndefined();
  });

  it('lists live coordinators by heartbeat and forgets silent ones', async () => {
    const [a, b] = await stores(2, { livenessMs: 200 });
    await b?.heartbeat();
    expect((await a?.heartbeat())?.sort()).toEqual(['c0', 'c1']);
    await sleep(300);
    expect(await a?.heartbeat()).toEqual(['c0']);
  });

  it('validates options and arguments at the boundary', async () => {
    await expect(RedisRoundStore.connect({ url: 'http://x' })).rejects.toThrow(TypeError);
    await expect(
      RedisRoundStore.connect({ url: server.url, coordinatorId: 'has space' }),
    ).rejects.toThrow(TypeError);
    await expect(RedisRoundStore.connect({ url: server.url, leaseMs: 1 })).rejects.toThrow(
      RangeError,
    );
    await expect(RedisRoundStore.connect({ url: server.url, bogus: 1 } as never)).rejects.toThrow(
      TypeError,
    );
    const [a] = await stores(1);
    await expect((a as RedisRoundStore).claimClient(0, 'x')).rejects.toThrow(RangeError);
    await expect((a as RedisRoundStore).claimClient(1, '')).rejects.toThrow(TypeError);
    await expect((a as RedisRoundStore).openRound('not hex', 1, 2, 3)).rejects.toThrow(TypeError);
    await expect((a as RedisRoundStore).submitPartial(1, new Uint8Array())).rejects.toThrow(
      TypeError,
    );
  });

  it('reports an unreachable Redis as CONNECTION_CLOSED', async () => {
    await expectPrivaggError(
      () => RedisRoundStore.connect({ url: 'redis://127.0.0.1:1', redis: { connectTimeout: 500 } }),
      'CONNECTION_CLOSED',
    );
  });
});
