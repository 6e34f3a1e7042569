/**
 * `canary` as a library function: step by step, a growing, sticky share of symbols is served through the
 * cache while the rest stay uncached as the control group. After each step the rollback conditions are
 * evaluated with the same confidence machinery as the gates; a breach rolls back to 0 % and stops.
 */
import { VirtualClock, RealClock, ZeroedClock, hostElapsedMs, wallClockIso, type Clock } from '../core/clock.js';
import type { CacheStats } from '../cache/types.js';
import { evaluateGates } from '../gates/evaluate.js';
import { ROLLBACK_GATES } from '../gates/spec.js';
import type { GateSpec, GateEvaluation } from '../gates/types.js';
import type { GateResult, Results } from '../results/types.js';
import { createMarket } from '../scenario/scenario.js';
import { buildResults } from '../sim/results.js';
import { Simulation } from '../sim/simulate.js';
import { feedMarket } from '../sim/synthetic-market.js';
import type { CanaryUnit, ProdConfig } from './prod-config.js';
import { processMarket, splitProcessKey } from './process-market.js';
import { UsageError } from '../core/errors.js';
import { resolveProdRun, type ResolvedRun } from './resolve.js';
import { processSharedTier } from './process-shared.js';
import type { LiveMarket } from '../net/live-market.js';

export const CANARY_SCHEMA = 'mdcache.canary/v1' as const;

export type CanaryOutcome = 'promoted' | 'rolled_back' | 'halted';

export interface CanaryStep {
  index: number;
  share_pct: number;
  start_ms: number;
  end_ms: number;
  canary_symbols: string[];
  control_symbols: string[];
  /** True when every symbol (process) was in the canary: the control was the uncached path run in shadow on the same ticks. */
  shadow_control: boolean;
  /** Unit `process`: the processes running the cache (0-based) and the control processes; every one quotes every symbol. */
  canary_processes?: number[];
  control_processes?: number[];
  metrics: {
    hit_ratio: number;
    canary_fetch_md_p95: number;
    control_fetch_md_p95: number;
    fetch_md_p95_regression_pct: number;
    canary_ticks: number;
    control_ticks: number;
    /** REST snapshot requests and their weight sent by the canary's caches during the step. */
    canary_rest_requests: number;
    canary_rest_weight: number;
  };
  /** Rollback conditions: status `pass` means the condition holds (roll back). */
  conditions: GateResult[];
  decision: 'healthy' | 'breach' | 'inconclusive';
}

export interface TimelinePoint {
  start_ms: number;
  share_pct: number;
  hit_ratio: number | null;
  canary_fetch_md_p95: number | null;
  control_fetch_md_p95: number | null;
}

export interface CanaryResults {
  schema: typeof CANARY_SCHEMA;
  run: Results['run'];
  scenario: Record<string, unknown>;
  seed: number;
  steps_planned: number[];
  /** What a step's share is a share of (canary.unit). */
  unit: CanaryUnit;
  /** Processes running the pipeline (fleet.processes; 1 without a fleet). */
  processes: number;
  /** Things the operator should know about the split (e.g. nothing to split: shadow-style control). */
  notices: string[];
  step_duration_ms: number;
  window_ms: number;
  outcome: CanaryOutcome;
  /** Why it ended as it did (the breached condition, or what stayed inconclusive). */
  reason: string;
  final_share_pct: number;
  steps: CanaryStep[];
  timeline: TimelinePoint[];
  /**
   * With `fleet.shared` and more than one process: the canary processes' caches share a simulated L2 tier
   * (process-shared.ts); its counts over the whole run.
   */
  shared?: { l2_hits: number; l2_misses: number; lease_wins: number; lease_waits: number; lease_timeouts: number; errors: number; fallbacks: number };
}

/** Sticky bucket in [0, 100) from the symbol name (FNV-1a): a symbol's routing never depends on time. */
export function symbolBucket(symbol: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < symbol.length; i++) {
    h ^= symbol.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % 10_000) / 100;
}

/** The canary set at a share: symbols whose bucket is below it (at least one when share > 0). Grows with share. */
export function canarySet(symbols: readonly string[], sharePct: number): Set<string> {
  const set = new Set(symbols.filter((s) => symbolBucket(s) < sharePct));
  if (set.size === 0 && sharePct > 0 && symbols.length > 0) {
    set.add([...symbols].sort((a, b) => symbolBucket(a) - symbolBucket(b) || (a < b ? -1 : 1))[0]!);
  }
  return set;
}

/** The canary processes at a share: the first ceil(share × N) (at least one when share > 0). Grows with share. */
export function canaryProcessCount(processes: number, sharePct: number): number {
  if (sharePct <= 0) return 0;
  return Math.min(processes, Math.max(1, Math.ceil((sharePct * processes) / 100 - 1e-9)));
}

/** canary.unit resolved: explicit, else `process` with more than one process, else `symbol`. */
export function canaryUnit(config: Pick<ProdConfig, 'canary' | 'fleet'>): CanaryUnit {
  return config.canary.unit ?? ((config.fleet?.processes ?? 1) > 1 ? 'process' : 'symbol');
}

export interface CanaryOptions {
  config: ProdConfig;
  steps?: number[];
  stepDurationMs?: number;
  realtime?: boolean;
  signal?: AbortSignal;
  run: { id: string; command: string; version: string; host: string };
  onProgress?: (simMs: number) => void;
}

function diffStats(now: CacheStats, before: CacheStats | undefined): CacheStats {
  if (!before) return now;
  const inv: Record<string, number> = {};
  for (const [k, v] of Object.entries(now.invalidations)) inv[k] = v - (before.invalidations[k] ?? 0);
  return { ...now, refreshes: now.refreshes - before.refreshes, refreshFailures: now.refreshFailures - before.refreshFailures, evictions: now.evictions - before.evictions, invalidations: inv };
}

export async function runCanary(o: CanaryOptions): Promise<CanaryResults> {
  const started = wallClockIso();
  const t0 = hostElapsedMs();
  const resolved = resolveProdRun(o.config);
  const hostClock = new RealClock();
  // A live exchange connects (and syncs its books) before the run's clock starts.
  const live = resolved.market ? await resolved.market(hostClock) : undefined;
  try {
    return await runSteps(o, resolved, live, hostClock, started, t0);
  } finally {
    // whatever happens in a step (an error included), the live WebSocket is closed
    await live?.close();
  }
}

async function runSteps(o: CanaryOptions, resolved: ResolvedRun, live: LiveMarket | undefined, hostClock: Clock, started: string, t0: number): Promise<CanaryResults> {
  const cfg = o.config;
  const steps = o.steps ?? cfg.canary.steps;
  const stepMs = o.stepDurationMs ?? cfg.canary.step_duration_ms;
  // At least 5 windows per step, so every step's intervals rest on enough data.
  const windowMs = Math.min(cfg.canary.window_ms, stepMs / 5);
  const { bench, seed, feed: replay } = resolved;
  const realClock = o.realtime === true || live !== undefined;
  const clock: Clock = realClock ? new ZeroedClock(hostClock) : new VirtualClock(0);
  const market = live ?? feedMarket({ clock, feed: replay ?? createMarket(bench.scenario, { seed }), rest: bench.scenario.rest, seed });
  const symbols = market.symbols;
  const processes = cfg.fleet?.processes ?? 1;
  const unit = canaryUnit(cfg);
  const notices: string[] = [];
  if (processes === 1 && symbols.length === 1) notices.push(`one process and one symbol (${symbols[0]}): no ${unit} to split, so every step runs the cache on all traffic with the uncached path in shadow on the same ticks as the control (shadow-style)`);
  else if (unit === 'process' && processes === 1) notices.push('canary.unit process with one process: a share of one process is all of it, so every step runs the cache on all traffic with the uncached path in shadow as the control (shadow-style); use canary.unit: symbol to split by symbol');
  else if (unit === 'symbol' && symbols.length === 1) notices.push(`canary.unit symbol with one symbol (${symbols[0]}): every step is all traffic with a shadow control; with fleet.processes > 1 use canary.unit: process`);
  if (processes > 1 && bench.mdCache.policy === 'ws_book') throw new UsageError('canary with fleet.processes > 1: md_cache.policy ws_book is not supported (its books follow one process\'s feed); use one process or another policy');
  const sets = steps.map((s) => canarySet(symbols, s));
  const counts = steps.map((s) => canaryProcessCount(processes, s));
  let rolledBack = false;
  const stepOf = (t: number): number => Math.min(steps.length - 1, Math.floor(t / stepMs));
  // More than one process: each quotes every symbol under its own key (own cache entries, own tick streams).
  const simMarket = processes > 1 ? processMarket(market, processes) : market;
  const inCanary = (key: string, step: number): boolean => {
    if (processes === 1) return sets[step]!.has(key);
    const { process, symbol } = splitProcessKey(key);
    return unit === 'process' ? process < counts[step]! : sets[step]!.has(symbol);
  };
  const everything = (step: number): boolean => (unit === 'process' && processes > 1 ? counts[step] === processes : sets[step]!.size === symbols.length);
  // fleet.shared: the canary processes' caches share one simulated L2 tier — in virtual time, as bench's fleet
  // simulation (its faults are scheduled on the run's clock; a real-clock run would wait for them).
  const sharedSpec = processes > 1 && !realClock ? cfg.fleet?.shared : undefined;
  if (processes > 1 && realClock && cfg.fleet?.shared) notices.push('fleet.shared is a simulated tier, used in virtual time only: this real-clock canary runs each process with its own cache');
  const shared = sharedSpec ? processSharedTier({ clock, processes, spec: sharedSpec, seed, bookTtlMs: bench.mdCache.max_stale_ms }).tier : undefined;
  const sim = new Simulation({
    ...(shared ? { shared } : {}),
    clock,
    market: simMarket,
    pipeline: bench.pipeline,
    // One cache holds every process's keys: its bound is per process.
    mdCache: processes > 1 ? { ...bench.mdCache, max_symbols: bench.mdCache.max_symbols * processes } : bench.mdCache,
    seed,
    durationMs: steps.length * stepMs,
    windowMs,
    signal: o.signal,
    onProgress: o.onProgress,
    restWeights: bench.scenario.rest.weights,
    route: (key, t) => {
      if (rolledBack) return { uncached: true, cached: false };
      const step = stepOf(t);
      if (!inCanary(key, step)) return { uncached: true, cached: false };
      return { uncached: everything(step), cached: true };
    },
  });
  const conditions: GateSpec[] = [...ROLLBACK_GATES, ...(cfg.canary.rollback_gates ?? [])];
  const stepsOut: CanaryStep[] = [];
  let outcome: CanaryOutcome = 'promoted';
  let reason = '';
  let prevStats: CacheStats | undefined;
  const stageNames = bench.pipeline.stages.map((s) => s.name);
  for (let i = 0; i < steps.length; i++) {
    const start = i * stepMs;
    const end = start + stepMs;
    await sim.runUntil(end);
    if (sim.now < end) {
      outcome = 'halted';
      reason = `interrupted during step ${i + 1} (${steps[i]} %)`;
      break;
    }
    const statsNow = sim.cache.stats();
    // Build the step's view: windows [start, end) of both groups.
    const out = { uncached: sim.uncachedRec, cached: sim.cachedRec, refreshLatency: sim.refreshLatency, cacheStats: statsNow, windowCount: Math.ceil(end / windowMs), ranMs: end, interrupted: false };
    const stepResults = buildResults({
      run: { ...o.run, started_at: started, wall_ms: 0, clock: realClock ? 'real' : 'virtual' },
      scenario: { name: bench.scenario.name },
      seed,
      durationMs: stepMs,
      windowMs,
      stageNames,
      sim: out,
      fromWindow: Math.floor(start / windowMs),
      toWindow: Math.ceil(end / windowMs),
      cacheStats: diffStats(statsNow, prevStats),
    });
    prevStats = statsNow;
    const ev: GateEvaluation = evaluateGates(stepResults, conditions, { seed: `${seed}/canary/${i}` });
    const breached = ev.gates.filter((g) => g.status === 'pass');
    const unsure = ev.gates.filter((g) => g.status === 'inconclusive');
    const decision: CanaryStep['decision'] = breached.length > 0 ? 'breach' : unsure.length > 0 ? 'inconclusive' : 'healthy';
    const set = sets[i]!;
    const byProcess = unit === 'process' && processes > 1;
    const procs = Array.from({ length: processes }, (_, k) => k);
    const u = stepResults.paths.uncached.fetch_md_ms.p95;
    const c = stepResults.paths.cached.fetch_md_ms.p95;
    stepsOut.push({
      index: i + 1,
      share_pct: steps[i]!,
      start_ms: start,
      end_ms: end,
      canary_symbols: byProcess ? [...symbols] : symbols.filter((s) => set.has(s)),
      control_symbols: byProcess ? (counts[i]! < processes ? [...symbols] : []) : symbols.filter((s) => !set.has(s)),
      shadow_control: everything(i),
      ...(byProcess ? { canary_processes: procs.filter((k) => k < counts[i]!), control_processes: procs.filter((k) => k >= counts[i]!) } : {}),
      metrics: {
        hit_ratio: stepResults.paths.cached.cache!.hit_ratio,
        canary_fetch_md_p95: c,
        control_fetch_md_p95: u,
        fetch_md_p95_regression_pct: u > 0 ? Math.round(((c - u) / u) * 100_000) / 1000 : 0,
        canary_ticks: stepResults.paths.cached.ticks,
        control_ticks: stepResults.paths.uncached.ticks,
        canary_rest_requests: stepResults.paths.cached.rest?.requests ?? 0,
        canary_rest_weight: stepResults.paths.cached.rest?.weight ?? 0,
      },
      conditions: ev.gates,
      decision,
    });
    if (decision === 'breach') {
      rolledBack = true;
      outcome = 'rolled_back';
      reason = `step ${i + 1} (${steps[i]} %): ${breached.map((g) => `${g.name} (value ${fmt(g.value)}, 95% interval [${fmt(g.ci[0])}, ${fmt(g.ci[1])}])`).join('; ')}`;
      break;
    }
    if (decision === 'inconclusive') {
      outcome = 'halted';
      reason = `step ${i + 1} (${steps[i]} %): the data cannot decide ${unsure.map((g) => g.name).join(', ')}; holding at ${steps[i]} % for a human (run the step longer)`;
      break;
    }
  }
  const finished = await sim.finish();
  const sh = finished.cacheStats.shared;
  await shared?.close();
  if (outcome === 'promoted') reason = `all ${steps.length} steps healthy: ${steps.join(' % → ')} %`;
  const timeline: TimelinePoint[] = [];
  const covered = stepsOut.length * stepMs;
  const uw = finished.uncached.windows(Math.ceil(covered / windowMs));
  const cw = finished.cached.windows(Math.ceil(covered / windowMs));
  for (let w = 0; w < uw.length; w++) {
    const start = w * windowMs;
    const c = cw[w]!;
    timeline.push({
      start_ms: start,
      share_pct: steps[stepOf(start)]!,
      hit_ratio: c.gets ? Math.round(((c.hits ?? 0) / c.gets) * 1e6) / 1e6 : null,
      canary_fetch_md_p95: c.ticks ? c.fetch_md_p95 : null,
      control_fetch_md_p95: uw[w]!.ticks ? uw[w]!.fetch_md_p95 : null,
    });
  }
  return {
    schema: CANARY_SCHEMA,
    run: { ...o.run, started_at: started, wall_ms: Math.round(hostElapsedMs() - t0), clock: realClock ? 'real' : 'virtual', ...(o.signal?.aborted ? { interrupted: true } : {}) },
    scenario: { name: bench.scenario.name, description: bench.scenario.description, symbol_count: symbols.length, ...(processes > 1 ? { processes } : {}), ...(sharedSpec ? { fleet_shared: sharedSpec } : {}), md_cache: bench.mdCache, pipeline: bench.pipeline, rollback_gates: conditions },
    seed,
    steps_planned: steps,
    unit,
    processes,
    notices,
    step_duration_ms: stepMs,
    window_ms: windowMs,
    outcome,
    reason,
    final_share_pct: outcome === 'promoted' ? 100 : outcome === 'rolled_back' ? 0 : stepsOut[stepsOut.length - 1]?.share_pct ?? 0,
    steps: stepsOut,
    timeline,
    ...(sh ? { shared: { l2_hits: sh.l2Hits, l2_misses: sh.l2Misses, lease_wins: sh.leaseWins, lease_waits: sh.leaseWaits, lease_timeouts: sh.leaseTimeouts, errors: sh.errors, fallbacks: sh.fallbacks } } : {}),
  };
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}
