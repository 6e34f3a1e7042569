/** `bench` as a library function: run a scenario through both paths and assemble the results document. */
import { RealClock, VirtualClock, ZeroedClock, hostElapsedMs, wallClockEpochMs, wallClockIso, type Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import { MAX_WINDOWS, minWindowMs } from './limits.js';
import type { MarketFeed } from '../market/feed.js';
import type { Results } from '../results/types.js';
import { createMarket, resolveSymbols, withSymbolCount } from '../scenario/scenario.js';
import { renderHlog } from '../metrics/hlog.js';
import { defaultGatesFor, evaluateGates } from '../gates/evaluate.js';
import type { GateSpec } from '../gates/types.js';
import type { Registry } from 'prom-client';
import type { OrderBook } from '../market/book.js';
import type { TickObserver } from '../pipeline/tick-path.js';
import type { BenchScenario } from './bench-scenario.js';
import { feedMarket } from './synthetic-market.js';
import { buildResults, recordedHistograms } from './results.js';
import { simulate, type ArmSpec, type SimMarket, type SimulationOutput } from './simulate.js';
import { mergeShards, runShard, shardIndices } from './shard.js';
import { runPool } from './pool.js';
import { runFleet, type FleetSpec } from './fleet.js';
import type { SharedTier } from '../cache/shared/tier.js';
import type { WindowedHistogram } from '../metrics/windowed.js';

export interface BenchOptions {
  bench: BenchScenario;
  durationMs: number;
  seed?: number;
  symbols?: number;
  realtime?: boolean;
  windowMs?: number;
  /** A feed to use instead of the scenario's generator (e.g. a replay). */
  feed?: MarketFeed;
  /** Gates to evaluate; default: the scenario's, else the defaults. `null` skips evaluation. */
  gates?: readonly GateSpec[] | null;
  run: { id: string; command: string; version: string; host: string };
  onProgress?: (simMs: number) => void;
  /** Registry for the cache's mm_md_* metrics (shadow exposes it on /metrics). */
  registry?: Registry | null;
  /** Stops the run early; results then cover the simulated time that ran (run.interrupted = true). */
  signal?: AbortSignal;
  /**
   * A market to use instead of the scenario's generator or `feed` (e.g. a live exchange over the network,
   * src/net/live-market.ts). Built on the host's real clock before the run starts (the run's clock is a
   * zeroed view of it created afterwards, so connecting and syncing do not count); closed after the run.
   * Implies real time.
   */
  market?: (hostClock: Clock) => Promise<SimMarket<OrderBook> & { close?(): Promise<void> | void; describe?(): Record<string, unknown> }>;
  /** Cached paths to run side by side (default: the scenario's `arms:`, else one `cached` path). */
  arms?: readonly ArmSpec[];
  /**
   * Shard the symbols across this many worker threads (`bench --jobs`); results are identical for any value.
   * Applies to virtual-time runs of the synthetic market without observers or a metrics registry, whose
   * md_cache.max_symbols (every arm's) is at least the symbol count; other runs use one thread. Default: one
   * thread, no sharding.
   */
  jobs?: number;
  /**
   * Extra per-path observers, built once the run's clock exists (shadow divergence), with the histograms they
   * record (per window of `windowMs`, the run's): written as `.hlog` files and listed in results.histograms.
   * `ageOf` is the market's measure of a served book's age (its books' clock may be the host's, not the run's).
   */
  observers?: (clock: Clock, windowMs: number, ageOf: (book: OrderBook) => number) => { uncached?: TickObserver<OrderBook>; cached?: TickObserver<OrderBook>; histograms?: readonly WindowedHistogram[] };
  /** A fleet of processes (default: the scenario's `fleet:`): simulated with and without the shared tier. */
  fleet?: FleetSpec;
  /**
   * The shared (L2) tier under the cached path's cache (md_cache.shared, e.g. a Redis tier), built on the run's
   * clock before the market connects (real-time runs only); closed after the run.
   */
  shared?: (clock: Clock) => Promise<SharedTier<OrderBook> | undefined>;
  /** Stream-name prefix of the tick arrivals and stage draws (a fleet worker process: `p<i>/`). */
  streamPrefix?: string;
}

export interface BenchOutput {
  results: Results;
  /** `.hlog` file name → contents. */
  hlogs: Record<string, string>;
}

export const DEFAULT_WINDOW_MS = 60_000;

/**
 * The default statistics window: a tenth of the run, in whole seconds, between 1 s and 1 minute — so a short
 * run still has ~10 windows for its intervals and a long one has 1-minute windows.
 */
export function defaultWindowMs(durationMs: number): number {
  return Math.max(1000, Math.min(DEFAULT_WINDOW_MS, Math.round(durationMs / 10 / 1000) * 1000), minWindowMs(durationMs));
}


/** A replay feed's warnings (e.g. gaps in its update ids); other feeds have none. */
function replayWarnings(feed: MarketFeed | undefined): readonly string[] {
  const w = (feed as { warnings?: unknown } | undefined)?.warnings;
  return Array.isArray(w) ? (w as string[]) : [];
}

export async function runBench(o: BenchOptions): Promise<BenchOutput> {
  const started = wallClockIso();
  const t0 = hostElapsedMs();
  const seed = o.seed ?? o.bench.scenario.seed;
  const scenario = o.symbols ? withSymbolCount(o.bench.scenario, o.symbols) : o.bench.scenario;
  const windowMs = Math.min(o.windowMs ?? defaultWindowMs(o.durationMs), o.durationMs);
  if (Math.ceil(o.durationMs / windowMs) > MAX_WINDOWS) throw new UsageError(`window ${windowMs} ms makes more than ${MAX_WINDOWS} windows in ${o.durationMs} ms; use at least ${minWindowMs(o.durationMs)} ms`);
  const hostClock = new RealClock();
  const realtime = o.realtime || o.market !== undefined;
  const clock: Clock = realtime ? new ZeroedClock(hostClock) : new VirtualClock(0);
  // The shared tier connects first (a fleet worker then joins the barrier with its tier up), then the market.
  const shared = await o.shared?.(clock);
  const live = o.market
    ? await o.market(hostClock).catch(async (err: unknown) => {
        await shared?.close();
        throw err;
      })
    : undefined;
  // The .hlog StartTime: the real moment the run's clock started (epoch s) on the real clock; 0 in virtual time (deterministic files).
  const hlogStartSec = realtime ? wallClockEpochMs() / 1000 : 0;
  const feed = o.feed ?? createMarket(scenario, { seed });
  const market = live ?? feedMarket({ clock, feed, rest: scenario.rest, seed });
  const arms = o.arms ?? o.bench.arms;
  const symbolCount = o.feed ? feed.instruments.length : resolveSymbols(scenario).length;
  // Sharding is exact only where symbols are independent (see shard.ts): not with an LRU bound below the
  // symbol count, a shared REST rate limit, or ws_book arms (their books follow the shared feed's timing).
  const configs = [o.bench.mdCache, ...(arms ?? []).map((a) => a.mdCache)];
  const independent = configs.every((c) => c.max_symbols >= symbolCount && c.policy !== 'ws_book') && !scenario.rest.rate_limit;
  const shards = o.jobs !== undefined && !realtime && !o.feed && !o.observers && !o.registry && independent ? shardIndices(symbolCount, o.jobs) : [];
  const observers = o.observers?.(clock, windowMs, (b) => market.quality.ageMs(b));
  let sim: SimulationOutput<OrderBook>;
  let workers: { jobs: number; shards: number; peakHeapMb: number } | undefined;
  if (shards.length > 1) {
    const input = { bench: o.bench, symbols: o.symbols, seed, durationMs: o.durationMs, windowMs, ...(arms && arms.length > 0 ? { arms } : {}) };
    let done = 0;
    const { outputs, stats } = await runPool(
      shards.map((indices) => ({ kind: 'shard' as const, input: { ...input, indices } })),
      { jobs: o.jobs, inline: runShard, ...(o.signal ? { signal: o.signal } : {}), onDone: () => o.onProgress?.((o.durationMs * ++done) / shards.length) },
    );
    sim = mergeShards(outputs, input);
    workers = { jobs: o.jobs!, shards: shards.length, peakHeapMb: stats.peakHeapMb };
  } else {
    sim = await simulate({
      ...(shared ? { shared } : {}),
      ...(o.streamPrefix ? { streamPrefix: o.streamPrefix } : {}),
      clock,
      market,
      pipeline: o.bench.pipeline,
      mdCache: o.bench.mdCache,
      ...(arms && arms.length > 0 ? { arms } : {}),
      seed,
      durationMs: o.durationMs,
      windowMs,
      onProgress: o.onProgress,
      registry: o.registry,
      signal: o.signal,
      observers,
      restWeights: scenario.rest.weights,
      restBudgetPerMin: scenario.rest.budget?.weight_per_min,
    }).finally(async () => {
      await shared?.close();
      await live?.close?.();
    });
  }
  const resolved: Record<string, unknown> = {
    name: scenario.name,
    description: scenario.description,
    source: o.feed ? 'replay' : 'synthetic',
    symbol_count: o.feed ? feed.instruments.length : resolveSymbols(scenario).length,
    symbols: o.feed ? feed.instruments.map((i) => i.symbol) : scenario.symbols,
    market: scenario.market,
    rest: scenario.rest,
    pipeline: o.bench.pipeline,
    md_cache: o.bench.mdCache,
    ...(arms && arms.length > 0 ? { arms: arms.map((a) => ({ name: a.name, md_cache: a.overrides ?? {} })) } : {}),
    ...(scenario.gates !== undefined && scenario.gates !== null ? { gates: scenario.gates } : {}),
    ...(replayWarnings(o.feed).length > 0 ? { replay_warnings: replayWarnings(o.feed) } : {}),
    ...(live ? { symbol_count: live.symbols.length, symbols: live.symbols, ...live.describe?.() } : {}),
  };
  const results = buildResults({
    run: { ...o.run, started_at: started, wall_ms: 0, clock: realtime ? 'real' : 'virtual', ...(sim.interrupted ? { interrupted: true } : {}), ...(workers ? { shards: workers.shards, worker_peak_heap_mb: workers.peakHeapMb } : {}) },
    scenario: resolved,
    seed,
    durationMs: Math.round(sim.ranMs),
    windowMs,
    stageNames: o.bench.pipeline.stages.map((s) => s.name),
    sim,
  });
  const fleet = o.fleet ?? o.bench.fleet;
  if (fleet && !realtime && !o.signal?.aborted) results.fleet = await runFleet({ bench: o.bench, scenario, seed, durationMs: Math.round(sim.ranMs), windowMs, fleet });
  if (o.gates !== null) {
    const ev = evaluateGates(results, o.gates ?? o.bench.gates ?? defaultGatesFor(results));
    results.gates = ev.gates;
    results.verdict = ev.verdict;
    for (const a of ev.arms ?? []) {
      const r = results.arms?.find((x) => x.name === a.name);
      if (r) r.verdict = a.verdict;
    }
  }
  const hlogs: Record<string, string> = {};
  for (const h of observers?.histograms ?? []) results.histograms[h.name] = `${h.name}.hlog`;
  for (const h of [...recordedHistograms(sim), ...(observers?.histograms ?? [])]) hlogs[`${h.name}.hlog`] = renderHlog(h, hlogStartSec, `mdcache ${h.name}: values in ${h.scale === 1000 ? 'microseconds' : 'exchange ticks'}, one interval per ${windowMs / 1000} s window`);
  results.run.wall_ms = Math.round(hostElapsedMs() - t0);
  return { results, hlogs };
}
