import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareMetrics, formatComparison } from '../../../src/bench/compare.ts';
import type { Metric } from '../../../src/bench/suite.ts';
import { runBenchCli } from '../../../src/cli/bench.ts';

function metric(
  id: string,
  median: number,
  iqr: number,
  better: 'lower' | 'higher' = 'lower',
): Metric {
  return {
    id,
    unit: 's',
    better,
    median,
    q1: median - iqr / 2,
    q3: median + iqr / 2,
    min: median - iqr,
    max: median + iqr,
    n: 5,
  };
}

describe('compareMetrics', () => {
  it('flags a slowdown beyond the larger spread plus the tolerance, not one within it', () => {
    const a = [metric('t', 1.0, 0.1)]; // relative IQR 10%: allowance 15% with the 5% tolerance
    expect(compareMetrics(a, [metric('t', 1.14, 0.1)]).regressions).toBe(0);
    const c = compareMetrics(a, [metric('t', 1.2, 0.1)]);
    expect(c.regressions).toBe(1);
    expect(c.rows[0]).toMatchObject({ id: 't', ratio: 1.2, regression: true, improvement: false });
    expect(c.rows[0]?.allowance).toBeCloseTo(0.15, 12);
  });
  it('widens the allowance with the noisier run', () => {
    const a = [metric('t', 1.0, 0.0)];
    expect(compareMetrics(a, [metric('t', 1.3, 0.5)]).regressions).toBe(0); // b's IQR is 38%
    expect(compareMetrics(a, [metric('t', 1.3, 0.05)]).regressions).toBe(1);
  });
  it('reads the direction: higher-is-better metrics regress when they fall', () => {
    const a = [metric('rate', 100, 2, 'higher')];
    expect(compareMetrics(a, [metric('rate', 80, 2, 'higher')]).regressions).toBe(1);
    const up = compareMetrics(a, [metric('rate', 130, 2, 'higher')]);
    expect(up.regressions).toBe(0);
    expect(up.rows[0]?.improvement).toBe(true);
  });
  it('flags any growth of an exact metric beyond the tolerance', () => {
    const bytes = (v: number): Metric => ({ ...metric('bytes', v, 0), unit: 'B' });
    expect(compareMetrics([bytes(1000)], [bytes(1040)]).regressions).toBe(0);
    expect(compareMetrics([bytes(1000)], [bytes(1100)]).regressions).toBe(1);
    expect(compareMetrics([bytes(1000)], [bytes(1100)], 0.2).regressions).toBe(0);
  });
  it('lists metrics present in one run only and compares the rest', () => {
    const c = compareMetrics(
      [metric('a', 1, 0), metric('b', 1, 0)],
      [metric('b', 1, 0), metric('c', 1, 0)],
    );
    expect(c.rows.map((r) => r.id)).toEqual(['b']);
    expect(c.onlyBefore).toEqual(['a']);
    expect(c.onlyAfter).toEqual(['c']);
    expect(formatComparison(c)).toMatch(/1 metric\(s\) compared, 0 regression/);
  });
  it('rejects a bad tolerance', () => {
    expect(() => compareMetrics([], [], -0.1)).toThrow(RangeError);
    expect(() => compareMetrics([], [], Number.NaN)).toThrow(RangeError);
  });
});

describe('privagg bench --compare', () => {
  const dir = mkdtempSync(join(tmpdir(), 'privagg-compare-'));
  const file = (name: string, metrics: Metric[]) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      JSON.stringify({ schemaVersion: 1, date: 'x', machine: { cpu: 'test' }, metrics }),
    );
    return path;
  };
  it('exits 1 on a regression and 0 without one', async () => {
    const a = file('a.json', [metric('t', 1, 0.1)]);
    const same = file('same.json', [metric('t', 1.05, 0.1)]);
    const slow = file('slow.json', [metric('t', 2, 0.1)]);
    const lines: string[] = [];
    expect(await runBenchCli(['--compare', a, same], (l) => lines.push(l))).toBe(0);
    expect(await runBenchCli(['--compare', a, slow], (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toMatch(/REGRESSION/);
  });
  it('rejects a file that is not a results.json, and a wrong number of files', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"hello": 1}');
    const a = file('a2.json', []);
    await expect(runBenchCli(['--compare', a, bad], () => {})).rejects.toThrow(TypeError);
    await expect(runBenchCli(['--compare', a], () => {})).rejects.toThrow(TypeError);
  });
});
