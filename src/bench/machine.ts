/**
 * The machine a benchmark ran on, and the raw speed of the primitives the protections are built
 * from (the physical limits the suite reports ratios against).
 * @module
 * @internal
 */
import {
  createCipheriv,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  randomFillSync,
} from 'node:crypto';
import os from 'node:os';
import { selectBackend } from '../kernels/index.ts';
import { summarize, type Stat } from './stats.ts';

/**
 * What the numbers were measured on.
 * @internal
 */
export interface MachineInfo {
  /** CPU model. */
  readonly cpu: string;
  /** Logical cores. */
  readonly cores: number;
  /** Total memory in GiB. */
  readonly memoryGiB: number;
  /** Node.js version. */
  readonly node: string;
  /** OpenSSL version Node was built with. */
  readonly openssl: string;
  /** Operating system, release and architecture. */
  readonly os: string;
  /** The kernel backend privagg/kernels selects here, and why. */
  readonly kernelBackend: string;
  /** 1, 5 and 15 minute load averages when the run started (other work on the machine). */
  readonly loadAverage: readonly number[];
}

/**
 * Describe this machine (selects a kernel backend, which may take a few seconds).
 * @returns the machine description
 * @internal
 */
export async function machineInfo(): Promise<MachineInfo> {
  const cpus = os.cpus();
  let kernelBackend: string;
  try {
    const selection = await selectBackend({ timeoutMs: 10_000 });
    kernelBackend = `${selection.backend.name}: ${selection.message}`;
    selection.backend.dispose();
  } catch (e) {
    kernelBackend = `none selected (${(e as Error).message.split('\n')[0]})`;
  }
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.versions.node,
    openssl: process.versions.openssl ?? 'unknown',
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    kernelBackend,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/**
 * Raw rates of the primitives on this machine.
 * @internal
 */
export interface PrimitiveLimits {
  /** AES-256-CTR keystream (OpenSSL through node:crypto), bytes per second: the PRG of SecAgg masks. */
  readonly aesCtrBytesPerSecond: Stat;
  /** CSPRNG output (randomFillSync), bytes per second: additive and Shamir shares. */
  readonly csprngBytesPerSecond: Stat;
  /** X25519 key agreements (node:crypto) per second: SecAgg's pairwise keys. */
  readonly x25519PerSecond: Stat;
  /** Float64 additions in a plain loop, per second: the plaintext sum. */
  readonly floatAddsPerSecond: Stat;
}

/**
 * Call `fn` (which processes `units` per call) for about `ms` milliseconds after three warm-up
 * calls.
 * @returns units per second
 * @internal
 */
export function rate(fn: () => unknown, units: number, ms: number): number {
  for (let i = 0; i < 3; i++) fn();
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    fn();
    calls++;
    now = performance.now();
  }
  return (calls * units) / ((now - start) / 1000);
}

/**
 * Measure the raw primitives, interleaved `repeats` times so machine noise hits them alike.
 * @param repeats - rounds of measurement @defaultValue 5
 * @param ms - milliseconds per primitive per round @defaultValue 150
 * @returns each primitive's rate, summarized
 * @internal
 */
export function measureLimits(repeats = 5, ms = 150): PrimitiveLimits {
  const block = Buffer.alloc(1 << 20);
  const key = Buffer.alloc(32, 7);
  const iv = Buffer.alloc(16, 1);
  const a = generateKeyPairSync('x25519');
  const b = generateKeyPairSync('x25519');
  const xs = new Float64Array(1 << 16).fill(0.5);
  let sink = 0;
  const cases: Record<keyof PrimitiveLimits, () => number> = {
    aesCtrBytesPerSecond: () =>
      rate(
        () => {
          const c = createCipheriv('aes-256-ctr', key, iv);
          sink += c.update(block).length;
        },
        block.length,
        ms,
      ),
    csprngBytesPerSecond: () => rate(() => randomFillSync(block), block.length, ms),
    x25519PerSecond: () =>
      rate(
        () => {
          sink += diffieHellman({
            privateKey: a.privateKey as KeyObject,
            publicKey: b.publicKey as KeyObject,
          }).length;
        },
        1,
        ms,
      ),
    floatAddsPerSecond: () =>
      rate(
        () => {
          let s = 0;
          for (let i = 0; i < xs.length; i++) s += xs[i] as number;
          sink += s;
        },
        xs.length,
        ms,
      ),
  };
  const samples: Record<string, number[]> = {};
  for (let r = 0; r < repeats; r++)
    for (const [name, fn] of Object.entries(cases)) {
      const list = samples[name] ?? [];
      list.push(fn());
      samples[name] = list;
    }
  if (sink < 0) throw new Error('unreachable');
  return {
    aesCtrBytesPerSecond: summarize(samples.aesCtrBytesPerSecond as number[]),
    csprngBytesPerSecond: summarize(samples.csprngBytesPerSecond as number[]),
    x25519PerSecond: summarize(samples.x25519PerSecond as number[]),
    floatAddsPerSecond: summarize(samples.floatAddsPerSecond as number[]),
  };
}
