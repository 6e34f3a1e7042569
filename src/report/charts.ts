/** The report's charts, as SVG strings keyed by file name (pure). */
import type { Results } from '../results/types.js';
import type { GateEvaluation } from '../gates/types.js';
import { renderLineChart, type Series, type Tick } from './svg.js';
import { restBudget, restRateLimit, scenarioName } from './format.js';

/** Okabe-Ito colours (colour-blind safe); uncached is also dashed. */
export const COLORS = { uncached: '#D55E00', cached: '#0072B2', gate: '#009E73', rollback: '#CC0000' } as const;

export const CHART_FILES = {
  fetchSpectrum: 'fetch_md-spectrum.svg',
  tickSpectrum: 'tick_total-spectrum.svg',
  fetchP95Windows: 'fetch_md-p95-windows.svg',
  hitRatioWindows: 'hit-ratio-windows.svg',
  restWeightWindows: 'rest-weight-windows.svg',
} as const;

/** Highest percentile placed on the spectrum's x axis; p100 (the max) is drawn there. */
const P_CAP = 99.999;

/** x position of a percentile (0..100) on the HdrHistogram-style axis: log10(1 / (1 − p)). */
export function spectrumX(p: number): number {
  const q = Math.min(P_CAP, Math.max(0, p)) / 100;
  return Math.log10(1 / (1 - q));
}

const SPECTRUM_LABELS = ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%'];

function spectrumChart(results: Results, metric: 'fetch_md_ms' | 'tick_total_ms', title: string): string {
  const sp = results.spectra?.[metric] ?? { uncached: [], cached: [] };
  const toPts = (pts: [number, number][] | undefined): [number, number][] => (pts ?? []).map(([p, v]) => [spectrumX(p), v]);
  const series: Series[] = [
    { name: 'uncached', color: COLORS.uncached, dash: '7 4', points: toPts(sp.uncached) },
    { name: 'cached', color: COLORS.cached, points: toPts(sp.cached) },
  ];
  const maxX = Math.max(4, ...series.flatMap((s) => s.points.map((p) => Math.ceil(p[0] - 1e-9))));
  const xTicks: Tick[] = SPECTRUM_LABELS.slice(0, maxX + 1).map((label, v) => ({ v, label }));
  const hasMax = [...(sp.uncached ?? []), ...(sp.cached ?? [])].some(([p]) => p >= 100);
  return renderLineChart({
    title,
    subtitle: `${scenarioName(results)} · seed ${results.seed}${hasMax ? ' · max drawn at 99.999%' : ''}`,
    xLabel: 'percentile (log scale of 1/(1−p))',
    yLabel: 'latency (ms)',
    xDomain: [0, maxX],
    xTicks,
    series,
  });
}

/**
 * The x axis of the per-window charts: time since start in minutes, or in seconds for runs of up to two
 * minutes (a 30 s run would otherwise show only "0"). Ticks at a round step that gives 3–12 labels.
 */
export function timeAxis(results: Results, starts: number[]): { domain: [number, number]; ticks: Tick[]; x: (start: number) => number; label: string } {
  const t0 = starts.length ? Math.min(...starts) : 0;
  const wm = results.windows?.window_ms ?? 60_000;
  const spanMs = starts.length ? Math.max(...starts) - t0 + wm : 60_000;
  const seconds = spanMs <= 120_000;
  const unit = seconds ? 1000 : 60_000;
  const end = spanMs / unit;
  const steps = seconds ? [1, 2, 5, 10, 15, 30] : [1, 2, 5, 10, 15, 30, 60, 120];
  const step = steps.find((st) => end / st <= 10) ?? steps[steps.length - 1]!;
  const ticks: Tick[] = [];
  for (let v = 0; v <= end + 1e-9; v += step) ticks.push({ v, label: String(v) });
  // a window's point sits at its midpoint
  return { domain: [0, end], ticks, x: (s) => (s - t0 + wm / 2) / unit, label: `time since start (${seconds ? 's' : 'min'})` };
}

function fetchP95Chart(results: Results): string {
  const u = results.windows?.uncached ?? [];
  const c = results.windows?.cached ?? [];
  const ax = timeAxis(results, [...u, ...c].map((w) => w.start_ms));
  return renderLineChart({
    title: 'fetch_md p95 per window',
    subtitle: `${scenarioName(results)} · ${Math.round((results.windows?.window_ms ?? 60_000) / 1000)} s windows`,
    xLabel: ax.label,
    yLabel: 'fetch_md p95 (ms)',
    xDomain: ax.domain,
    xTicks: ax.ticks,
    series: [
      { name: 'uncached', color: COLORS.uncached, dash: '7 4', markers: true, points: u.map((w) => [ax.x(w.start_ms), w.fetch_md_p95]) },
      { name: 'cached', color: COLORS.cached, markers: true, points: c.map((w) => [ax.x(w.start_ms), w.fetch_md_p95]) },
    ],
  });
}

function hitRatioChart(results: Results, gateThreshold: number, rollbackThreshold: number): string {
  const c = (results.windows?.cached ?? []).filter((w) => (w.gets ?? 0) > 0);
  const ax = timeAxis(results, c.map((w) => w.start_ms));
  return renderLineChart({
    title: 'Cache hit ratio per window',
    subtitle: `${scenarioName(results)} · hits / gets, ${Math.round((results.windows?.window_ms ?? 60_000) / 1000)} s windows`,
    xLabel: ax.label,
    yLabel: 'hit ratio (%)',
    xDomain: ax.domain,
    xTicks: ax.ticks,
    yDomain: [0, 1],
    yFormat: (v) => `${Math.round(v * 100)}%`,
    series: [
      { name: 'cached hit ratio', color: COLORS.cached, markers: true, points: c.map((w) => [ax.x(w.start_ms), (w.hits ?? 0) / (w.gets ?? 1)]) },
      { name: 'fresh hits', color: '#56B4E9', dash: '3 3', points: c.map((w) => [ax.x(w.start_ms), (w.fresh ?? 0) / (w.gets ?? 1)]) },
    ],
    refLines: [
      { y: gateThreshold, label: `gate ≥ ${Math.round(gateThreshold * 100)}%`, color: COLORS.gate },
      { y: rollbackThreshold, label: `rollback < ${Math.round(rollbackThreshold * 100)}%`, color: COLORS.rollback, dash: '2 3' },
    ],
  });
}

/** REST weight per minute in each window, both paths, with the budget (and an enforced limit) as lines. */
function restWeightChart(results: Results): string {
  const wm = results.windows?.window_ms ?? 60_000;
  const u = (results.windows?.uncached ?? []).filter((w) => w.rest_weight !== undefined);
  const c = (results.windows?.cached ?? []).filter((w) => w.rest_weight !== undefined);
  const ax = timeAxis(results, [...u, ...c].map((w) => w.start_ms));
  const end = results.duration_ms > 0 ? results.duration_ms : Infinity;
  const perMin = (w: { start_ms: number; rest_weight?: number }): number => {
    const len = Math.min(wm, end - w.start_ms);
    return len > 0 ? ((w.rest_weight ?? 0) * 60_000) / len : 0;
  };
  const budget = restBudget(results);
  const limit = restRateLimit(results);
  return renderLineChart({
    title: 'REST weight per minute, per window',
    subtitle: `${scenarioName(results)} · ${Math.round(wm / 1000)} s windows · budget ${budget.toLocaleString('en-US')}/min`,
    xLabel: ax.label,
    yLabel: 'REST weight per minute',
    xDomain: ax.domain,
    xTicks: ax.ticks,
    series: [
      { name: 'uncached', color: COLORS.uncached, dash: '7 4', markers: true, points: u.map((w) => [ax.x(w.start_ms), perMin(w)]) },
      { name: 'cached', color: COLORS.cached, markers: true, points: c.map((w) => [ax.x(w.start_ms), perMin(w)]) },
    ],
    refLines: [
      { y: budget, label: `budget ${budget.toLocaleString('en-US')}/min`, color: COLORS.rollback },
      ...(limit !== undefined && limit !== budget ? [{ y: limit, label: `enforced limit ${limit.toLocaleString('en-US')}/min`, color: COLORS.gate, dash: '2 3' }] : []),
    ],
  });
}

export interface ChartOptions {
  /** Used to draw the hit-ratio gate line at the configured threshold (default 0.7). */
  evaluation?: GateEvaluation;
}

/** Renders every chart: file name → SVG text. */
export function renderCharts(results: Results, opts: ChartOptions = {}): Record<string, string> {
  const hitGate = (opts.evaluation?.gates ?? results.gates ?? []).find((g) => g.metric === 'cached.cache.hit_ratio' && (g.op === '>=' || g.op === '>'));
  return {
    [CHART_FILES.fetchSpectrum]: spectrumChart(results, 'fetch_md_ms', 'fetch_md latency by percentile'),
    [CHART_FILES.tickSpectrum]: spectrumChart(results, 'tick_total_ms', 'tick_total latency by percentile'),
    [CHART_FILES.fetchP95Windows]: fetchP95Chart(results),
    [CHART_FILES.hitRatioWindows]: hitRatioChart(results, hitGate?.threshold ?? 0.7, 0.5),
    [CHART_FILES.restWeightWindows]: restWeightChart(results),
  };
}
