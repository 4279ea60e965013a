/**
 * Scale-out across processes: two `privagg serve` coordinators sharing a real redis-server on
 * loopback, clients spread across both over WebSocket. One coordinator is killed (SIGKILL) in
 * the middle of a round: the round is released from the survivor's cohort alone (never a wrong
 * sum), and the next round runs on the survivor.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliProcess, startCli, waitForLine } from '../../helpers/cli-process.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, generateIdentity, type NetworkRoundClient } from '../../../src/fl/index.ts';
import { fromHex, toHex } from '../../../src/core/index.ts';
import { type AggregationConfig, planAggregation } from '../../../src/index.ts';
import { type RedisServer, redisAvailable, startRedis } from '../../helpers/redis.ts';

const dir = mkdtempSync(join(tmpdir(), 'privagg-scale-'));
const children: ChildProcess[] = [];

const plan: AggregationConfig = {
  dimension: 4,
  clients: { expected: 8, minimum: 3 },
  clip: { linf: 10 },
  protection: { kind: 'secagg', dropoutTolerance: 0.25 },
  privacy: { kind: 'none' },
};
const ids = ['a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'b2', 'b3'];
const vectorOf = (i: number): number[] => [i, -i / 2, 1, i % 3];

const start = (args: string[]): CliProcess => startCli(args, children);
const waitFor = waitForLine;

describe.skipIf(!redisAvailable)('two coordinator processes sharing Redis', () => {
  let redis: RedisServer;
  const clients: NetworkRoundClient[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => {});
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a coordinator killed mid-round: the survivor releases its own cohort exactly, then runs the next round alone', async () => {
    const keys = ids.map(() => generateIdentity());
    const registered = Object.fromEntries(
      ids.map((id, i) => [id, toHex((keys[i] as { publicKey: Uint8Array }).publicKey)]),
    );
    const results = join(dir, 'results-A.jsonl');
    const configFor = (name: 'A' | 'B'): string => {
      const file = join(dir, `${name}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          plan,
          port: 0,
          identityFile: join(dir, `${name}.key`),
          clients: registered,
          rounds: 2,
          results: join(dir, `results-${name}.jsonl`),
          redis: {
            url: redis.url,
            coordinatorId: name,
            cohortSize: 4,
            joinMs: 1500,
            submitMs: 30_000,
          },
        }),
      );
      return file;
    };
    // A starts first, so it leads the first round
    const a = start(['serve', '--config', configFor('A')]);
    const aUrl = (await waitFor(a.lines, 'listening on ')).slice('listening on '.length);
    const aKey = (await waitFor(a.lines, 'server key ')).slice('server key '.length);
    const b = start(['serve', '--config', configFor('B')]);
    const bUrl = (await waitFor(b.lines, 'listening on ')).slice('listening on '.length);
    const bKey = (await waitFor(b.lines, 'server key ')).slice('server key '.length);

    // B's clients hold their update until B is dead, so B's cohort can never finish
    let bKilled: () => void = () => {};
    const bDead = new Promise<void>((r) => {
      bKilled = r;
    });
    const p = planAggregation(plan);
    for (const [i, id] of ids.entries()) {
      const onA = id.startsWith('a');
      const v = vectorOf(i);
      clients.push(
        await connectClient(onA ? aUrl : bUrl, {
          plan: p,
          clientId: id,
          secretKey: (keys[i] as { secretKey: Uint8Array }).secretKey,
          serverPublicKey: fromHex(onA ? aKey : bKey),
          round: {
            onRound: async () => {
              if (!onA) await bDead;
              return { vector: v };
            },
          },
        }),
      );
    }
    // kill B once its cohort of round 1 has started
    await waitFor(b.lines, 'round 1: started', 30_000);
    b.child.kill('SIGKILL');
    bKilled();
    expect(await a.done).toBe(0);
    const lines = readFileSync(results, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    const expected = [0, 1, 2, 3]
      .map(vectorOf)
      .reduce((s, v) => s.map((x, j) => x + (v[j] as number)));
    for (const r of lines) {
      expect(r.participants).toEqual(['a0', 'a1', 'a2', 'a3']);
      expect(r.sum).toEqual(expected);
    }
    expect(lines[1].sharedRound).toBe(lines[0].sharedRound + 1);
    expect(a.lines.some((l) => /released by this coordinator with 4 participants/.test(l))).toBe(
      true,
    );
  });
});
