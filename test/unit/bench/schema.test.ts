/**
 * results.json against the published schema (schema/bench-results.schema.json): a small real run
 * validates; broken variants do not. Also the workload's argument checks and the report's charts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../../src/bench/report.ts';
import { type BenchResults, runBench } from '../../../src/bench/suite.ts';
import { validateWorkload, WORKLOAD_KEYS } from '../../../src/bench/workload.ts';
import { benchResultsValidator } from '../../helpers/bench-schema.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

const validate = benchResultsValidator();
let results: BenchResults;

beforeAll(async () => {
  results = await runBench({
    quick: true,
    parts: ['limits', 'workload'],
    workload: { clients: 6, dimension: 64, dropout: 0.2 },
    command: 'test',
    log: () => {},
  });
  // the file is JSON: validate what a reader gets back
  results = JSON.parse(JSON.stringify(results)) as BenchResults;
}, 60_000);

function mutate(f: (r: Record<string, unknown>) => void): unknown {
  const copy = JSON.parse(JSON.stringify(results)) as Record<string, unknown>;
  f(copy);
  return copy;
}

describe('bench results schema', () => {
  it('a real run validates, with a date-time and unique metric ids', () => {
    expect(validate(results), JSON.stringify(validate.errors)).toBe(true);
    expect(Number.isNaN(Date.parse(results.date))).toBe(false);
    const ids = results.metrics.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('workload:secagg+ / distributed-dp:seconds');
  });
  it('covers every protection x privacy pair, with reasons for those the API refuses', () => {
    const rows = results.workload?.rows ?? [];
    expect(rows).toHaveLength(28); // 7 protections x 4 privacy kinds
    const refused = rows.filter((r) => r.status !== 'ok').map((r) => r.label);
    // distributed DP needs a protection that hides each input (CKKS does, since clients noise
    // before encrypting)
    expect(refused.sort()).toEqual(['none / distributed-dp']);
    for (const r of rows) if (r.status !== 'ok') expect(r.reason).toMatch(/distributed/i);
    for (const r of rows.filter((x) => x.status === 'ok')) {
      expect(r.participants).toBe(5); // 6 clients, 20% dropout: one dropped
      expect(r.bytesPerClient).toBeGreaterThan(0);
      expect(r.ratioToLimit).toBeGreaterThan(0);
    }
  });
  it('rejects broken results', () => {
    const broken: [string, unknown][] = [
      ['no machine', mutate((r) => delete r.machine)],
      ['unknown top-level key', mutate((r) => Object.assign(r, { extra: 1 }))],
      ['wrong schemaVersion', mutate((r) => Object.assign(r, { schemaVersion: 2 }))],
      [
        'negative time',
        mutate((r) => {
          const row = (r.workload as { rows: Record<string, Record<string, number>>[] }).rows[0];
          if (row?.totalSeconds) row.totalSeconds.median = -1;
        }),
      ],
      [
        'a NaN serialized as null',
        mutate((r) => {
          const m = (r.metrics as Record<string, unknown>[])[0];
          if (m) m.median = null;
        }),
      ],
      [
        'an ok row without its error',
        mutate((r) => {
          const row = (r.workload as { rows: Record<string, unknown>[] }).rows[0];
          if (row) delete row.errorRmse;
        }),
      ],
      [
        'an unsupported row without a reason',
        mutate((r) => {
          const row = (r.workload as { rows: Record<string, unknown>[] }).rows[2];
          if (row) delete row.reason;
        }),
      ],
      [
        'bad status',
        mutate((r) =>
          Object.assign((r.workload as { rows: object[] }).rows[0] ?? {}, { status: 'maybe' }),
        ),
      ],
    ];
    for (const [name, value] of broken) expect(validate(value), name).toBe(false);
  });
  it('the report draws the trade-off and limit charts with one point per supported pair', () => {
    const html = renderReport(results);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    const ok = (results.workload?.rows ?? []).filter((r) => r.status === 'ok').length;
    const chart = (id: string) =>
      html.match(new RegExp(`<svg class="chart" id="${id}"[\\s\\S]*?</svg>`))?.[0] ?? '';
    expect(chart('tradeoff-bytes').match(/<circle class="pt"/g)).toHaveLength(ok);
    expect(chart('tradeoff-time').match(/<circle class="pt"/g)).toHaveLength(ok);
    expect(chart('ratio-limit').match(/<rect class="bar"/g)).toHaveLength(ok);
  });
});

describe('validateWorkload', () => {
  const good = { clients: 10, dimension: 100, dropout: 0.1, epsilon: 1, delta: 1e-6 };
  it('fills the clip default and rejects unknown keys', () => {
    expect(validateWorkload(good)).toEqual({ ...good, clip: 1 });
    expect(() => validateWorkload({ ...good, rounds: 3 } as never)).toThrow(TypeError);
  });
  it('rejects hostile values in every field with a TypeError or RangeError', () => {
    // hostile-table entries that are valid values of a field
    const valid: Record<string, readonly unknown[]> = {
      dropout: [0.5],
      delta: [0.5],
      epsilon: [0.5, 2 ** 53],
      clip: [undefined, 0.5, 2 ** 53],
    };
    for (const key of WORKLOAD_KEYS)
      for (const { name, value } of HOSTILE_VALUES) {
        if (valid[key]?.includes(value)) continue;
        let thrown: unknown;
        try {
          validateWorkload({ ...good, [key]: value });
        } catch (e) {
          thrown = e;
        }
        expect(
          thrown instanceof TypeError || thrown instanceof RangeError,
          `${key} = ${name}`,
        ).toBe(true);
      }
  });
});
