/**
 * `privagg serve` and `privagg join` as real processes on loopback: keys made with `keygen`,
 * one client registered by key and one by a `token`, one round of a plan (the server's
 * arithmetic on the `workers` kernels); the sum in the results file is exact and both clients
 * report completion.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliProcess, startCli, waitForLine } from '../../helpers/cli-process.ts';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const cli = join(root, 'src/cli/index.ts');
const dir = mkdtempSync(join(tmpdir(), 'privagg-cli-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

function privagg(args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  }).trim();
}

const start = (args: string[]): CliProcess => startCli(args, children);
const waitFor = waitForLine;

describe('privagg serve / join', () => {
  it('one round with a registered client and a token client: the exact sum, in the results file', async () => {
    const serverKey = join(dir, 'server.key');
    const aliceKey = join(dir, 'alice.key');
    const bobKey = join(dir, 'bob.key');
    privagg(['keygen', '--out', serverKey]);
    const alicePub = privagg(['keygen', '--out', aliceKey]);
    const bobPub = privagg(['keygen', '--out', bobKey]);
    expect(alicePub).toMatch(/^[0-9a-f]{64}$/);
    const token = privagg([
      'token',
      '--key',
      serverKey,
      '--client-id',
      'bob',
      '--public-key',
      bobPub,
    ]);
    const config = join(dir, 'plan.json');
    const results = join(dir, 'results.jsonl');
    writeFileSync(
      config,
      JSON.stringify({
        plan: {
          dimension: 4,
          clients: { expected: 2, minimum: 2 },
          clip: { l2: 100 },
          protection: { kind: 'secagg', dropoutTolerance: 0 },
          privacy: { kind: 'none' },
        },
        port: 0,
        identityFile: serverKey,
        clients: { alice: alicePub },
        waitForClientsMs: 20_000,
        results,
        kernels: 'workers',
      }),
    );
    writeFileSync(join(dir, 'a.json'), '[1, 2, 3, 4]');
    writeFileSync(join(dir, 'b.json'), '[0.5, 0, -3, 10]');
    const serve = start(['serve', '--config', config]);
    const url = (await waitFor(serve.lines, 'listening on ')).slice('listening on '.length);
    const key = (await waitFor(serve.lines, 'server key ')).slice('server key '.length);
    const common = ['--server', url, '--server-key', key, '--config', config];
    const a = start([
      'join',
      ...common,
      '--client-id',
      'alice',
      '--key',
      aliceKey,
      '--vector',
      join(dir, 'a.json'),
    ]);
    const b = start([
      'join',
      ...common,
      '--client-id',
      'bob',
      '--key',
      bobKey,
      '--token',
      token,
      '--vector',
      join(dir, 'b.json'),
    ]);
    expect(await serve.done).toBe(0);
    expect(await a.done).toBe(0);
    expect(await b.done).toBe(0);
    expect(a.lines).toContain('round 1: completed');
    expect(b.lines).toContain('round 1: completed');
    expect(serve.lines.some((l) => /^round 1: finished with 2 participants/.test(l))).toBe(true);
    expect(serve.lines.some((l) => /^kernels: using workers/.test(l))).toBe(true);
    const result = JSON.parse(readFileSync(results, 'utf8').trim());
    expect(result.participants).toEqual(['alice', 'bob']);
    expect(result.sum).toEqual([1.5, 2, 0, 14]);
  });

  it('join with the wrong server key is refused', () => {
    const bad = mkdtempSync(join(dir, 'x'));
    const k = join(bad, 'k.key');
    privagg(['keygen', '--out', k]);
    writeFileSync(
      join(bad, 'p.json'),
      JSON.stringify({
        plan: {
          dimension: 1,
          clients: { expected: 1, minimum: 1 },
          clip: { l2: 1 },
          protection: { kind: 'none' },
          privacy: { kind: 'none' },
        },
      }),
    );
    writeFileSync(join(bad, 'v.json'), '[0]');
    expect(() =>
      execFileSync(
        process.execPath,
        [
          cli,
          'join',
          '--server',
          'ws://127.0.0.1:1/',
          '--server-key',
          '00'.repeat(32),
          '--client-id',
          'a',
          '--key',
          k,
          '--config',
          join(bad, 'p.json'),
          '--vector',
          join(bad, 'v.json'),
        ],
        { stdio: 'pipe', timeout: 30_000 },
      ),
    ).toThrow();
    expect(() => privagg(['keygen', '--out', k])).toThrow();
  });
});
