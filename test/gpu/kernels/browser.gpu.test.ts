/**
 * The kernels inside headless Chromium (Debian's `chromium`, driven by playwright-core; no
 * browser download): the bundle loads without Node built-ins, the `workers` backend runs on
 * module Web Workers over SharedArrayBuffer (the page is cross-origin isolated) and matches the
 * cpu reference, the RFC 8439 block comes out of every keystream backend, and WebGPU (Chromium's
 * software adapter, named explicitly) matches the cpu reference bit for bit, and gpu.js's browser
 * build runs the gpujs backend on WebGL2 (checked: the kernels that ran are WebGL2 kernels) against
 * the cpu reference on random inputs (fast-check drives the page). Skipped where no Chromium is
 * installed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { build } from 'esbuild';
import fc from 'fast-check';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../../../src/kernels/index.ts';
import { exactL2AtMost } from '../../helpers/kernels.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = new URL('../../../', import.meta.url).pathname;
const have = existsSync(CHROMIUM);

let dir: string;
let server: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!have) return;
  dir = mkdtempSync(join(tmpdir(), 'privagg-browser-'));
  await build({
    entryPoints: {
      kernels: join(root, 'src/kernels/index.ts'),
      'kernels-worker': join(root, 'src/kernels/worker.ts'),
    },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: dir,
    logLevel: 'error',
  });
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] === '/' ? '/index.html' : (req.url ?? '/');
    const file = join(dir, path.replace(/\.\./g, ''));
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Content-Type': extname(file) === '.js' ? 'text/javascript' : 'text/html',
    };
    if (path === '/gpu-browser.min.js') {
      res
        .writeHead(200, headers)
        .end(readFileSync(join(root, 'node_modules/gpu.js/dist/gpu-browser.min.js')));
      return;
    }
    if (path === '/index.html') {
      res.writeHead(200, headers).end('<!doctype html><title>privagg kernels</title>');
      return;
    }
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, headers).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--enable-unsafe-webgpu',
      '--enable-unsafe-swiftshader',
      '--use-angle=swiftshader',
      '--enable-features=Vulkan',
    ],
  });
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  // the module is loaded by the page itself (vitest rewrites import() inside evaluated functions)
  await page.addScriptTag({
    type: 'module',
    content: "import * as k from '/kernels.js'; globalThis.privaggKernels = k;",
  });
  await page.waitForFunction(() => 'privaggKernels' in globalThis);
  // gpu.js's browser build defines the global GPU, which createGpuJsBackend picks up
  await page.addScriptTag({ url: '/gpu-browser.min.js' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!have)('kernels in headless Chromium', () => {
  it('the page is cross-origin isolated (SharedArrayBuffer available)', async () => {
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  });
  it('workers (Web Workers) match cpu, and both give the RFC 8439 block', async () => {
    const result = await page.evaluate(async () => {
      const k = (
        globalThis as unknown as { privaggKernels: typeof import('../../../src/kernels/index.ts') }
      ).privaggKernels;
      const cpu = k.createCpuBackend();
      const workers = k.createWorkersBackend({ threads: 2, minParallelWork: 0 });
      const hex = (w: Uint32Array) =>
        Array.from(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), (b) =>
          b.toString(16).padStart(2, '0'),
        ).join('');
      const rfc = {
        key: Uint8Array.from({ length: 32 }, (_, i) => i),
        nonce: Uint8Array.from([0, 0, 0, 9, 0, 0, 0, 0x4a, 0, 0, 0, 0]),
        wordOffset: 16,
      };
      const blocks = [
        hex(await cpu.expandStream(rfc, new Uint32Array(16))),
        hex(await workers.expandStream(rfc, new Uint32Array(16))),
      ];
      const n = 100_003;
      const stream = { key: new Uint8Array(32).fill(3), wordOffset: 9 };
      const a = Uint32Array.from({ length: n }, (_, i) => Math.imul(i, 2654435761) >>> 0);
      const same = (x: ArrayLike<number>, y: ArrayLike<number>) =>
        x.length === y.length &&
        Array.prototype.every.call(x, (v: number, i: number) => v === y[i]);
      const eq = {
        addStream: same(
          await workers.addStream(24, a, stream, new Uint32Array(n)),
          await cpu.addStream(24, a, stream, new Uint32Array(n)),
        ),
        noise: same(
          await workers.binomialNoise(64, stream, new Int32Array(n)),
          await cpu.binomialNoise(64, stream, new Int32Array(n)),
        ),
        aes: same(
          await workers.expandStream({ ...stream, algorithm: 'aes-256-ctr' }, new Uint32Array(n)),
          await cpu.expandStream({ ...stream, algorithm: 'aes-256-ctr' }, new Uint32Array(n)),
        ),
      };
      workers.dispose();
      return { blocks, eq };
    });
    const rfcBlock =
      '10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4ed2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e';
    expect(result.blocks).toEqual([rfcBlock, rfcBlock]);
    expect(result.eq).toEqual({ addStream: true, noise: true, aes: true });
  });
  it('webgpu through navigator.gpu (software adapter named explicitly) matches cpu', async () => {
    const result = await page.evaluate(async () => {
      const k = (
        globalThis as unknown as { privaggKernels: typeof import('../../../src/kernels/index.ts') }
      ).privaggKernels;
      const selection = await k.selectBackend({ prefer: ['webgpu'] });
      if (selection.backend.name !== 'webgpu') return { chosen: selection.message };
      const gpu = selection.backend;
      const cpu = k.createCpuBackend();
      const n = 100_003;
      const stream = { key: new Uint8Array(32).fill(7), wordOffset: 3 };
      const a = Uint32Array.from({ length: n }, (_, i) => Math.imul(i, 40503) >>> 0);
      const same = (x: ArrayLike<number>, y: ArrayLike<number>) =>
        x.length === y.length &&
        Array.prototype.every.call(x, (v: number, i: number) => v === y[i]);
      const out = {
        chosen: 'webgpu',
        device: gpu.device as string,
        addStream: same(
          await gpu.addStream(32, a, stream, new Uint32Array(n)),
          await cpu.addStream(32, a, stream, new Uint32Array(n)),
        ),
        add: same(
          await gpu.add(11, a, a, new Uint32Array(n)),
          await cpu.add(11, a, a, new Uint32Array(n)),
        ),
        noise: same(
          await gpu.addBinomialNoise(20, a, 100, stream, new Uint32Array(n)),
          await cpu.addBinomialNoise(20, a, 100, stream, new Uint32Array(n)),
        ),
      };
      gpu.dispose();
      return out;
    });
    expect(result).toMatchObject({ chosen: 'webgpu', addStream: true, add: true, noise: true });
  });
  it('gpujs on WebGL2 (gpu.js browser build, self-tested) matches cpu: limbs exact, floats within 2^-23', async () => {
    const info = await page.evaluate(async () => {
      const g = globalThis as unknown as {
        privaggKernels: typeof import('../../../src/kernels/index.ts');
        gpujsBackend: unknown;
      };
      // gpu.js chooses its mode ('gpu'); selectBackend runs the known-answer self-tests
      const selection = await g.privaggKernels.selectBackend({ prefer: 'gpujs' });
      const backend = selection.backend;
      g.gpujsBackend = backend;
      return {
        name: backend.name,
        device: backend.device,
        software: backend.software,
        eps: backend.floatEpsilon,
      };
    });
    // the kernels that ran are WebGL2 kernels (not gpu.js's silent cpu fallback)
    expect(info.name).toBe('gpujs');
    expect(info.device).toMatch(/^gpu\.js webgl2 on /);
    expect(info.software).toBe(/swiftshader|llvmpipe/i.test(info.device));
    expect(info.eps).toBe(2 ** -23);
    const cpu = createCpuBackend();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.integer({ min: 1, max: 12 }),
        async (n, k, seed, factor, log) => {
          const a = Uint32Array.from({ length: n }, (_, i) => Math.imul(i + seed, 2654435761));
          const b = Uint32Array.from({ length: n }, (_, i) => Math.imul(i ^ seed, 40503) ^ seed);
          const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i + seed) * 1e3);
          const y = Float64Array.from({ length: 2 ** log }, (_, i) => Math.cos(i * seed));
          const stream = { key: new Uint8Array(32).fill(seed & 255) };
          const got = await page.evaluate(
            async ({ a, b, x, y, k, factor, stream }) => {
              const backend = (
                globalThis as unknown as {
                  gpujsBackend: import('../../../src/kernels/index.ts').KernelBackend;
                }
              ).gpujsBackend;
              const A = Uint32Array.from(a);
              const B = Uint32Array.from(b);
              const X = Float64Array.from(x);
              const Y = Float64Array.from(y);
              const s = { key: Uint8Array.from(stream.key) };
              const n = A.length;
              const clipped = new Float64Array(n);
              const clip = await backend.clipL2(X, 1000, clipped);
              return {
                add: Array.from(await backend.add(k, A, B, new Uint32Array(n))),
                sub: Array.from(await backend.sub(k, A, B, new Uint32Array(n))),
                norm: await backend.norm(X, 'l2'),
                scale: Array.from(await backend.scale(X, factor, new Float64Array(n))),
                sum: Array.from(
                  await backend.weightedSum(
                    [X, X.map((v) => v * v)],
                    [factor, 0.25],
                    new Float64Array(n),
                  ),
                ),
                hadamard: Array.from(await backend.hadamard(Y, s, new Float64Array(Y.length))),
                clipped: Array.from(clipped),
                clip: clip.clipped,
              };
            },
            {
              a: Array.from(a),
              b: Array.from(b),
              x: Array.from(x),
              y: Array.from(y),
              k,
              factor,
              stream: { key: Array.from(stream.key) },
            },
          );
          expect(got.add).toEqual(Array.from(await cpu.add(k, a, b, new Uint32Array(n))));
          expect(got.sub).toEqual(Array.from(await cpu.sub(k, a, b, new Uint32Array(n))));
          const eps = 2 ** -23;
          const norm = await cpu.norm(x, 'l2');
          expect(Math.abs(got.norm - norm)).toBeLessThanOrEqual((n + 2) * eps * norm);
          const scale = await cpu.scale(x, factor, new Float64Array(n));
          for (const [i, v] of got.scale.entries())
            expect(Math.abs(v - (scale[i] as number))).toBeLessThanOrEqual(
              2 * eps * Math.abs(scale[i] as number),
            );
          const sq = x.map((v) => v * v);
          const sum = await cpu.weightedSum([x, sq], [factor, 0.25], new Float64Array(n));
          for (const [i, v] of got.sum.entries()) {
            const mag = Math.abs(factor * (x[i] as number)) + 0.25 * (sq[i] as number);
            expect(Math.abs(v - (sum[i] as number))).toBeLessThanOrEqual(3 * eps * mag);
          }
          const had = await cpu.hadamard(y, stream, new Float64Array(y.length));
          const yNorm = await cpu.norm(y, 'l2');
          for (const [i, v] of got.hadamard.entries())
            expect(Math.abs(v - (had[i] as number))).toBeLessThanOrEqual((log + 2) * eps * yNorm);
          expect(exactL2AtMost(got.clipped, 1000)).toBe(true);
          expect(got.clip).toBe(norm > 1000 ? 1 : 0);
        },
      ),
      { numRuns: 15 },
    );
  });
});
