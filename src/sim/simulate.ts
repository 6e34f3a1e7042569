/**
 * Runs the tick pipeline through the uncached path and one cached path per *arm* (a cache configuration;
 * one arm, `cached`, by default) on the *same* workload: the same market, the same tick times and the same
 * stage-latency draws (each drawn once per tick from its own seeded stream and handed to every path). Every
 * arm has its own MDCache, REST source and invalidator; arm REST sources share one latency stream
 * (common random numbers: the n-th request of every arm draws the same latency), so arm differences come
 * from the cache configuration, not from luck. Works on a VirtualClock (seconds for a 30-minute run) or a
 * RealClock (live-like). `Simulation` runs in segments (canary steps, progress, interruption).
 */
import type { Registry } from 'prom-client';
import type { Percentiles } from '../results/types.js';
import type { Clock } from '../core/clock.js';
import { VirtualClock, ZeroedClock, abortError } from '../core/clock.js';
import { rngStream, type Rng } from '../core/rng.js';
import { MDCache } from '../cache/md-cache.js';
import type { BookFeed, CacheStats, Invalidatable } from '../cache/types.js';
import { UsageError } from '../core/errors.js';
import type { MdCacheConfig } from '../config/md-cache.js';
import { latencySampler } from '../market/latency.js';
import { WindowedHistogram } from '../metrics/windowed.js';
import type { PipelineConfig } from '../pipeline/config.js';
import { arrivalIntervals } from '../pipeline/arrivals.js';
import { CatchUpScheduler, TimerChainScheduler, type ArrivalScheduler } from '../pipeline/scheduler.js';
import { cachedFetch, uncachedFetch, type SnapshotSource } from '../pipeline/fetch-md.js';
import { TickPath, type TickObserver, type Tick } from '../pipeline/tick-path.js';
import { PathRecorder, type BookQuality } from './recorder.js';
import { meteredSource } from './rest-meter.js';
import { DEFAULT_WEIGHT_BUDGET_PER_MIN, type RestWeightStep } from '../market/rest-cost.js';
import { exposeRestMetrics } from '../metrics/rest-metrics.js';
import type { SharedTier } from '../cache/shared/tier.js';

/** What the simulation needs from a market (synthetic generator, replay, or a live exchange). */
export interface SimMarket<B> {
  readonly symbols: readonly string[];
  /** Brings the symbol's feed up to time t (delivering its events to listeners such as the invalidator). */
  advanceTo(symbol: string, t: number): void;
  /**
   * A REST snapshot source for one path; the uncached and cached paths have their own latency/error draws.
   * Called once per arm with the arm's name (`arm` undefined for the uncached path and a lone `cached` arm);
   * each call for a different arm should return a new source (arms never share a source's state).
   */
  source(path: 'uncached' | 'cached', arm?: string): SnapshotSource<B>;
  quality: BookQuality<B>;
  /** Connects the feed to the cache's invalidation; returns a detach function. */
  attachInvalidator(cache: Invalidatable<B>, cfg: MdCacheConfig): () => void;
  /**
   * For md_cache.policy ws_book: a book feed keeping each symbol's book from the market's diff stream, taking
   * its (re)sync snapshots from `snapshots` (the arm's REST source, so they count as that path's requests).
   */
  bookFeed?(snapshots: SnapshotSource<B>, clock: Clock): BookFeed<B> & { detach(): void };
  /** A live venue's last reported used weight of its rolling minute (`X-MBX-USED-WEIGHT-1M`), for /metrics. */
  usedWeight1m?(): { venue: string; weight: number } | undefined;
}

/** Which paths a tick goes to (canary routing; `cached` covers every arm); default: all. */
export type Route = (symbol: string, scheduledAt: number) => { uncached: boolean; cached: boolean };

/** One cached path: a name (`cached` for the lone default arm) and its cache configuration. */
export interface ArmSpec {
  name: string;
  mdCache: MdCacheConfig;
  /** The md_cache keys this arm overrides (reported in results.json `arms[]`). */
  overrides?: Record<string, unknown>;
}

export interface SimulationOptions<B> {
  clock: Clock;
  market: SimMarket<B>;
  pipeline: PipelineConfig;
  /** The cached path's configuration when `arms` is not given (and arms[0]'s otherwise). */
  mdCache: MdCacheConfig;
  /** Cached paths to run side by side (default: one arm `cached` with `mdCache`). The first is `cached`. */
  arms?: readonly ArmSpec[];
  seed: number;
  durationMs: number;
  windowMs: number;
  /** Called with simulated time as the run progresses (about every 1 % of the duration). */
  onProgress?: (simMs: number) => void;
  /** Registry for the cache's mm_md_* metrics (default: none). */
  registry?: Registry | null;
  route?: Route;
  /** Extra observers (e.g. shadow divergence) called after each path's recorder (`cached`: the first arm). */
  observers?: { uncached?: TickObserver<B>; cached?: TickObserver<B> };
  /** Aborting stops new ticks; ticks already running finish and the results cover the time run. */
  signal?: AbortSignal;
  /** The venue's REST weight schedule for the REST cost of each path (default: Binance spot depth weights). */
  restWeights?: readonly RestWeightStep[];
  /** The shared (L2) tier under the first arm's cache (md_cache.shared; a worker process of a fleet). */
  shared?: SharedTier<B>;
  /**
   * Prefix of the tick-arrival and stage-latency stream names (default none). Worker processes of a fleet use
   * `p<i>/` so that, on the same seed, each process ticks on its own arrivals (as in the simulated fleet).
   */
  streamPrefix?: string;
  /** The REST weight budget per minute, exposed with the REST metrics (default: Binance spot's 6,000). */
  restBudgetPerMin?: number;
}

/** What one arm recorded. */
export interface ArmOutput<B> {
  name: string;
  mdCache: MdCacheConfig;
  overrides?: Record<string, unknown>;
  rec: PathRecorder<B>;
  refreshLatency: WindowedHistogram;
  cacheStats: CacheStats;
}

export interface SimulationOutput<B> {
  uncached: PathRecorder<B>;
  /** The first arm's recorder (the `cached` path). */
  cached: PathRecorder<B>;
  refreshLatency: WindowedHistogram;
  cacheStats: CacheStats;
  /** Every arm in order (arms[0] is `cached`); absent = the one `cached` arm above. */
  arms?: ArmOutput<B>[];
  windowCount: number;
  /** Simulated time covered (< durationMs when interrupted). */
  ranMs: number;
  interrupted: boolean;
  /** Real-clock runs: ticks still queued when the run ended, per path (dropped, not run). */
  droppedAtEnd?: { uncached: number; cached: number; /** Per arm, in order (arms[0] is `cached`). */ arms: number[] };
  /** Real-clock runs: how late the scheduler started the arrivals (ms). */
  schedulerLatenessMs?: Percentiles;
  /** The same per window (its `.hlog`, so merged runs add it exactly). */
  schedulerLateness?: WindowedHistogram;
}

function tee<B>(a: TickObserver<B>, b: TickObserver<B> | undefined): TickObserver<B> {
  if (!b) return a;
  return {
    fetched: (t, ms, r) => (a.fetched(t, ms, r), b.fetched(t, ms, r)),
    fetchFailed: (t, ms, e) => (a.fetchFailed(t, ms, e), b.fetchFailed(t, ms, e)),
    stage: (t, i, ms) => (a.stage(t, i, ms), b.stage(t, i, ms)),
    done: (t, ms, ok) => (a.done(t, ms, ok), b.done(t, ms, ok)),
    dropped: (t) => (a.dropped(t), b.dropped(t)),
  };
}

interface Arm<B> {
  name: string;
  mdCache: MdCacheConfig;
  overrides?: Record<string, unknown>;
  cache: MDCache<B>;
  rec: PathRecorder<B>;
  refreshLatency: WindowedHistogram;
  path: TickPath<B>;
  detach: () => void;
}

/** The longest simulated step between checks of the abort signal (and progress reports). */
const MAX_STEP_MS = 1000;

export class Simulation<B> {
  /** The first arm's cache (the `cached` path). */
  readonly cache: MDCache<B>;
  readonly uncachedRec: PathRecorder<B>;
  readonly cachedRec: PathRecorder<B>;
  readonly refreshLatency: WindowedHistogram;
  private readonly uncachedPath: TickPath<B>;
  private readonly armList: Arm<B>[];
  private stopAt: number;
  private t = 0;
  /** Exact timers on a VirtualClock; the catch-up scheduler (lateness measured) on a real clock. */
  private readonly scheduler: ArrivalScheduler;

  constructor(private readonly o: SimulationOptions<B>) {
    const { clock, market, pipeline } = o;
    const stageNames = pipeline.stages.map((s) => s.name);
    this.stopAt = o.durationMs;
    const specs: readonly ArmSpec[] = o.arms && o.arms.length > 0 ? o.arms : [{ name: 'cached', mdCache: o.mdCache }];
    const named = o.arms !== undefined && o.arms.length > 0;
    this.uncachedRec = new PathRecorder<B>('uncached', o.windowMs, pipeline.deadline_ms, stageNames, market.quality, undefined, o.restWeights);
    this.armList = specs.map((spec, i) => {
      // The first arm records under `cached` (the contract every consumer reads); the others under their name.
      const rec = new PathRecorder<B>(i === 0 ? 'cached' : spec.name, o.windowMs, pipeline.deadline_ms, stageNames, market.quality, true, o.restWeights);
      const refreshLatency = new WindowedHistogram(`${i === 0 ? 'cached' : spec.name}.refresh_latency`, o.windowMs, 1000);
      // Every request a path's source sends is counted in that path's REST cost.
      const source = meteredSource(market.source('cached', named ? spec.name : undefined), rec.rest, clock);
      // Retry jitter: one stream per symbol (a symbol's retries never depend on other symbols'), the same for every arm.
      const jitter = new Map<string, Rng>();
      const timed: SnapshotSource<B> = {
        fetch: async (symbol, depth, signal) => {
          const t0 = clock.now();
          let book: B;
          try {
            book = await source.fetch(symbol, depth, signal);
          } finally {
            // The market is brought up to date for the symbol before the cache sees the outcome (success,
            // error, timeout or abort), so what the cache does never depends on other symbols' activity.
            market.advanceTo(symbol, clock.now());
          }
          // A refresh aborted (e.g. by an invalidation) as its response arrived is an aborted refresh, the
          // same whether the abort landed just before or just after the response.
          if (signal?.aborted) throw abortError(signal);
          refreshLatency.record(t0, clock.now() - t0);
          return book;
        },
      };
      // ws_book: the arm's books are kept from the market's diff stream; REST (the same source) only to sync.
      const feed = spec.mdCache.policy === 'ws_book' && spec.mdCache.enabled ? market.bookFeed?.(timed, clock) : undefined;
      if (spec.mdCache.policy === 'ws_book' && spec.mdCache.enabled && !feed) throw new UsageError(`md_cache.policy ws_book: this market has no book feed`);
      const cache = new MDCache<B>(spec.mdCache, {
        clock,
        jitterFor: (symbol) => {
          let r = jitter.get(symbol);
          if (!r) jitter.set(symbol, (r = rngStream(o.seed, `md_cache.retry/${symbol}`)));
          return r.next();
        },
        // Only the first arm's cache exports mm_md_* metrics (one registry cannot hold two caches' series).
        registry: i === 0 ? (o.registry ?? null) : null,
        refresh: (symbol, ctx) => timed.fetch(symbol, ctx.depth, ctx), // the context is abort-like: no AbortController
        feed,
        ...(i === 0 && o.shared ? { shared: o.shared } : {}),
      });
      const detach = feed ? () => feed.detach() : market.attachInvalidator(cache, spec.mdCache);
      const observer = i === 0 ? tee(rec, o.observers?.cached) : rec;
      // The market is brought up to date for the symbol before every get (a queued tick gets later than it
      // arrived), so what a get sees never depends on other symbols' activity.
      const fetchMd = cachedFetch(cache);
      const path = new TickPath<B>(
        i === 0 ? 'cached' : spec.name,
        clock,
        (symbol, depth) => {
          market.advanceTo(symbol, clock.now());
          return fetchMd(symbol, depth);
        },
        spec.mdCache.max_depth,
        pipeline.on_busy,
        observer,
      );
      return { name: spec.name, mdCache: spec.mdCache, overrides: spec.overrides, cache, rec, refreshLatency, path, detach };
    });
    const first = this.armList[0]!;
    this.cache = first.cache;
    this.cachedRec = first.rec;
    this.refreshLatency = first.refreshLatency;
    this.uncachedPath = new TickPath<B>('uncached', clock, uncachedFetch(meteredSource(market.source('uncached'), this.uncachedRec.rest, clock)), o.mdCache.max_depth, pipeline.on_busy, tee(this.uncachedRec, o.observers?.uncached));
    // REST cost on /metrics: each path's meter, read at scrape time (mm_md_rest_*).
    if (o.registry) {
      exposeRestMetrics(o.registry, {
        paths: { uncached: this.uncachedRec.rest, cached: first.rec.rest },
        budgetPerMin: o.restBudgetPerMin ?? DEFAULT_WEIGHT_BUDGET_PER_MIN,
        usedWeight1m: market.usedWeight1m ? () => market.usedWeight1m!() : undefined,
      });
    }
    this.scheduler = clock instanceof VirtualClock ? new TimerChainScheduler(clock) : new CatchUpScheduler(clock, o.windowMs);
    // Real time: the run starts now that it is built (its construction is not ticks starting late).
    if (clock instanceof ZeroedClock) clock.restart();
    this.scheduleArrivals();
  }

  /** The arms in order (the first is the `cached` path). */
  get arms(): readonly { name: string; cache: MDCache<B>; rec: PathRecorder<B>; refreshLatency: WindowedHistogram }[] {
    return this.armList;
  }

  /** One arrival chain per symbol; every draw comes from a stream named after its component and symbol. */
  private scheduleArrivals(): void {
    const { clock, market, pipeline, seed } = this.o;
    const prefix = this.o.streamPrefix ?? '';
    for (const symbol of market.symbols) {
      const next = arrivalIntervals(pipeline.ticks, rngStream(seed, `${prefix}ticks/${symbol}`));
      const stageDraws = pipeline.stages.map((s) => latencySampler(s.latency, rngStream(seed, `${prefix}stage/${s.name}/${symbol}`)));
      const arrive = (at: number): number | undefined => {
        // No tick starts after an abort (the real-clock run would otherwise keep measuring until its next step).
        if (this.o.signal?.aborted) this.stopAt = Math.min(this.stopAt, this.t);
        if (at >= this.stopAt) return undefined;
        const stageMs = stageDraws.map((draw) => draw());
        market.advanceTo(symbol, clock.now());
        const tick: Tick = { symbol, scheduledAt: at, stageMs };
        const route = this.o.route?.(symbol, at);
        if (!route || route.uncached) this.uncachedPath.arrive(tick);
        if (!route || route.cached) for (const arm of this.armList) arm.path.arrive(tick);
        const following = at + next();
        return following < this.stopAt ? following : undefined;
      };
      const first = next();
      if (first < this.stopAt) this.scheduler.add(first, arrive);
    }
  }

  get now(): number {
    return this.t;
  }

  /** Runs simulated time up to `target` (virtual) or waits for it (real), reporting progress. */
  async runUntil(target: number): Promise<void> {
    const { clock } = this.o;
    const end = Math.min(target, this.stopAt);
    // Steps of 1 % of the run, at most one simulated second: the abort signal is checked at least that often
    // (and a real-clock sleep wakes on it at once).
    const step = Math.max(1, Math.min(MAX_STEP_MS, this.o.durationMs / 100));
    const signal = this.o.signal;
    while (this.t < end) {
      if (signal?.aborted) {
        this.stopAt = this.t;
        return;
      }
      const next = Math.min(end, this.t + step);
      if (clock instanceof VirtualClock) await clock.advanceTo(next);
      else await clock.sleep(next - clock.now(), signal).catch(() => undefined);
      if (signal?.aborted && !(clock instanceof VirtualClock)) {
        // Woken by the abort: the run covers the time up to now, and no tick after the signal starts.
        this.t = Math.min(next, Math.max(this.t, clock.now()));
        this.stopAt = this.t;
        this.o.onProgress?.(this.t);
        return;
      }
      this.t = Math.min(next, Math.max(this.t, clock.now()));
      this.o.onProgress?.(this.t);
    }
  }

  /** Stops new ticks, lets running ones finish (their latency counts), and returns the recorders. */
  async finish(): Promise<SimulationOutput<B>> {
    const { clock } = this.o;
    const interrupted = Boolean(this.o.signal?.aborted) && this.t < this.o.durationMs;
    this.stopAt = Math.min(this.stopAt, this.t);
    const paths = [this.uncachedPath, ...this.armList.map((a) => a.path)];
    let droppedAtEnd: SimulationOutput<B>['droppedAtEnd'];
    if (clock instanceof VirtualClock) {
      // Every symbol's market events up to the stop time reach the invalidators now, and none after it: the
      // ticks still running finish without further invalidations, so what is counted never depends on which
      // other symbols' ticks were still draining (exact sharding).
      for (const symbol of this.o.market.symbols) this.o.market.advanceTo(symbol, this.t);
      for (const arm of this.armList) arm.detach();
      await clock.runUntilIdle();
    } else {
      // Real time: the run ends with its duration. Arrivals already due start; ticks still queued behind a
      // busy symbol (on_busy: queue) are dropped and counted, not waited for; running ticks finish.
      this.scheduler.stop(this.stopAt);
      const [uncached, ...arms] = paths.map((p) => p.dropQueued());
      droppedAtEnd = { uncached: uncached!, cached: arms[0]!, arms };
      // The ticks already running finish (their latency counts); a failed tick ends the wait (it is rethrown).
      while (paths.some((p) => p.pending > 0) && paths.every((p) => p.failure === undefined)) {
        await Promise.race(paths.filter((p) => p.pending > 0).map((p) => p.settled()));
      }
      for (const arm of this.armList) arm.detach();
    }
    for (const path of paths) if (path.failure !== undefined) throw path.failure;
    const ranMs = this.t;
    for (const rec of [this.uncachedRec, ...this.armList.map((a) => a.rec)]) rec.rest.end(ranMs);
    const arms = this.armList.map((a) => ({ name: a.name, mdCache: a.mdCache, overrides: a.overrides, rec: a.rec, refreshLatency: a.refreshLatency, cacheStats: a.cache.stats() }));
    return {
      uncached: this.uncachedRec,
      cached: this.cachedRec,
      refreshLatency: this.refreshLatency,
      cacheStats: arms[0]!.cacheStats,
      ...(this.o.arms && this.o.arms.length > 0 ? { arms } : {}),
      windowCount: Math.max(1, Math.ceil(ranMs / this.o.windowMs)),
      ranMs,
      interrupted,
      ...(droppedAtEnd ? { droppedAtEnd, schedulerLatenessMs: this.scheduler.lateness(), schedulerLateness: this.scheduler.latenessWindows() } : {}),
    };
  }
}

/** Runs a whole simulation (or until `signal` aborts). */
export async function simulate<B>(o: SimulationOptions<B>): Promise<SimulationOutput<B>> {
  const sim = new Simulation(o);
  await sim.runUntil(o.durationMs);
  return sim.finish();
}
