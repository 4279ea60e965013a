/**
 * The self-contained HTML report of a benchmark run: inline SVG charts (trade-off scatter,
 * scaling curves, ratios to the primitives' limits and to peers) and tables; no external assets.
 * @module
 * @internal
 */
import { fmtBytes, fmtStat, sig } from './format.ts';
import type { BenchResults } from './suite.ts';

const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
  '#e377c2',
  '#17becf',
];

function esc(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

interface Point {
  readonly x: number;
  readonly y: number;
  /** Tooltip. */
  readonly label: string;
  /** Text drawn beside a scatter point. */
  readonly short?: string;
}

interface Series {
  readonly name: string;
  readonly points: readonly Point[];
}

const W = 780;
const H = 360;
const M = { left: 70, right: 230, top: 30, bottom: 50 };

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

/** A log-log chart of series (lines when `lines`, scatter otherwise). */
function logChart(
  id: string,
  title: string,
  xLabel: string,
  yLabel: string,
  series: readonly Series[],
  lines: boolean,
): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return '';
  const positive = all.map((p) => p.y).filter((y) => y > 0);
  const floor = positive.length > 0 ? Math.min(...positive) / 10 : 1e-12;
  const ys = all.map((p) => Math.max(p.y, floor));
  const xs = all.map((p) => p.x);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) [x0, x1] = [x0 / 2, x1 * 2];
  if (y0 === y1) [y0, y1] = [y0 / 2, y1 * 2];
  [x0, x1] = [x0 / 1.3, x1 * 1.3];
  [y0, y1] = [y0 / 1.5, y1 * 1.5];
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) =>
    M.left + ((Math.log(x) - Math.log(x0)) / (Math.log(x1) - Math.log(x0))) * pw;
  const sy = (y: number) =>
    M.top +
    ph -
    ((Math.log(Math.max(y, floor)) - Math.log(y0)) / (Math.log(y1) - Math.log(y0))) * ph;
  const parts: string[] = [];
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fff" stroke="#999"/>`,
  );
  for (const t of logTicks(x0, x1)) {
    if (t < x0 || t > x1) continue;
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    parts.push(
      `<text x="${x}" y="${M.top + ph + 16}" text-anchor="middle" font-size="11">${sig(t)}</text>`,
    );
  }
  for (const t of logTicks(y0, y1)) {
    if (t < y0 || t > y1) continue;
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(
      `<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${sig(t)}</text>`,
    );
  }
  parts.push(
    `<text x="${M.left + pw / 2}" y="${H - 10}" text-anchor="middle" font-size="12">${esc(xLabel)} (log)</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)} (log)</text>`,
  );
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    if (lines && s.points.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`,
      );
    for (const p of s.points) {
      if (!lines && p.short !== undefined)
        parts.push(
          `<text x="${(sx(p.x) + 6).toFixed(1)}" y="${(sy(p.y) - 5).toFixed(1)}" font-size="9" fill="#444">${esc(p.short)}</text>`,
        );
      parts.push(
        `<circle class="pt" data-series="${esc(s.name)}" data-x="${p.x}" data-y="${p.y}" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="4" fill="${color}"><title>${esc(`${s.name}: ${p.label}`)}</title></circle>`,
      );
    }
    const ly = M.top + 10 + i * 16;
    parts.push(`<circle cx="${W - M.right + 14}" cy="${ly}" r="4" fill="${color}"/>`);
    parts.push(
      `<text x="${W - M.right + 22}" y="${ly}" dominant-baseline="middle" font-size="11">${esc(s.name)}</text>`,
    );
  });
  if (all.some((p) => p.y <= 0))
    parts.push(
      `<text x="${M.left + 4}" y="${M.top + ph - 4}" font-size="10" fill="#666">zero values drawn at the axis floor</text>`,
    );
  return `<figure><svg class="chart" id="${esc(id)}" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}"><text x="${M.left}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>${parts.join('')}</svg></figure>`;
}

/** Horizontal bars on a log scale with a reference line at 1. */
function barChart(
  id: string,
  title: string,
  unit: string,
  bars: readonly { label: string; value: number }[],
): string {
  const ok = bars.filter((b) => b.value > 0 && Number.isFinite(b.value));
  if (ok.length === 0) return '';
  const rowH = 20;
  const left = 250;
  const right = 80;
  const top = 30;
  const h = top + ok.length * rowH + 40;
  const lo = Math.min(1, ...ok.map((b) => b.value)) / 1.5;
  const hi = Math.max(1, ...ok.map((b) => b.value)) * 1.5;
  const pw = W - left - right;
  const sx = (v: number) =>
    left + ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * pw;
  const parts: string[] = [];
  for (const t of logTicks(lo, hi)) {
    if (t < lo || t > hi) continue;
    const x = sx(t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${top}" y2="${top + ok.length * rowH}" stroke="${t === 1 ? '#333' : '#eee'}"/>`,
    );
    parts.push(
      `<text x="${x}" y="${top + ok.length * rowH + 14}" text-anchor="middle" font-size="11">${sig(t)}</text>`,
    );
  }
  ok.forEach((b, i) => {
    const y = top + i * rowH;
    const x1 = sx(1);
    const x2 = sx(b.value);
    parts.push(
      `<text x="${left - 6}" y="${y + rowH / 2}" text-anchor="end" dominant-baseline="middle" font-size="11">${esc(b.label)}</text>`,
    );
    parts.push(
      `<rect class="bar" data-label="${esc(b.label)}" data-value="${b.value}" x="${Math.min(x1, x2).toFixed(1)}" y="${y + 3}" width="${Math.max(1, Math.abs(x2 - x1)).toFixed(1)}" height="${rowH - 6}" fill="${PALETTE[i % PALETTE.length]}"><title>${esc(`${b.label}: ${sig(b.value)}${unit}`)}</title></rect>`,
    );
    parts.push(
      `<text x="${Math.max(x1, x2) + 4}" y="${y + rowH / 2}" dominant-baseline="middle" font-size="11">${sig(b.value)}${esc(unit)}</text>`,
    );
  });
  parts.push(
    `<text x="${left + pw / 2}" y="${h - 8}" text-anchor="middle" font-size="12">log scale; the dark line is 1</text>`,
  );
  return `<figure><svg class="chart" id="${esc(id)}" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(title)}"><text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text>${parts.join('')}</svg></figure>`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/**
 * Render a run as one HTML page with no external assets.
 * @param r - the results
 * @returns the HTML document
 * @internal
 */
export function renderReport(r: BenchResults): string {
  const m = r.machine;
  const sections: string[] = [];
  sections.push(
    `<p>${esc(`${r.quick ? 'Quick' : 'Full'} run of ${r.date}, ${sig(r.seconds)} s: `)}<code>${esc(r.command)}</code></p>`,
    table(
      ['CPU', 'cores', 'memory', 'Node', 'OS', 'kernel backend', 'load at start'],
      [
        [
          m.cpu,
          String(m.cores),
          `${m.memoryGiB} GiB`,
          m.node,
          m.os,
          m.kernelBackend,
          m.loadAverage.join(' '),
        ],
      ],
    ),
  );
  if (r.limits) {
    const l = r.limits;
    sections.push(
      '<h2>Primitive limits on this machine</h2>',
      table(
        ['primitive', 'rate: median [IQR]'],
        [
          ['AES-256-CTR keystream (B/s)', fmtStat(l.aesCtrBytesPerSecond)],
          ['CSPRNG (B/s)', fmtStat(l.csprngBytesPerSecond)],
          ['X25519 agreements (1/s)', fmtStat(l.x25519PerSecond)],
          ['float64 additions (1/s)', fmtStat(l.floatAddsPerSecond)],
        ],
      ),
    );
  }
  if (r.workload) {
    const w = r.workload;
    const ok = w.rows.filter((x) => x.status === 'ok');
    const byProt = new Map<string, { x: number; y: number; t: number; label: string }[]>();
    for (const row of ok) {
      const key = row.privacy;
      const list = byProt.get(key) ?? [];
      list.push({
        x: row.bytesPerClient ?? 0,
        y: row.errorRmse?.median ?? 0,
        t: row.totalSeconds?.median ?? 0,
        label: row.label,
      });
      byProt.set(key, list);
    }
    const bytesSeries = [...byProt].map(([name, ps]) => ({
      name: `privacy: ${name}`,
      points: ps.map((p) => ({
        x: p.x,
        y: p.y,
        label: `${p.label}, ${fmtBytes(p.x)}, RMSE ${sig(p.y)}`,
        short: p.label.split(' / ')[0] as string,
      })),
    }));
    const timeSeries = [...byProt].map(([name, ps]) => ({
      name: `privacy: ${name}`,
      points: ps.map((p) => ({
        x: p.t,
        y: p.y,
        label: `${p.label}, ${sig(p.t)} s, RMSE ${sig(p.y)}`,
        short: p.label.split(' / ')[0] as string,
      })),
    }));
    sections.push(
      `<h2>Workload: ${w.input.clients} clients x ${w.input.dimension}, dropout ${w.input.dropout}, epsilon ${w.input.epsilon}, delta ${w.input.delta}, L2 clip ${w.input.clip}</h2>`,
      `<p>${esc(w.note)} Medians of ${w.repeats} rounds, IQR in brackets.</p>`,
      logChart(
        'tradeoff-bytes',
        'Trade-off: error of the mean vs bytes per client',
        'bytes per client',
        'RMSE of the mean',
        bytesSeries,
        false,
      ),
      logChart(
        'tradeoff-time',
        'Trade-off: error of the mean vs round time',
        'round seconds',
        'RMSE of the mean',
        timeSeries,
        false,
      ),
      barChart(
        'ratio-limit',
        'Round time / the primitives\u2019 limit on this machine',
        'x',
        ok
          .filter((x) => x.ratioToLimit !== undefined)
          .map((x) => ({ label: x.label, value: x.ratioToLimit as number })),
      ),
      table(
        [
          'protection / privacy',
          'status',
          'round s',
          'client s',
          'server s',
          'bytes/client',
          'RMSE',
          'predicted',
          'max abs',
          'epsilon',
          'x limit',
          'limit counts',
        ],
        w.rows.map((x) =>
          x.status === 'ok'
            ? [
                x.label,
                'ok',
                x.totalSeconds ? fmtStat(x.totalSeconds) : '-',
                x.clientSeconds ? sig(x.clientSeconds.median) : '-',
                x.serverSeconds ? sig(x.serverSeconds.median) : '-',
                fmtBytes(x.bytesPerClient ?? 0),
                x.errorRmse ? fmtStat(x.errorRmse) : '-',
                sig(x.predictedRmse ?? 0),
                x.errorMaxAbs ? sig(x.errorMaxAbs.median) : '-',
                x.epsilon === undefined ? '-' : sig(x.epsilon),
                x.ratioToLimit === undefined ? '-' : `${sig(x.ratioToLimit)}x`,
                x.limitModel ?? '-',
              ]
            : [x.label, x.status, x.reason ?? '', '', '', '', '', '', '', '', '', ''],
        ),
      ),
    );
  }
  for (const axis of ['clients', 'dimension'] as const) {
    const series = (r.scaling ?? []).filter((s) => s.axis === axis);
    if (series.length === 0) continue;
    const fixed = series[0]?.fixed ?? 0;
    sections.push(
      `<h2>Scaling with ${axis} (${axis === 'clients' ? `dimension ${fixed}` : `${fixed} clients`}, no DP)</h2>`,
      logChart(
        `scaling-${axis}-time`,
        `Round time vs ${axis}`,
        axis,
        'seconds',
        series.map((s) => ({
          name: `${s.protection} (k=${s.timeFit ? s.timeFit.exponent.toFixed(2) : '-'})`,
          points: s.points.map((p) => ({
            x: p.x,
            y: p.seconds.median,
            label: `${p.x}: ${fmtStat(p.seconds)} s`,
          })),
        })),
        true,
      ),
      logChart(
        `scaling-${axis}-bytes`,
        `Bytes per client vs ${axis}`,
        axis,
        'bytes per client',
        series.map((s) => ({
          name: s.protection,
          points: s.points.map((p) => ({
            x: p.x,
            y: p.bytesPerClient,
            label: `${p.x}: ${fmtBytes(p.bytesPerClient)}`,
          })),
        })),
        true,
      ),
      table(
        [
          'curve',
          'time exponent (fit)',
          'r2',
          'theory exponent',
          'theory',
          'bytes exponent (fit)',
          'bytes theory',
        ],
        series.map((s) => [
          s.id,
          s.timeFit ? s.timeFit.exponent.toFixed(2) : '-',
          s.timeFit ? s.timeFit.r2.toFixed(3) : '-',
          s.timeTheoryExponent === undefined ? '-' : s.timeTheoryExponent.toFixed(2),
          s.timeTheory,
          s.bytesFit ? s.bytesFit.exponent.toFixed(2) : '-',
          `${s.bytesTheoryExponent}: ${s.bytesTheory}`,
        ]),
      ),
    );
  }
  sections.push('<h2>Peers</h2>');
  if (r.peers.rows.length > 0)
    sections.push(
      barChart(
        'ratio-peers',
        'Speedup of privagg over peer libraries (peer time / privagg time)',
        'x',
        r.peers.rows.map((p) => ({ label: `${p.work} ${p.op} vs ${p.peer}`, value: p.speedup })),
      ),
      table(
        ['part', 'work', 'op', 'peer', 'privagg ms', 'peer ms', 'speedup'],
        r.peers.rows.map((p) => [
          p.part,
          p.work,
          p.op,
          p.peer,
          sig(p.privaggMs),
          sig(p.peerMs),
          `${sig(p.speedup)}x`,
        ]),
      ),
    );
  sections.push(`<p>${esc(r.peers.note)}</p>`);
  if (r.modules)
    sections.push(
      '<h2>Module micro-suites</h2>',
      table(
        ['suite', 'seconds'],
        Object.entries(r.modules).map(([k, v]) => [k, sig(v.seconds)]),
      ),
      '<p>Their full outputs are in results.json under "modules".</p>',
    );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>privagg benchmark report</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}th{background:#f4f4f4}figure{margin:8px 0}code{background:#f4f4f4;padding:1px 4px}</style>
</head><body><h1>privagg ${esc(r.tool.version)} benchmark report</h1>
${sections.join('\n')}
</body></html>
`;
}
