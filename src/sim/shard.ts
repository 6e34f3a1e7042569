/**
 * Sharding a bench across worker threads (`bench --jobs N`). In the simulation every symbol is independent of
 * the others: its market has its own random streams, its REST draws and retry jitter come from per-symbol
 * streams, its silence (ws_gap) is checked only at its own points, and the market is brought up to date
 * before each of its gets — so a symbol's ticks are the same whichever symbols run beside it. Symbols are
 * dealt round-robin into shards; each shard is a full simulation of its symbols on its own VirtualClock; the
 * shards' histograms (HDR, per window) and counters are added exactly. The cache's LRU bound couples symbols
 * (an eviction depends on the others), so a run whose max_symbols is below its symbol count is one shard.
 */
import { VirtualClock } from '../core/clock.js';
import type { CacheStats } from '../cache/types.js';
import { MarketSim } from '../market/sim.js';
import { resolveSymbols, withSymbolCount } from '../scenario/scenario.js';
import { WindowedHistogram, type SerializedWindows } from '../metrics/windowed.js';
import type { BenchScenario } from './bench-scenario.js';
import { PathRecorder, type SerializedRecorder } from './recorder.js';
import { feedMarket } from './synthetic-market.js';
import { simulate, type ArmSpec, type SimulationOutput } from './simulate.js';
import type { OrderBook } from '../market/book.js';

export interface ShardInput {
  bench: BenchScenario;
  /** Symbol count override (bench --symbols). */
  symbols?: number;
  /** Indices (into the scenario's resolved symbol list) of this shard's symbols. */
  indices: number[];
  seed: number;
  durationMs: number;
  windowMs: number;
  arms?: readonly ArmSpec[];
}

export interface ShardOutput {
  windowCount: number;
  ranMs: number;
  interrupted: boolean;
  uncached: SerializedRecorder;
  arms: { name: string; rec: SerializedRecorder; refreshLatency: SerializedWindows; cacheStats: CacheStats }[];
}

/** Runs one shard (its symbols only) to the end and returns its recorders in clonable form. */
export async function runShard(i: ShardInput, sample?: (simMs?: number) => void, signal?: AbortSignal): Promise<ShardOutput> {
  const scenario = i.symbols ? withSymbolCount(i.bench.scenario, i.symbols) : i.bench.scenario;
  const all = resolveSymbols(scenario);
  const clock = new VirtualClock(0);
  const feed = new MarketSim({ seed: i.seed, symbols: i.indices.map((k) => all[k]!), market: scenario.market });
  const market = feedMarket({ clock, feed, rest: scenario.rest, seed: i.seed });
  const sim = await simulate({
    clock,
    market,
    pipeline: i.bench.pipeline,
    mdCache: i.bench.mdCache,
    ...(i.arms && i.arms.length > 0 ? { arms: i.arms } : {}),
    seed: i.seed,
    durationMs: i.durationMs,
    windowMs: i.windowMs,
    onProgress: sample,
    restWeights: scenario.rest.weights,
    ...(signal ? { signal } : {}),
  });
  return serializeOutput(sim, i.bench.mdCache);
}

/** A simulation's recorders in clonable (JSON-safe) form; mergeShards adds several back exactly. */
export function serializeOutput(sim: SimulationOutput<OrderBook>, mdCache: BenchScenario['mdCache']): ShardOutput {
  const arms = sim.arms ?? [{ name: 'cached', mdCache, rec: sim.cached, refreshLatency: sim.refreshLatency, cacheStats: sim.cacheStats }];
  return {
    windowCount: sim.windowCount,
    ranMs: sim.ranMs,
    interrupted: sim.interrupted,
    uncached: sim.uncached.serialize(),
    arms: arms.map((a) => ({ name: a.name, rec: a.rec.serialize(), refreshLatency: a.refreshLatency.serialize(), cacheStats: a.cacheStats })),
  };
}

/** Deals `count` symbol indices round-robin into at most `shards` non-empty shards. */
export function shardIndices(count: number, shards: number): number[][] {
  const n = Math.max(1, Math.min(shards, count));
  const out: number[][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < count; k++) out[k % n]!.push(k);
  return out;
}

function addStats(a: CacheStats, b: CacheStats): CacheStats {
  const out = { ...a } as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(b)) {
    if (typeof v === 'number') out[k] = ((out[k] as number | undefined) ?? 0) + v;
    else if (v && typeof v === 'object') {
      const inner = { ...((out[k] as Record<string, number> | undefined) ?? {}) };
      for (const [kk, vv] of Object.entries(v as Record<string, number>)) if (typeof vv === 'number') inner[kk] = (inner[kk] ?? 0) + vv;
      out[k] = inner;
    }
  }
  return out as unknown as CacheStats;
}

/**
 * Adds the shards' recordings into one SimulationOutput (shards in order; every figure is a sum of counts or
 * of HDR histograms, so the result does not depend on how the symbols were split).
 */
export function mergeShards(shards: readonly ShardOutput[], i: Pick<ShardInput, 'bench' | 'windowMs' | 'arms'>): SimulationOutput<OrderBook> {
  const stageNames = i.bench.pipeline.stages.map((s) => s.name);
  const deadline = i.bench.pipeline.deadline_ms;
  const noQuality = { ageMs: () => 0, tobErrorTicks: () => 0 };
  const weights = i.bench.scenario.rest.weights;
  const uncached = new PathRecorder<OrderBook>('uncached', i.windowMs, deadline, stageNames, noQuality, false, weights);
  const first = shards[0]!;
  const named = i.arms !== undefined && i.arms.length > 0;
  const arms = first.arms.map((a, k) => {
    const rec = new PathRecorder<OrderBook>(k === 0 ? 'cached' : a.name, i.windowMs, deadline, stageNames, noQuality, true, weights);
    const refreshLatency = new WindowedHistogram(`${k === 0 ? 'cached' : a.name}.refresh_latency`, i.windowMs, 1000);
    let cacheStats: CacheStats | undefined;
    for (const s of shards) {
      const sa = s.arms[k]!;
      rec.absorb(sa.rec);
      refreshLatency.absorb(sa.refreshLatency);
      cacheStats = cacheStats ? addStats(cacheStats, sa.cacheStats) : { ...sa.cacheStats };
    }
    const spec = i.arms?.[k];
    return { name: a.name, mdCache: spec?.mdCache ?? i.bench.mdCache, overrides: spec?.overrides, rec, refreshLatency, cacheStats: cacheStats! };
  });
  for (const s of shards) uncached.absorb(s.uncached);
  const ranMs = Math.max(...shards.map((s) => s.ranMs));
  for (const rec of [uncached, ...arms.map((a) => a.rec)]) rec.rest.end(ranMs);
  const a0 = arms[0]!;
  return {
    uncached,
    cached: a0.rec,
    refreshLatency: a0.refreshLatency,
    cacheStats: a0.cacheStats,
    ...(named ? { arms } : {}),
    windowCount: Math.max(...shards.map((s) => s.windowCount)),
    ranMs,
    interrupted: shards.some((s) => s.interrupted),
  };
}
