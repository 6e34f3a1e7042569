/** Number and label formatting shared by the renderers (pure). */
import type { GateResult, PathResult, Percentiles, Results, Verdict } from '../results/types.js';
import { parseMetricPath, type Unit } from '../gates/metrics.js';

export type GateUnit = Unit | 'pct';

/** Milliseconds with precision that suits the magnitude: 0.412, 9.31, 62.1, 1250. */
export function fmtMs(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  const s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
  return s === '-0' ? '0' : s;
}

/** A ratio as a percentage: 0.8592 → `85.9 %`, 0.0035 → `0.35 %`. */
export function fmtRatio(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const p = v * 100;
  const a = Math.abs(p);
  return `${a >= 10 ? p.toFixed(1) : a >= 1 ? p.toFixed(2) : p.toFixed(3).replace(/0$/, '')} %`;
}

export function fmtCount(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  // Rates (REST requests / weight per minute): whole numbers from 100 on, two decimals below.
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);
}

export function fmtPct(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  return `${v > 0 ? '+' : ''}${a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2)} %`;
}

export function fmtUnit(v: number, unit: GateUnit): string {
  switch (unit) {
    case 'ms':
      return `${fmtMs(v)} ms`;
    case 'ratio':
      return fmtRatio(v);
    case 'pct':
      return `${fmtMs(v)} %`;
    case 'ticks':
      return `${fmtMs(v)} ticks`;
    case 'count':
      return fmtCount(v);
  }
}

/** The unit of a gate's value, from its metric label (see gateMetricLabel). */
export function gateUnit(g: Pick<GateResult, 'metric'>): GateUnit {
  if (g.metric.startsWith('(')) return 'pct';
  if (g.metric.includes(' − ')) return 'ms';
  return parseMetricPath(g.metric, 'any')?.info.unit ?? 'count';
}

export function fmtInterval(ci: [number, number], unit: GateUnit): string {
  if (ci[0] === ci[1]) return `[${fmtUnit(ci[0], unit)}] (zero width)`;
  const strip = (s: string): string => s.replace(/ (ms|%|ticks)$/, '');
  const u = fmtUnit(ci[1], unit).match(/ (ms|%|ticks)$/)?.[1];
  return `[${strip(fmtUnit(ci[0], unit))}, ${strip(fmtUnit(ci[1], unit))}]${u ? ' ' + u : ''}`;
}

/** A threshold as the user wrote it, without padding zeros: `>= 70 %`, `<= 130 ms`, `< 2 %`. */
export function fmtThreshold(g: Pick<GateResult, 'op' | 'threshold' | 'metric'>): string {
  const u = gateUnit(g);
  const plain = (x: number): string => String(Number(x.toPrecision(6)));
  const v = u === 'ratio' ? `${plain(g.threshold * 100)} %` : u === 'ms' ? `${plain(g.threshold)} ms` : u === 'pct' ? `${plain(g.threshold)} %` : u === 'ticks' ? `${plain(g.threshold)} ticks` : plain(g.threshold);
  return `${g.op} ${v}`;
}

export const STATUS_ICON: Record<GateResult['status'], string> = { pass: '✅', fail: '❌', inconclusive: '⚠️' };
export const STATUS_MARK: Record<GateResult['status'], string> = { pass: '✓', fail: '✗', inconclusive: '?' };

/** A warn gate that did not pass: shown with ⚠, never changes the verdict. */
export function isWarning(g: Pick<GateResult, 'status' | 'severity'>): boolean {
  return g.severity === 'warn' && g.status !== 'pass';
}

/** The status as shown: `fail`, or `warn: fail` for a warn gate that did not pass. */
export function statusLabel(g: Pick<GateResult, 'status' | 'severity'>): string {
  return isWarning(g) ? `warn: ${g.status}` : g.status;
}

/** Markdown icon of a gate: ✅ ❌ ⚠️ (a warn gate that did not pass is ⚠️). */
export function gateIcon(g: Pick<GateResult, 'status' | 'severity'>): string {
  return isWarning(g) ? '⚠️' : STATUS_ICON[g.status];
}
export const VERDICT_TEXT: Record<Verdict, string> = { pass: '✅ PASS', fail: '❌ FAIL', inconclusive: '⚠️ INCONCLUSIVE' };

/** Change from a to b as `+1.23 ms (+4.5 %)`. */
export function fmtDelta(a: number, b: number, unit: GateUnit): string {
  const d = b - a;
  const abs = unit === 'ratio' ? `${d >= 0 ? '+' : ''}${(d * 100).toFixed(2)} pp` : `${d >= 0 ? '+' : ''}${fmtUnit(d, unit)}`;
  return a !== 0 ? `${abs} (${fmtPct((d / a) * 100)})` : abs;
}

/** Escapes text for a Markdown table cell. */
export function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function scenarioName(results: { scenario?: Record<string, unknown>; run?: { id?: string } }): string {
  const n = results.scenario?.name;
  return typeof n === 'string' && n ? n : (results.run?.id ?? 'run');
}

/** The percentile rows every latency table shows, with their labels. */
export const PERCENTILE_ROWS: readonly (readonly [keyof Percentiles, string])[] = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p95', 'p95'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
  ['max', 'max'],
];

/** The REST weight budget per minute the run was measured against (scenario `rest.budget`, default 6000). */
export function restBudget(results: { scenario?: Record<string, unknown> }): number {
  const rest = results.scenario?.rest as { budget?: { weight_per_min?: unknown } } | undefined;
  const v = rest?.budget?.weight_per_min;
  return typeof v === 'number' && v > 0 ? v : 6000;
}

/** The rate limit the endpoint enforced (scenario `rest.rate_limit.weight_per_min`), if any. */
export function restRateLimit(results: { scenario?: Record<string, unknown> }): number | undefined {
  const rest = results.scenario?.rest as { rate_limit?: { weight_per_min?: unknown } | null } | undefined;
  const v = rest?.rate_limit?.weight_per_min;
  return typeof v === 'number' && v > 0 ? v : undefined;
}

/** Paths of a results document in display order: uncached first, then the cached path(s). */
export function pathNames(results: { paths?: Record<string, unknown>; arms?: readonly { name: string }[] }): string[] {
  // With named arms, `cached` is the first arm under another name: list the arms, not `cached` twice.
  if (results.arms && results.arms.length > 0) return ['uncached', ...results.arms.map((a) => a.name)];
  const names = Object.keys(results.paths ?? {});
  return [...names.filter((n) => n === 'uncached'), ...names.filter((n) => n !== 'uncached')];
}

/** One path of a results document by name (`uncached`, `cached`, or another cached path). */
export function pathResult(results: Pick<Results, 'paths'>, name: string): PathResult | undefined {
  return (results.paths as unknown as Record<string, PathResult | undefined>)[name];
}

/**
 * Markdown output: a number and its `%` / `pp` unit never wrap apart (a no-break space, U+00A0, between
 * them) — narrow table columns on GitHub otherwise put "%" alone on the next line.
 */
export function keepUnitsTogether(md: string): string {
  return md.replace(/([\d\]]) (%|pp)(?![\w])/g, '$1\u00a0$2');
}
