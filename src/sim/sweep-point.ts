/** One point of `mdcache sweep`: a bench of uncached vs one md_cache configuration (runs in a pool worker). */
import { ConfigError } from '../core/errors.js';
import { Reader, type Obj } from '../config/reader.js';
import { readMdCache } from '../config/md-cache.js';
import type { GateSpec } from '../gates/types.js';
import type { GateResult, Results, Verdict } from '../results/types.js';
import { cachedPathRaw, mergeRaw } from './arms.js';
import { loadBenchScenario } from './bench-scenario.js';
import { runBench } from './bench.js';

export interface SweepPointInput {
  /** Scenario name or absolute file path. */
  scenario: string;
  /** md_cache overrides of this point (nested objects for dotted keys). */
  overrides: Obj;
  durationMs: number;
  seed: number;
  windowMs?: number;
  /** Gates to evaluate (default: the scenario's, else the defaults). */
  gates?: readonly GateSpec[];
  run: { id: string; command: string; version: string; host: string };
}

/** The figures a sweep compares (cached path unless named otherwise). */
export interface SweepMetrics {
  tick_total_p95: number;
  fetch_md_p95: number;
  hit_ratio: number;
  fresh_ratio: number;
  staleness_p99: number;
  tob_error_p99: number;
  /** Cached path REST weight per minute (the worst window), null when the run has no REST cost figures. */
  rest_weight_per_min: number | null;
  /** 1 − cached / uncached REST requests, null when the run has no REST cost figures. */
  rest_saving: number | null;
}

export interface SweepPointOutput {
  verdict: Verdict;
  gates: GateResult[];
  metrics: SweepMetrics;
}

interface RestLike {
  requests?: number;
  weight_per_min?: { max?: number };
}

/** The sweep metrics of a bench's results (REST figures from `paths.<p>.rest` when the run has them). */
export function sweepMetrics(r: Results): SweepMetrics {
  const c = r.paths.cached;
  const cache = c.cache!;
  const rc = (c as { rest?: RestLike }).rest;
  const ru = (r.paths.uncached as { rest?: RestLike }).rest;
  const w = rc?.weight_per_min?.max;
  const saving = rc?.requests !== undefined && ru?.requests ? 1 - rc.requests / ru.requests : undefined;
  return {
    tick_total_p95: c.tick_total_ms.p95,
    fetch_md_p95: c.fetch_md_ms.p95,
    hit_ratio: cache.hit_ratio,
    fresh_ratio: cache.fresh_ratio,
    staleness_p99: cache.staleness_ms.p99,
    tob_error_p99: cache.tob_error_ticks.p99,
    rest_weight_per_min: typeof w === 'number' && Number.isFinite(w) ? w : null,
    rest_saving: saving !== undefined && Number.isFinite(saving) ? Math.round(saving * 1e6) / 1e6 : null,
  };
}

export async function runSweepPoint(i: SweepPointInput, sample?: () => void): Promise<SweepPointOutput> {
  const bench = loadBenchScenario(i.scenario);
  const r = new Reader();
  const mdCache = readMdCache(r, mergeRaw(cachedPathRaw(bench.mdCacheRaw), i.overrides), 'md_cache');
  if (!r.ok) throw new ConfigError(r.problems, `sweep point ${JSON.stringify(i.overrides)}`);
  const { results } = await runBench({
    bench: { ...bench, mdCache, arms: undefined },
    durationMs: i.durationMs,
    seed: i.seed,
    windowMs: i.windowMs,
    gates: i.gates,
    run: i.run,
    onProgress: sample,
  });
  return { verdict: results.verdict ?? 'pass', gates: results.gates ?? [], metrics: sweepMetrics(results) };
}
