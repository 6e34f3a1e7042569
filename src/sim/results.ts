/** Assembles the `mdcache.results/v1` document from a simulation's recorders. */
import type { CacheStats } from '../cache/types.js';
import { RESULTS_SCHEMA, type CacheResult, type Results, type RunInfo, type SharedTierResult } from '../results/types.js';
import type { SimulationOutput } from './simulate.js';
import { round6, type PathRecorder } from './recorder.js';
import { restSaving } from './rest-meter.js';
import type { WindowedHistogram } from '../metrics/windowed.js';

export interface ResultsInput<B> {
  run: RunInfo;
  scenario: Record<string, unknown>;
  seed: number;
  durationMs: number;
  windowMs: number;
  stageNames: readonly string[];
  sim: SimulationOutput<B>;
  /** Only windows [fromWindow, toWindow) (a canary step); default: the whole run. */
  fromWindow?: number;
  toWindow?: number;
  /** Cache stats to report (default: sim.cacheStats; a canary step passes the step's difference). */
  cacheStats?: CacheStats;
}

function cacheResult<B>(rec: PathRecorder<B>, refreshLatency: WindowedHistogram, stats: CacheStats, from: number, to: number): CacheResult {
  const w = rec.windows(to, from);
  let gets = 0, fresh = 0, stale = 0, misses = 0;
  for (const x of w) {
    gets += x.gets ?? 0;
    fresh += x.fresh ?? 0;
    stale += x.stale ?? 0;
    misses += x.misses ?? 0;
  }
  const ratio = (n: number): number => (gets > 0 ? round6(n / gets) : 0);
  const invalidations: Record<string, number> = {};
  for (const k of Object.keys(stats.invalidations).sort()) invalidations[k] = stats.invalidations[k]!;
  return {
    hit_ratio: ratio(fresh + stale),
    fresh_ratio: ratio(fresh),
    stale_ratio: ratio(stale),
    miss_ratio: ratio(misses),
    gets,
    refreshes: stats.refreshes,
    refreshes_per_tick: gets > 0 ? round6(stats.refreshes / gets) : 0,
    refresh_failures: stats.refreshFailures,
    evictions: stats.evictions,
    invalidations,
    staleness_ms: rec.staleness.summary(from, to),
    tob_error_ticks: rec.tobError.summary(from, to),
    refresh_latency_ms: refreshLatency.summary(from, to),
    ...(stats.shared ? { shared: sharedResult(stats.shared) } : {}),
  };
}

function sharedResult(s: NonNullable<CacheStats['shared']>): SharedTierResult {
  return {
    l2_hits: s.l2Hits,
    l2_misses: s.l2Misses,
    lease_wins: s.leaseWins,
    lease_waits: s.leaseWaits,
    lease_timeouts: s.leaseTimeouts,
    writes_refused: s.writesRefused,
    errors: s.errors,
    fallbacks: s.fallbacks,
    resyncs: s.resyncs,
    rtt_ms: { ...s.rttMs },
  };
}

export function buildResults<B>(i: ResultsInput<B>): Results {
  const { sim } = i;
  const from = i.fromWindow ?? 0;
  const to = i.toWindow ?? sim.windowCount;
  const range = from === 0 && to === sim.windowCount ? [0, Infinity] : [from, to];
  const cached = sim.cached.result(i.stageNames, range[0], range[1]);
  cached.cache = cacheResult(sim.cached, sim.refreshLatency, i.cacheStats ?? sim.cacheStats, from, to);
  const uncached = sim.uncached.result(i.stageNames, range[0], range[1]);
  const saving = uncached.rest && cached.rest ? restSaving(uncached.rest, cached.rest) : undefined;
  if (saving !== undefined) cached.rest!.saving = saving;
  if (sim.droppedAtEnd) {
    uncached.dropped_at_end = sim.droppedAtEnd.uncached;
    cached.dropped_at_end = sim.droppedAtEnd.cached;
  }
  const results: Results = {
    schema: RESULTS_SCHEMA,
    run: i.run,
    scenario: i.scenario,
    seed: i.seed,
    duration_ms: i.durationMs,
    paths: { uncached, cached },
    windows: { window_ms: i.windowMs, uncached: sim.uncached.windows(to, from), cached: sim.cached.windows(to, from) },
    spectra: {
      fetch_md_ms: { uncached: sim.uncached.fetchMd.spectrum(), cached: sim.cached.fetchMd.spectrum() },
      tick_total_ms: { uncached: sim.uncached.tickTotal.spectrum(), cached: sim.cached.tickTotal.spectrum() },
    },
    histograms: Object.fromEntries(recordedHistograms(sim).map((h) => [h.name, `${h.name}.hlog`])),
    ...(sim.schedulerLatenessMs ? { scheduler_lateness_ms: sim.schedulerLatenessMs } : {}),
  };
  // Named arms: each under its own name too (the first one's figures are `cached`'s).
  for (const [k, arm] of (sim.arms ?? []).entries()) {
    const p = k === 0 ? cached : arm.rec.result(i.stageNames, range[0], range[1]);
    if (k > 0) p.cache = cacheResult(arm.rec, arm.refreshLatency, arm.cacheStats, from, to);
    if (k > 0 && sim.droppedAtEnd?.arms) p.dropped_at_end = sim.droppedAtEnd.arms[k];
    results.paths[arm.name] = p;
    if (k > 0 && results.paths.uncached.rest && p.rest) {
      const saving = restSaving(results.paths.uncached.rest, p.rest);
      if (saving !== undefined) p.rest.saving = saving;
    }
    results.windows[arm.name] = k === 0 ? results.windows.cached : arm.rec.windows(to, from);
    results.spectra.fetch_md_ms![arm.name] = arm.rec.fetchMd.spectrum();
    results.spectra.tick_total_ms![arm.name] = arm.rec.tickTotal.spectrum();
  }
  if (sim.arms) results.arms = sim.arms.map((a) => ({ name: a.name, md_cache: a.overrides ?? {} }));
  return results;
}

/** Every histogram the run recorded (one `.hlog` file each). */
export function recordedHistograms<B>(sim: SimulationOutput<B>): WindowedHistogram[] {
  const all: WindowedHistogram[] = [];
  for (const rec of [sim.uncached, sim.cached]) {
    all.push(rec.fetchMd, rec.tickTotal, ...rec.stages);
  }
  all.push(sim.cached.staleness, sim.cached.tobError, sim.refreshLatency);
  // Real-clock runs: how late the arrivals started (not a path's; merged exactly like the others).
  if (sim.schedulerLateness) all.push(sim.schedulerLateness);
  // Further arms (the first arm's histograms are the `cached.*` ones above).
  for (const arm of (sim.arms ?? []).slice(1)) all.push(arm.rec.fetchMd, arm.rec.tickTotal, ...arm.rec.stages, arm.rec.staleness, arm.rec.tobError, arm.refreshLatency);
  return all;
}
