/**
 * The benchmark report in headless Chromium (Debian's `chromium` through playwright-core): a
 * small real run is rendered, the page loads nothing from outside, a full-page screenshot is
 * taken, and every chart is drawn with its data points inside its plot. Skipped where no
 * Chromium is installed. (In the gpu project because it needs the browser, like the kernels'
 * browser suite.)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../../src/bench/report.ts';
import { type BenchResults, runBench } from '../../../src/bench/suite.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const have = existsSync(CHROMIUM);

let dir: string;
let browser: Browser;
let page: Page;
let results: BenchResults;
const outsideRequests: string[] = [];

beforeAll(async () => {
  if (!have) return;
  dir = mkdtempSync(join(tmpdir(), 'privagg-report-'));
  const run = await runBench({
    quick: true,
    workload: { clients: 8, dimension: 64 },
    command: 'test',
    log: () => {},
  });
  // a peer row so the peers chart is drawn (test input for the renderer, labelled as such)
  results = {
    ...run,
    peers: {
      installed: true,
      note: 'test input',
      rows: [
        {
          part: 'sharing',
          work: 'test',
          op: 'split',
          peer: 'peer-a',
          privaggMs: 1,
          peerMs: 4,
          speedup: 4,
        },
        {
          part: 'sharing',
          work: 'test',
          op: 'combine',
          peer: 'peer-a',
          privaggMs: 2,
          peerMs: 1,
          speedup: 0.5,
        },
      ],
    },
  };
  const file = join(dir, 'report.html');
  writeFileSync(file, renderReport(results));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('request', (r) => {
    if (!r.url().startsWith('file://')) outsideRequests.push(r.url());
  });
  await page.goto(`file://${file}`);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!have)('benchmark report in headless Chromium', () => {
  it('loads nothing from outside and renders to a screenshot', async () => {
    expect(outsideRequests).toEqual([]);
    const png = join(dir, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    const bytes = readFileSync(png);
    expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(bytes.length).toBeGreaterThan(20_000);
    // a full page: taller than the viewport (many charts and tables)
    expect(await page.evaluate(() => document.body.scrollHeight)).toBeGreaterThan(2000);
  });
  it('draws every chart with its data points inside the plot', async () => {
    const charts = await page.evaluate(() =>
      [...document.querySelectorAll('svg.chart')].map((svg) => {
        const box = svg.getBoundingClientRect();
        const marks = [...svg.querySelectorAll('circle.pt, rect.bar')].map((el) => {
          const r = el.getBoundingClientRect();
          return {
            inside:
              r.left >= box.left - 1 &&
              r.right <= box.right + 1 &&
              r.top >= box.top - 1 &&
              r.bottom <= box.bottom + 1,
            visible: r.width > 0 && r.height > 0,
          };
        });
        return { id: svg.id, width: box.width, height: box.height, marks };
      }),
    );
    const ids = charts.map((c) => c.id);
    expect(ids).toEqual([
      'tradeoff-bytes',
      'tradeoff-time',
      'ratio-limit',
      'scaling-clients-time',
      'scaling-clients-bytes',
      'scaling-dimension-time',
      'scaling-dimension-bytes',
      'ratio-peers',
    ]);
    const ok = (results.workload?.rows ?? []).filter((r) => r.status === 'ok').length;
    const points = (axis: string) =>
      (results.scaling ?? [])
        .filter((s) => s.axis === axis)
        .reduce((a, s) => a + s.points.length, 0);
    const expected: Record<string, number> = {
      'tradeoff-bytes': ok,
      'tradeoff-time': ok,
      'ratio-limit': ok,
      'scaling-clients-time': points('clients'),
      'scaling-clients-bytes': points('clients'),
      'scaling-dimension-time': points('dimension'),
      'scaling-dimension-bytes': points('dimension'),
      'ratio-peers': 2,
    };
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(300);
      expect(c.height, c.id).toBeGreaterThan(80);
      expect(c.marks.length, c.id).toBe(expected[c.id]);
      expect(
        c.marks.every((m) => m.inside && m.visible),
        c.id,
      ).toBe(true);
    }
  });
});
