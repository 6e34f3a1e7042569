/**
 * Gate evaluation with confidence intervals (pure, deterministic).
 *
 * Point value: the whole-run figure from `results.paths` (exact, from the full histograms).
 * Interval: a seeded percentile bootstrap over the run's windows. Each resample draws windows with
 * replacement (both paths of a window together, so relative gates stay paired) and recomputes the
 * metric's per-window analogue — the mean of per-window percentiles, or Σnum/Σden for ratios. The
 * bootstrap spread is placed around the whole-run value: [value − (θ̂ − q_lo), value + (q_hi − θ̂)]
 * where θ̂ is the analogue on all windows (for ratios θ̂ equals the value, so this is the plain
 * percentile interval). A gate passes only when the whole interval clears the threshold, fails when the
 * whole interval misses it, and is inconclusive otherwise.
 */
import { ConfigError, type Problem } from '../core/errors.js';
import { armNames, pathWindows, type GateResult, type Results, type Verdict, type WindowStats } from '../results/types.js';
import { bootstrap, mannWhitneyU, type MannWhitneyResult } from './stats.js';
import { metricInfo, parseMetricPath, perWindowValues, readMetric, windowSeries, windowStat, type MetricInfo, type PathName, type WindowSeries } from './metrics.js';
import { defaultGates, expandGatesForArms, gateMetricLabel, gateName, scenarioBudget } from './spec.js';
import type { EvaluateOptions, GateEvaluation, GateSpec, Op } from './types.js';

export const EVALUATE_DEFAULTS = Object.freeze({ confidence: 0.95, resamples: 2000, minWindows: 5, alpha: 0.05 });

/**
 * Evaluates gates (default: DEFAULT_GATES) against a Results document. Throws ConfigError when a gate names a
 * metric this run lacks. With named arms (results.arms), gates on `cached` apply to each arm
 * (expandGatesForArms) and the evaluation carries each arm's verdict.
 */
export function evaluateGates(results: Results, gates?: readonly GateSpec[], opts: EvaluateOptions = {}): GateEvaluation {
  if (gates === undefined) gates = defaultGatesFor(results);
  const named = results.arms && results.arms.length > 0;
  const arms = armNames(results);
  const all = named ? expandGatesForArms(gates, arms) : gates;
  const problems = checkGatesAgainstResults(results, all);
  if (problems.length > 0) throw new ConfigError(problems, 'gates for these results');
  const out = all.map((g) => evaluateGate(results, g, opts));
  // Only error gates decide; warn gates are evaluated and shown.
  const decides = (g: GateResult): boolean => g.severity !== 'warn';
  const ev: GateEvaluation = { gates: out, verdict: verdictOf(out.filter(decides).map((g) => g.status)) };
  if (named) {
    // An arm's verdict: its own gates plus the run-wide ones (gates on uncached only).
    // (an absolute gate's metric parses: checkGatesAgainstResults above rejected any that does not)
    const armOf = (g: GateSpec): string => g.arm ?? (g.kind === 'absolute' ? parseMetricPath(g.metric, arms)!.path : 'cached');
    const owner = all.map(armOf);
    ev.arms = arms.map((name) => ({ name, verdict: verdictOf(out.filter((g, i) => decides(g) && (owner[i] === name || owner[i] === 'uncached')).map((g) => g.status)) }));
  }
  return ev;
}

/**
 * The default gates for a run: the seed's four plus the warnings, at the run's REST budget. A default gate
 * whose metric the run lacks (results written before REST cost was measured) is left out.
 */
export function defaultGatesFor(results: Results): readonly GateSpec[] {
  const all = defaultGates(scenarioBudget(results.scenario));
  return all.filter((g) => g.severity !== 'warn' || checkGatesAgainstResults(results, [g]).length === 0);
}

/** fail if any gate fails, else inconclusive if any is, else pass (no gates → pass). */
export function verdictOf(statuses: readonly GateResult['status'][]): Verdict {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('inconclusive')) return 'inconclusive';
  return 'pass';
}

/** Gates whose metric is absent from these results (e.g. a stage this run did not have). */
export function checkGatesAgainstResults(results: Results, gates: readonly GateSpec[]): Problem[] {
  const problems: Problem[] = [];
  gates.forEach((g, i) => {
    const path = `gates[${i}].metric`;
    const arms = armNames(results);
    const paths: PathName[] = g.kind === 'absolute' ? [parseMetricPath(g.metric, arms)?.path ?? 'cached'] : ['uncached', g.arm ?? 'cached'];
    const key = g.kind === 'absolute' ? (parseMetricPath(g.metric, arms)?.info.key ?? '') : g.metric;
    for (const p of paths) {
      if (readMetric(results, p, key) !== undefined) continue;
      const stages = Object.keys(results.paths?.[p]?.stages ?? {});
      const why = p === 'shadow' ? ' (only `mdcache shadow` runs have shadow divergence results)' : p === 'fleet' ? (results.fleet ? (results.fleet.mode === 'processes' && /^(rest_l1_only|weight_ratio)/.test(key) ? ' (real worker processes with a shared tier measure one way: run without --shared for the L1-only figures)' : ' (this fleet has no such counter: L2 and lease counters need a shared tier)') : ' (only fleet runs have fleet results: bench --processes N or a scenario fleet: block)') : key.startsWith('stages.') ? ` (stages in this run: ${stages.join(', ') || 'none'})` : key.startsWith('cache.') ? ' (this run has no cache results)' : '';
      problems.push({ path, message: `'${p}.${key}' is not in these results${why}` });
      break;
    }
  });
  return problems;
}

/** Decides a gate from its interval: pass if all of [lo, hi] satisfies `op threshold`, fail if none does. */
export function decide(op: Op, threshold: number, lo: number, hi: number): GateResult['status'] {
  switch (op) {
    case '<':
      return hi < threshold ? 'pass' : lo >= threshold ? 'fail' : 'inconclusive';
    case '<=':
      return hi <= threshold ? 'pass' : lo > threshold ? 'fail' : 'inconclusive';
    case '>':
      return lo > threshold ? 'pass' : hi <= threshold ? 'fail' : 'inconclusive';
    case '>=':
      return lo >= threshold ? 'pass' : hi < threshold ? 'fail' : 'inconclusive';
    case '==':
      return lo === threshold && hi === threshold ? 'pass' : threshold < lo || threshold > hi ? 'fail' : 'inconclusive';
    case '!=':
      return threshold < lo || threshold > hi ? 'pass' : lo === threshold && hi === threshold ? 'fail' : 'inconclusive';
  }
}

/** Windows of uncached and a cached path (default `cached`) paired by start time (the same workload window on each path). */
export function pairWindows(results: Results, arm = 'cached'): { uncached: WindowStats[]; cached: WindowStats[] } {
  const u = pathWindows(results, 'uncached');
  const c = pathWindows(results, arm);
  const byStart = new Map(c.map((w) => [w.start_ms, w]));
  const uu: WindowStats[] = [];
  const cc: WindowStats[] = [];
  for (const w of u) {
    const m = byStart.get(w.start_ms);
    if (m) {
      uu.push(w);
      cc.push(m);
    }
  }
  return { uncached: uu, cached: cc };
}

function keepWhere(s: WindowSeries, keep: (i: number) => boolean): WindowSeries {
  const a: number[] = [];
  const b: number[] = [];
  s.a.forEach((v, i) => {
    if (keep(i)) {
      a.push(v);
      b.push(s.b[i]!);
    }
  });
  return { a, b };
}

const r6 = (x: number): number => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x);

export function evaluateGate(results: Results, g: GateSpec, opts: EvaluateOptions = {}): GateResult {
  const o = { ...EVALUATE_DEFAULTS, ...opts };
  const name = gateName(g);
  const base = { name, metric: gateMetricLabel(g), op: g.op, threshold: g.value, ...(g.arm !== undefined ? { arm: g.arm } : {}), ...(g.severity === 'warn' ? { severity: 'warn' as const } : {}) };
  const arm = g.arm ?? 'cached';
  let info: MetricInfo;
  let value: number;
  let series: { n: number; stat: (idx: readonly number[]) => number; perWindow: number[] } | undefined;
  /** The significance test of a relative ms gate and its note. */
  let mw: { result: MannWhitneyResult; text: string } | undefined;
  const notes: string[] = [];

  if (g.kind === 'absolute') {
    const parsed = parseMetricPath(g.metric, armNames(results))!;
    info = parsed.info;
    value = readMetric(results, parsed.path, info.key)!;
    if (info.window) {
      let s = windowSeries(pathWindows(results, parsed.path), info.window);
      s = keepWhere(s, (i) => s.b[i]! > 0);
      series = { n: s.a.length, stat: (idx) => windowStat(s, idx), perWindow: perWindowValues(s) };
    }
  } else {
    info = metricInfo(g.metric)!;
    const u = readMetric(results, 'uncached', g.metric)!;
    const c = readMetric(results, arm, g.metric)!;
    if (g.kind === 'improvement_ms') value = u - c;
    else if (u !== 0) value = ((c - u) / u) * 100;
    else {
      const status = c === 0 ? decide(g.op, g.value, 0, 0) : 'inconclusive';
      return { ...base, value: 0, ci: [0, 0], status, note: 'uncached value is 0, so a regression percentage is undefined' };
    }
    if (info.window) {
      const pw = pairWindows(results, arm);
      let su = windowSeries(pw.uncached, info.window);
      let sc = windowSeries(pw.cached, info.window);
      const keep = (i: number): boolean => su.b[i]! > 0 && sc.b[i]! > 0;
      [su, sc] = [keepWhere(su, keep), keepWhere(sc, keep)];
      const rel = (ui: number, ci: number): number => (g.kind === 'improvement_ms' ? ui - ci : ((ci - ui) / ui) * 100);
      series = {
        n: su.a.length,
        stat: (idx) => rel(windowStat(su, idx), windowStat(sc, idx)),
        perWindow: su.a.map((_, i) => rel(su.a[i]! / su.b[i]!, sc.a[i]! / sc.b[i]!)).filter(Number.isFinite),
      };
      if (info.unit === 'ms' && su.a.length > 0) {
        const x = perWindowValues(sc);
        const y = perWindowValues(su);
        const faster = g.kind === 'improvement_ms';
        const result = mannWhitneyU(x, y, faster ? 'less' : 'greater');
        mw = { result, text: `Mann-Whitney U (one-sided, cached ${faster ? '<' : '>'} uncached) over ${x.length}+${y.length} ${info.window.label} values: U=${result.u}, p=${fmtP(result.p)}` };
      }
    }
  }

  let ci: [number, number];
  let status: GateResult['status'];
  if (!series) {
    ci = [value, value];
    status = decide(g.op, g.value, value, value);
    notes.push('whole-run value; windows have no analogue of this metric, so the interval has zero width');
  } else if (series.n < o.minWindows) {
    const pts = [value, ...series.perWindow];
    ci = [Math.min(...pts), Math.max(...pts)];
    status = 'inconclusive';
    notes.push(`only ${series.n} window(s) (< ${o.minWindows}): too few to judge; interval is the range of per-window values`);
  } else {
    const bs = bootstrap(series.n, series.stat, { seed: o.seed ?? results.seed ?? 0, stream: `gates/${name}`, resamples: o.resamples, confidence: o.confidence });
    ci = [value - (bs.estimate - bs.lo), value + (bs.hi - bs.estimate)];
    if (g.kind === 'absolute') ci = clampToUnit(ci, info.unit);
    status = decide(g.op, g.value, ci[0], ci[1]);
    const label = info.window!.label;
    notes.push(`${Math.round(o.confidence * 100)}% bootstrap interval over ${series.n} windows (${label}, ${bs.resamples} resamples)`);
    if (info.approx) notes.push(info.approx);
  }
  if (mw) {
    notes.push(mw.text);
    if (g.kind === 'improvement_ms' && status === 'pass' && (g.op === '>=' || g.op === '>') && !(mw.result.p < o.alpha)) {
      status = 'inconclusive';
      notes.push(`the interval clears the threshold but cached is not significantly faster at α=${o.alpha}`);
    }
  }
  return { ...base, value: r6(value), ci: [r6(ci[0]), r6(ci[1])], status, note: notes.join('; ') };
}

function clampToUnit(ci: [number, number], unit: MetricInfo['unit']): [number, number] {
  if (unit === 'ratio') return [Math.max(0, ci[0]), Math.min(1, ci[1])];
  return [Math.max(0, ci[0]), Math.max(0, ci[1])];
}

export function fmtP(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  if (p < 1e-4) return p.toExponential(1);
  return p < 0.01 ? p.toFixed(4) : p.toFixed(3);
}
