/**
 * `privagg bench --quick` end to end (through the CLI's function): it finishes, writes a
 * results.json that validates against the published schema and a report with its charts, and
 * its numbers hang together (protections without DP are exact up to quantization; DP errors
 * match the plans' predictions).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../../../src/bench/suite.ts';
import { runBenchCli } from '../../../src/cli/bench.ts';
import { benchResultsValidator } from '../../helpers/bench-schema.ts';

const out = mkdtempSync(join(tmpdir(), 'privagg-bench-quick-'));
let results: BenchResults;
let lines: string[];
let seconds: number;

beforeAll(async () => {
  lines = [];
  const t0 = performance.now();
  const code = await runBenchCli(['--quick', '--out', out], (l) => lines.push(l));
  seconds = (performance.now() - t0) / 1000;
  expect(code).toBe(0);
  results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults;
}, 240_000);

describe('privagg bench --quick', () => {
  it('runs every part within CI time and its results.json validates against the schema', () => {
    expect(seconds).toBeLessThan(150);
    const validate = benchResultsValidator();
    expect(validate(results), JSON.stringify(validate.errors)).toBe(true);
    expect(results.parts).toEqual(['limits', 'workload', 'scaling-clients', 'scaling-dimension']);
    expect(results.quick).toBe(true);
    expect(results.command).toBe(`privagg bench --quick --out ${out}`);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });
  it('prints progress and tables while it runs, and says peers need a source checkout', () => {
    const text = lines.join('\n');
    expect(text).toMatch(/\[1\/28\] none \/ none: /);
    expect(text).toMatch(/\[3\/28\] none \/ distributed-dp: unsupported/);
    expect(text).toMatch(/\[28\/28\] ckks 3-of-5 keys \/ local-dp: /);
    expect(text).toMatch(/round s \(median \[IQR\]\)/);
    expect(text).toMatch(/time exponent/);
    expect(text).toMatch(/peer libraries are compared by the module suites of a source checkout/);
  });
  it('protections without DP add only quantization error to the clipping error', () => {
    const rows = results.workload?.rows ?? [];
    const plain = rows.find((r) => r.label === 'none / none')?.errorRmse?.median as number;
    expect(plain).toBeGreaterThan(0); // about a fifth of the clients are clipped
    for (const r of rows)
      if (r.status === 'ok' && r.privacy === 'none' && r.protection.kind !== 'ckks')
        expect(Math.abs((r.errorRmse?.median as number) - plain), r.label).toBeLessThan(1e-6);
  });
  it('DP errors match the plan-predicted noise (with the clipping error added)', () => {
    const rows = results.workload?.rows ?? [];
    const plain = rows.find((r) => r.label === 'none / none')?.errorRmse?.median as number;
    const dp = rows.filter(
      (r) => r.status === 'ok' && r.privacy !== 'none' && r.protection.kind !== 'ckks',
    );
    // none with central and local DP; four protections with central, distributed and local DP
    expect(dp.length).toBe(14);
    for (const r of dp) {
      const expected = Math.hypot(r.predictedRmse as number, plain);
      const ratio = (r.errorRmse?.median as number) / expected;
      // d = 1000 coordinates: the RMSE estimate's relative std is about 2%
      expect(ratio, r.label).toBeGreaterThan(0.85);
      expect(ratio, r.label).toBeLessThan(1.15);
    }
  });
  it('fits growth exponents beside the theory for both axes', () => {
    const s = results.scaling ?? [];
    expect(s.filter((x) => x.axis === 'clients').length).toBeGreaterThanOrEqual(3);
    expect(s.filter((x) => x.axis === 'dimension').length).toBeGreaterThanOrEqual(3);
    for (const x of s) {
      expect(x.failures, x.id).toEqual([]);
      expect(Number.isFinite(x.timeFit?.exponent), x.id).toBe(true);
    }
    const theory = (id: string) => s.find((x) => x.id === id)?.timeTheoryExponent as number;
    expect(theory('clients:secagg')).toBeCloseTo(2, 0); // n (n - 1) pairs
    expect(theory('clients:none')).toBeCloseTo(1, 6);
    expect(theory('clients:secagg+')).toBeGreaterThan(1); // n k, k growing with n
    expect(theory('clients:secagg+')).toBeLessThan(theory('clients:secagg'));
    // bytes per client from describe(): SecAgg grows ~n, the others are constant in n
    const bytes = (id: string) => s.find((x) => x.id === id)?.bytesFit?.exponent as number;
    expect(bytes('clients:none')).toBeCloseTo(0, 6);
    expect(bytes('clients:secagg')).toBeGreaterThan(0.5);
    expect(bytes('dimension:none')).toBeCloseTo(1, 6);
  });
});
