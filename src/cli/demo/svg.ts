/**
 * A small self-contained SVG line chart (no dependencies) for the demo's report.
 * @module
 * @internal
 */

/** @internal One line of the chart. */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  /** Plot against the right-hand axis. */
  readonly right?: boolean;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function ticks(min: number, max: number, count: number): number[] {
  const span = max - min || 1;
  const step = 10 ** Math.floor(Math.log10(span / count));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= count) ?? step * 10;
  const out: number[] = [];
  for (let t = Math.ceil(min / nice) * nice; t <= max + 1e-12; t += nice)
    out.push(Number(t.toPrecision(12)));
  return out;
}

/** @internal Render a chart with a left axis (and an optional right axis) over a shared x axis. */
export function lineChart(options: {
  title: string;
  xLabel: string;
  leftLabel: string;
  rightLabel?: string;
  series: readonly Series[];
  width?: number;
  height?: number;
}): string {
  const W = options.width ?? 720;
  const H = options.height ?? 400;
  const m = { l: 64, r: options.rightLabel ? 64 : 24, t: 40, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = options.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const range = (right: boolean): [number, number] => {
    const ys = options.series
      .filter((s) => (s.right ?? false) === right)
      .flatMap((s) => s.points.map((p) => p[1]));
    if (ys.length === 0) return [0, 1];
    const lo = Math.min(...ys);
    const hi = Math.max(...ys);
    const pad = (hi - lo || 1) * 0.05;
    return [lo - pad, hi + pad];
  };
  const [lMin, lMax] = range(false);
  const [rMin, rMax] = range(true);
  const x = (v: number) => m.l + ((v - xMin) / (xMax - xMin || 1)) * pw;
  const y = (v: number, right: boolean) => {
    const [lo, hi] = right ? [rMin, rMax] : [lMin, lMax];
    return m.t + ph - ((v - lo) / (hi - lo || 1)) * ph;
  };
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(options.title)}</text>`,
  );
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  );
  for (const t of ticks(xMin, xMax, 10)) {
    parts.push(
      `<line x1="${x(t)}" y1="${m.t + ph}" x2="${x(t)}" y2="${m.t + ph + 5}" stroke="#333"/>`,
    );
    parts.push(`<text x="${x(t)}" y="${m.t + ph + 18}" text-anchor="middle">${t}</text>`);
  }
  for (const t of ticks(lMin, lMax, 6)) {
    parts.push(
      `<line x1="${m.l}" y1="${y(t, false)}" x2="${m.l + pw}" y2="${y(t, false)}" stroke="#eee"/>`,
    );
    parts.push(`<text x="${m.l - 6}" y="${y(t, false) + 4}" text-anchor="end">${t}</text>`);
  }
  if (options.rightLabel)
    for (const t of ticks(rMin, rMax, 6))
      parts.push(`<text x="${m.l + pw + 6}" y="${y(t, true) + 4}" text-anchor="start">${t}</text>`);
  parts.push(
    `<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(options.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(options.leftLabel)}</text>`,
  );
  if (options.rightLabel)
    parts.push(
      `<text transform="translate(${W - 14} ${m.t + ph / 2}) rotate(90)" text-anchor="middle">${esc(options.rightLabel)}</text>`,
    );
  options.series.forEach((s, i) => {
    const d = s.points
      .map(
        (p, j) =>
          `${j === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1], s.right ?? false).toFixed(1)}`,
      )
      .join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.right ? ' stroke-dasharray="6 3"' : ''}/>`,
    );
    const ly = m.t + 14 + i * 16;
    parts.push(
      `<line x1="${m.l + 10}" y1="${ly - 4}" x2="${m.l + 30}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.right ? ' stroke-dasharray="6 3"' : ''}/>`,
    );
    parts.push(`<text x="${m.l + 36}" y="${ly}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
