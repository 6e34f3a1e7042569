/** A tiny hand-written SVG line chart: axes, ticks, grid, legend, title, reference lines. No dependencies. */

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dash?: string;
  markers?: boolean;
}

export interface RefLine {
  y: number;
  label: string;
  color: string;
  dash?: string;
}

export interface Tick {
  v: number;
  label: string;
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  refLines?: RefLine[];
  xDomain: [number, number];
  xTicks: Tick[];
  /** Defaults to [0, nice max of the data and reference lines]. */
  yDomain?: [number, number];
  yFormat?: (v: number) => string;
  width?: number;
  height?: number;
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n1 = (x: number): string => (Math.round(x * 10) / 10).toString();

/** 1-2-5 ticks covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  const k0 = Math.ceil(lo / step - 1e-9);
  for (let k = k0; k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)) || 0);
  return out;
}

export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const t = niceTicks(0, v, 5);
  const last = t[t.length - 1]!;
  return last >= v ? last : last + (t[1]! - t[0]!);
}

export function renderLineChart(spec: ChartSpec): string {
  const W = spec.width ?? 760;
  const H = spec.height ?? 420;
  // The legend sits in its own band above the plot (never over the data), wrapping onto more rows if needed.
  const entryW = (s: Series): number => s.name.length * 7 + 48;
  const legendRows: Series[][] = [[]];
  let rowW = 0;
  for (const s of spec.series) {
    if (rowW + entryW(s) > W - 72 - 40 && legendRows[legendRows.length - 1]!.length > 0) {
      legendRows.push([]);
      rowW = 0;
    }
    legendRows[legendRows.length - 1]!.push(s);
    rowW += entryW(s);
  }
  const legendH = spec.series.length > 0 ? legendRows.length * 18 + 6 : 0;
  const m = { left: 72, right: 40, top: (spec.subtitle ? 62 : 46) + legendH, bottom: 58 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const allY = [...spec.series.flatMap((s) => s.points.map((p) => p[1])), ...(spec.refLines ?? []).map((r) => r.y)].filter(Number.isFinite);
  const [y0, y1] = spec.yDomain ?? [0, niceMax(allY.length ? Math.max(...allY) : 1)];
  const [x0, x1] = spec.xDomain;
  const sx = (x: number): number => m.left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number): number => m.top + ph - ((y - y0) / (y1 - y0 || 1)) * ph;
  const yf = spec.yFormat ?? ((v: number) => String(Math.round(v * 1000) / 1000));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<title>${esc(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold" fill="#222">${esc(spec.title)}</text>`);
  if (spec.subtitle) out.push(`<text x="${W / 2}" y="42" text-anchor="middle" font-size="12" fill="#555">${esc(spec.subtitle)}</text>`);
  // grid + y ticks
  out.push(`<g class="y-axis">`);
  for (const t of niceTicks(y0, y1, 6)) {
    if (t < y0 - 1e-9 || t > y1 + 1e-9) continue;
    const y = n1(sy(t));
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 8}" y="${y}" dy="4" text-anchor="end" fill="#333">${esc(yf(t))}</text>`);
  }
  out.push(`</g>`);
  out.push(`<g class="x-axis">`);
  for (const t of spec.xTicks) {
    const x = n1(sx(t.v));
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#eeeeee"/>`);
    out.push(`<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 19}" text-anchor="middle" fill="#333">${esc(t.label)}</text>`);
  }
  out.push(`</g>`);
  // axes
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#333"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle" fill="#222">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(spec.yLabel)}</text>`);
  // reference lines
  for (const r of spec.refLines ?? []) {
    if (r.y < y0 || r.y > y1) continue;
    const y = n1(sy(r.y));
    out.push(`<g class="ref-line"><line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="${r.color}" stroke-width="1.5" stroke-dasharray="${r.dash ?? '6 4'}"/>`);
    out.push(`<text x="${m.left + pw - 4}" y="${y}" dy="-5" text-anchor="end" fill="${r.color}" font-size="11">${esc(r.label)}</text></g>`);
  }
  // series
  for (const s of spec.series) {
    const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    out.push(`<g class="series" data-name="${esc(s.name)}">`);
    if (pts.length > 0) {
      const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${n1(sx(p[0]))},${n1(sy(p[1]))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
      if (s.markers) for (const p of pts) out.push(`<circle cx="${n1(sx(p[0]))}" cy="${n1(sy(p[1]))}" r="2.5" fill="${s.color}"/>`);
    }
    out.push(`</g>`);
  }
  // legend: a band between the titles and the plot
  out.push(`<g class="legend">`);
  legendRows.forEach((row, r) => {
    let lx = m.left;
    const ly = m.top - legendH + 14 + r * 18;
    for (const s of row) {
      out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
      out.push(`<text x="${lx + 30}" y="${ly}" fill="#222">${esc(s.name)}</text>`);
      lx += entryW(s);
    }
  });
  out.push(`</g>`);
  if (spec.series.every((s) => s.points.length === 0)) {
    out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph / 2}" text-anchor="middle" fill="#999" font-size="14">no data</text>`);
  }
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}
