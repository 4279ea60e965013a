/**
 * The `privagg/fl/client` bundle in real headless Chromium (Debian's `chromium`, driven by
 * playwright-core): built for the browser platform with no `node:` import and no `ws`, it
 * connects to a Node server transport over the browser's own WebSocket, checks the pinned server
 * key (portable Ed25519 on noble), authenticates with a token, exchanges chunked frames both
 * ways byte for byte, and resumes after a dropped connection. Skipped where no Chromium is
 * installed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, issueToken } from '../../src/fl/index.ts';
import { framesFrom, startServer, until } from '../helpers/fl.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = new URL('../../', import.meta.url).pathname;
const have = existsSync(CHROMIUM);

let dir: string;
let http: Server;
let browser: Browser;
let page: Page;
let s: Awaited<ReturnType<typeof startServer>>;

/** Deterministic frame bytes, computed the same way in Node and in the page. */
const pattern = (n: number, salt: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (Math.imul(i, 31) + salt) & 255);

beforeAll(async () => {
  if (!have) return;
  dir = mkdtempSync(join(tmpdir(), 'privagg-fl-browser-'));
  await build({
    entryPoints: { 'fl-client': join(root, 'src/fl/client.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: dir,
    logLevel: 'error',
  });
  http = createServer((req, res) => {
    if (req.url === '/fl-client.js') {
      res
        .writeHead(200, { 'Content-Type': 'text/javascript' })
        .end(readFileSync(join(dir, 'fl-client.js')));
      return;
    }
    res
      .writeHead(200, { 'Content-Type': 'text/html' })
      .end('<!doctype html><title>privagg fl</title>');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  s = await startServer({ chunkBytes: 64 * 1024, reconnectGraceMs: 5000 }, []);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking'],
  });
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.addScriptTag({
    type: 'module',
    content: "import * as fl from '/fl-client.js'; globalThis.privaggFl = fl;",
  });
  await page.waitForFunction(() => 'privaggFl' in globalThis);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await s?.server.close();
  http?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

type Fl = typeof import('../../src/fl/client.ts');

describe.skipIf(!have)('privagg/fl/client in headless Chromium', () => {
  it('the browser bundle has no node: import and no ws', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text).not.toMatch(/(?:from|import\(|require\()\s*["']node:/);
      expect(text).not.toMatch(/(?:from|import\(|require\()\s*["']ws["']/);
      expect(text).not.toContain('WebSocketServer');
    }
  });

  it('a wrong pinned server key is refused in the browser (UNAUTHENTICATED)', async () => {
    const me = generateIdentity();
    const code = await page.evaluate(
      async ({ url, secret, pin }) => {
        const fl = (globalThis as unknown as { privaggFl: Fl }).privaggFl;
        try {
          await fl.connectWebSocketTransport(url, {
            serverPublicKey: Uint8Array.from(pin),
            clientId: 'web',
            secretKey: Uint8Array.from(secret),
          });
          return 'connected';
        } catch (e) {
          return (e as { code?: string }).code ?? String(e);
        }
      },
      { url: s.server.url, secret: [...me.secretKey], pin: [...generateIdentity().publicKey] },
    );
    expect(code).toBe('UNAUTHENTICATED');
  });

  it('exchanges chunked frames both ways, exact, and resumes after a dropped connection', async () => {
    const me = generateIdentity();
    const token = issueToken(
      { clientId: 'web', publicKey: me.publicKey, expiresAt: Date.now() + 60_000 },
      s.identity.secretKey,
    );
    const up = [0, 1, 65_535, 65_536, 65_537, 1_000_000];
    const down = [pattern(5, 3), pattern(200_000, 4), pattern(0, 5)];
    const started = page.evaluate(
      async ({ url, secret, pin, token, up, downCount }) => {
        const fl = (globalThis as unknown as { privaggFl: Fl }).privaggFl;
        const pattern = (n: number, salt: number) =>
          Uint8Array.from({ length: n }, (_, i) => (Math.imul(i, 31) + salt) & 255);
        const t = await fl.connectWebSocketTransport(url, {
          serverPublicKey: Uint8Array.from(pin),
          clientId: 'web',
          secretKey: Uint8Array.from(secret),
          token,
          chunkBytes: 64 * 1024,
          reconnectDelayMs: 20,
        });
        const got: Uint8Array[] = [];
        t.onEvent((e) => {
          if (e.type === 'message') got.push(e.frame);
        });
        const half = Math.ceil(up.length / 2);
        for (const [i, n] of up.slice(0, half).entries()) await t.send(pattern(n, i));
        t.interruptForTesting();
        await Promise.all(up.slice(half).map((n, j) => t.send(pattern(n, half + j))));
        const until = Date.now() + 10_000;
        while (got.length < downCount && Date.now() < until)
          await new Promise((r) => setTimeout(r, 10));
        const digests = await Promise.all(
          got.map(async (f) =>
            Array.from(
              new Uint8Array(await crypto.subtle.digest('SHA-256', f as Uint8Array<ArrayBuffer>)),
              (b) => b.toString(16).padStart(2, '0'),
            ).join(''),
          ),
        );
        await t.close();
        return { clientId: t.clientId, digests };
      },
      {
        url: s.server.url,
        secret: [...me.secretKey],
        pin: [...s.identity.publicKey],
        token,
        up,
        downCount: down.length,
      },
    );
    await until(
      () => s.events.some((e) => e.type === 'connect' && e.clientId === 'web'),
      10_000,
      'web connect',
    );
    for (const f of down) await s.server.send('web', f);
    const result = await started;
    expect(result.clientId).toBe('web');
    expect(result.digests).toEqual(down.map((f) => createHash('sha256').update(f).digest('hex')));
    await until(
      () => framesFrom(s.events, 'web').length === up.length,
      10_000,
      'frames from the browser',
    );
    expect(framesFrom(s.events, 'web')).toEqual(up.map((n, i) => pattern(n, i)));
    expect(s.server.metrics.value('privagg_fl_resumed_total')).toBe(1);
    // one session throughout: connect once, disconnect only when the page closed it
    expect(s.events.filter((e) => e.type === 'connect' && e.clientId === 'web')).toHaveLength(1);
  });
});
