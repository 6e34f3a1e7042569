/**
 * `mdcache sweep` as a library: the cartesian grid of md_cache values, each point a bench of uncached vs that
 * configuration on the same seeded workload (run on the worker pool), then the Pareto front and the
 * recommendation. Parsing and choosing are pure; only runSweep runs simulations.
 */
import { ConfigError, type Problem } from '../core/errors.js';
import { Reader, type Obj } from '../config/reader.js';
import { readMdCache } from '../config/md-cache.js';
import type { GateSpec } from '../gates/types.js';
import type { GateResult, Verdict } from '../results/types.js';
import { cachedPathRaw, mergeRaw } from './arms.js';
import { runPool } from './pool.js';
import { runSweepPoint, type SweepMetrics, type SweepPointInput } from './sweep-point.js';

export const SWEEP_SCHEMA = 'mdcache.sweep/v1' as const;
export const OBJECTIVES = ['tob_error', 'staleness', 'rest_weight', 'tick_total'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** The metric each objective minimises. */
export const OBJECTIVE_METRIC: Record<Objective, keyof SweepMetrics> = {
  tob_error: 'tob_error_p99',
  staleness: 'staleness_p99',
  rest_weight: 'rest_weight_per_min',
  tick_total: 'tick_total_p95',
};

export type ParamValue = number | string | boolean;

/** One `--param`: the md_cache key (as `md_cache.<key>`) and its values in the order given. */
export interface SweepParam {
  key: string;
  values: ParamValue[];
}

export interface SweepPoint {
  params: Record<string, ParamValue>;
  verdict: Verdict;
  gates: GateResult[];
  metrics: SweepMetrics;
}

export interface SweepDoc {
  schema: typeof SWEEP_SCHEMA;
  run: { id: string; started_at: string; wall_ms: number; host: string; version: string; command: string; jobs: number; workers: number; peak_heap_mb: number };
  scenario: string;
  seed: number;
  duration_ms: number;
  objective: Objective;
  params: SweepParam[];
  points: SweepPoint[];
  /** Indices of the points no other point beats on tick_total_p95 × tob_error_p99 × rest_weight_per_min. */
  pareto: number[];
  /** Index of the recommended point, or null when no point passes its gates. */
  recommended: number | null;
  reason: string;
  /** Set when a metric could not be computed for this run (e.g. no REST cost figures). */
  notes?: string[];
}

function parseValue(s: string): ParamValue {
  const t = s.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^-?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i.test(t)) return Number(t);
  return t;
}

/** `{ 'retry.base_ms': 5 }` → `{ retry: { base_ms: 5 } }`. */
export function overridesOf(params: Record<string, ParamValue>): Obj {
  const out: Obj = {};
  for (const [full, v] of Object.entries(params)) {
    const parts = full.replace(/^md_cache\./, '').split('.');
    let o = out;
    for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Obj;
    o[parts[parts.length - 1]!] = v;
  }
  return out;
}

/**
 * Parses and validates `--param KEY=V1,V2` flags against the scenario's md_cache block (raw), and `--jobs`.
 * Every problem is collected: an unknown key, a value out of range, an empty list, a duplicate key, a grid
 * point that breaks a cross-field rule, `--jobs` < 1. Throws ConfigError listing them all.
 */
export function parseSweepParams(flags: readonly string[], baseMdCache: unknown, jobs?: string | number): SweepParam[] {
  const problems: Problem[] = [];
  const out: SweepParam[] = [];
  if (jobs !== undefined) {
    const n = Number(jobs);
    if (!/^\d+$/.test(String(jobs).trim()) || !Number.isSafeInteger(n) || n < 1 || n > 1024) problems.push({ path: '--jobs', message: `invalid value '${jobs}', expected a whole number in [1, 1024]` });
  }
  if (flags.length === 0) problems.push({ path: '--param', message: 'missing; give at least one, e.g. --param md_cache.ttl_ms=25,50,100,200,400' });
  const base = cachedPathRaw(baseMdCache);
  const seen = new Set<string>();
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) {
      problems.push({ path: '--param', message: `'${f}' is not KEY=V1,V2,… (e.g. md_cache.ttl_ms=50,100)` });
      continue;
    }
    const bare = f.slice(0, eq).trim().replace(/^md_cache\./, '');
    const key = `md_cache.${bare}`;
    const at = `--param ${key}`;
    if (seen.has(key)) {
      problems.push({ path: at, message: 'given twice; list all its values in one --param' });
      continue;
    }
    seen.add(key);
    const values = f
      .slice(eq + 1)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .map(parseValue);
    if (values.length === 0) {
      problems.push({ path: at, message: 'empty value list; give at least one value' });
      continue;
    }
    if (new Set(values.map(String)).size !== values.length) problems.push({ path: at, message: `a value is listed twice (${values.join(',')})` });
    // Each value on its own against the real md_cache reader: unknown keys, types and ranges.
    let keyProblem = false;
    for (const v of values) {
      const r = new Reader();
      readMdCache(r, mergeRaw(base, overridesOf({ [key]: v })), 'md_cache');
      for (const p of r.problems) {
        if (p.path === key || p.path.startsWith(`${key}.`) || (p.path.startsWith('md_cache.') && key.startsWith(`${p.path}.`))) {
          if (/unknown key/.test(p.message)) {
            if (!keyProblem) problems.push({ path: at, message: `'${bare}' is not an md_cache key: ${p.message}` });
            keyProblem = true;
          } else problems.push({ path: at, message: p.message });
        }
      }
      if (keyProblem) break;
    }
    out.push({ key, values });
  }
  // Cross-field rules (e.g. max_stale_ms >= ttl_ms) on every grid point, once each value is valid on its own.
  if (problems.length === 0) {
    for (const params of gridPoints(out)) {
      const r = new Reader();
      readMdCache(r, mergeRaw(base, overridesOf(params)), 'md_cache');
      for (const p of r.problems) problems.push({ path: `--param point ${pointLabel(params)}`, message: `${p.path}: ${p.message}` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, 'sweep');
  return out;
}

/** The cartesian grid, first parameter outermost. */
export function gridPoints(params: readonly SweepParam[]): Record<string, ParamValue>[] {
  let pts: Record<string, ParamValue>[] = [{}];
  for (const p of params) pts = pts.flatMap((pt) => p.values.map((v) => ({ ...pt, [p.key]: v })));
  return params.length === 0 ? [] : pts;
}

/** `ttl_ms=100, policy=ttl` (keys without the md_cache. prefix). */
export function pointLabel(params: Record<string, ParamValue>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k.replace(/^md_cache\./, '')}=${v}`)
    .join(', ');
}

const PARETO_AXES = ['tick_total_p95', 'tob_error_p99', 'rest_weight_per_min'] as const;

/** Indices of the non-dominated points (all axes minimised; an axis missing on any point is left out). */
export function paretoFront(metrics: readonly SweepMetrics[]): number[] {
  const axes = PARETO_AXES.filter((a) => metrics.every((m) => typeof m[a] === 'number'));
  const v = (m: SweepMetrics, a: (typeof axes)[number]): number => m[a] as number;
  const out: number[] = [];
  metrics.forEach((m, i) => {
    const dominated = metrics.some((o, j) => j !== i && axes.every((a) => v(o, a) <= v(m, a)) && axes.some((a) => v(o, a) < v(m, a)));
    if (!dominated) out.push(i);
  });
  return out;
}

const VERDICT_RANK: Record<Verdict, number> = { pass: 0, inconclusive: 1, fail: 2 };
const num = (x: number | null): number => (x === null ? Infinity : x);

/** Orders point indices: passing first, then by the objective, REST weight, tick_total p95, then grid order. */
export function rankPoints(points: readonly Pick<SweepPoint, 'verdict' | 'metrics'>[], objective: Objective): number[] {
  const key = OBJECTIVE_METRIC[objective];
  return points
    .map((_, i) => i)
    .sort((a, b) => {
      const pa = points[a]!;
      const pb = points[b]!;
      return (
        VERDICT_RANK[pa.verdict] - VERDICT_RANK[pb.verdict] ||
        num(pa.metrics[key]) - num(pb.metrics[key]) ||
        num(pa.metrics.rest_weight_per_min) - num(pb.metrics.rest_weight_per_min) ||
        pa.metrics.tick_total_p95 - pb.metrics.tick_total_p95 ||
        a - b
      );
    });
}

const OBJ_TEXT: Record<Objective, string> = {
  tob_error: 'top-of-book error p99',
  staleness: 'staleness p99',
  rest_weight: 'REST weight per minute',
  tick_total: 'tick_total p95',
};

function fmtMetric(objective: Objective, v: number | null): string {
  if (v === null) return 'n/a';
  if (objective === 'tob_error') return `${v} ticks`;
  if (objective === 'rest_weight') return `${v}/min`;
  return `${Math.round(v * 100) / 100} ms`;
}

/** The recommended point (best passing point on the objective, ties by REST weight then tick_total p95) and why. */
export function recommend(points: readonly SweepPoint[], objective: Objective): { recommended: number | null; reason: string } {
  const passing = points.filter((p) => p.verdict === 'pass').length;
  if (passing === 0) {
    const failing = new Map<string, number>();
    for (const p of points) for (const g of p.gates) if (g.status !== 'pass' && (g as { severity?: string }).severity !== 'warn') failing.set(g.name, (failing.get(g.name) ?? 0) + 1);
    const worst = [...failing].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    return { recommended: null, reason: `no point passes all its gates (${points.length} point(s))${worst ? `; the most common unmet gate is '${worst[0]}' (${worst[1]} of ${points.length} points)` : ''}` };
  }
  const best = rankPoints(points, objective)[0]!;
  const p = points[best]!;
  const key = OBJECTIVE_METRIC[objective];
  const ties = points.filter((q) => q.verdict === 'pass' && q.metrics[key] === p.metrics[key]).length;
  const parts = [
    `${pointLabel(p.params)} passes all its gates and has the lowest ${OBJ_TEXT[objective]} (${fmtMetric(objective, p.metrics[key])}) of the ${passing} passing point(s)`,
  ];
  if (ties > 1) parts.push(`${ties} passing points tie on it; ties are broken by REST weight per minute (${fmtMetric('rest_weight', p.metrics.rest_weight_per_min)}), then tick_total p95 (${fmtMetric('tick_total', p.metrics.tick_total_p95)})`);
  return { recommended: best, reason: parts.join('; ') };
}

export interface SweepOptions {
  scenario: string;
  params: SweepParam[];
  durationMs: number;
  seed: number;
  objective: Objective;
  windowMs?: number;
  gates?: readonly GateSpec[];
  jobs?: number;
  run: { id: string; command: string; version: string; host: string; started_at: string };
  onDone?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Host time (ms) for wall_ms; injected so this module reads no clock itself. */
  hostNow: () => number;
}

/** Runs every grid point on the worker pool and assembles sweep.json. */
export async function runSweep(o: SweepOptions): Promise<SweepDoc> {
  const t0 = o.hostNow();
  const grid = gridPoints(o.params);
  const tasks = grid.map((params) => ({
    kind: 'sweep-point' as const,
    input: {
      scenario: o.scenario,
      overrides: overridesOf(params),
      durationMs: o.durationMs,
      seed: o.seed,
      windowMs: o.windowMs,
      gates: o.gates,
      run: { id: `${o.run.id}/${pointLabel(params)}`, command: o.run.command, version: o.run.version, host: o.run.host },
    } satisfies SweepPointInput,
  }));
  const { outputs, stats } = await runPool(tasks, { jobs: o.jobs, inline: runSweepPoint, signal: o.signal, onDone: (_i, done, total) => o.onDone?.(done, total) });
  if (outputs.length !== grid.length || outputs.some((x) => x === undefined)) throw new Error('sweep interrupted before every point ran');
  const points: SweepPoint[] = grid.map((params, i) => ({ params, verdict: outputs[i]!.verdict, gates: outputs[i]!.gates, metrics: outputs[i]!.metrics }));
  const pareto = paretoFront(points.map((p) => p.metrics));
  const { recommended, reason } = recommend(points, o.objective);
  const notes: string[] = [];
  if (points.some((p) => p.metrics.rest_weight_per_min === null)) notes.push('rest_weight_per_min and rest_saving are null: these results carry no REST cost figures (paths.<path>.rest), so the Pareto front and the tie-breaks use tick_total p95 and top-of-book error only');
  return {
    schema: SWEEP_SCHEMA,
    run: { ...o.run, wall_ms: Math.round(o.hostNow() - t0), jobs: o.jobs ?? 0, workers: stats.workers, peak_heap_mb: stats.peakHeapMb },
    scenario: o.scenario,
    seed: o.seed,
    duration_ms: o.durationMs,
    objective: o.objective,
    params: o.params,
    points,
    pareto,
    recommended,
    reason,
    ...(notes.length ? { notes } : {}),
  };
}
