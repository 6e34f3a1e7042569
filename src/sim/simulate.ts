/**
 * Runs the tick pipeline through the uncached and the cached fetch path on the *same* workload: the same
 * market, the same tick times and the same stage-latency draws (each drawn once per tick from its own
 * seeded stream and handed to both paths). Works on a VirtualClock (seconds for a 30-minute run) or a
 * RealClock (live-like). `Simulation` runs in segments (canary steps, progress, interruption).
 */
import type { Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import { VirtualClock } from '../core/clock.js';
import { rngStream } from '../core/rng.js';
import { MDCache } from '../cache/md-cache.js';
import type { CacheStats, Invalidatable } from '../cache/types.js';
import type { MdCacheConfig } from '../config/md-cache.js';
import { latencySampler } from '../market/latency.js';
import { WindowedHistogram } from '../metrics/windowed.js';
import type { PipelineConfig } from '../pipeline/config.js';
import { arrivalIntervals } from '../pipeline/arrivals.js';
import { cachedFetch, uncachedFetch, type SnapshotSource } from '../pipeline/fetch-md.js';
import { TickPath, type TickObserver, type Tick } from '../pipeline/tick-path.js';
import { PathRecorder, type BookQuality } from './recorder.js';
import { meteredSource } from './rest-meter.js';
import type { RestWeightStep } from '../market/rest-cost.js';

/** What the simulation needs from a market (synthetic generator, replay, or a live exchange). */
export interface SimMarket<B> {
  readonly symbols: readonly string[];
  /** Brings the symbol's feed up to time t (delivering its events to listeners such as the invalidator). */
  advanceTo(symbol: string, t: number): void;
  /** A REST snapshot source for one path; each path has its own latency/error draws. */
  source(path: 'uncached' | 'cached'): SnapshotSource<B>;
  quality: BookQuality<B>;
  /** Connects the feed to the cache's invalidation; returns a detach function. */
  attachInvalidator(cache: Invalidatable<B>, cfg: MdCacheConfig): () => void;
}

/** Which paths a tick goes to (canary routing); default: both. */
export type Route = (symbol: string, scheduledAt: number) => { uncached: boolean; cached: boolean };

export interface SimulationOptions<B> {
  clock: Clock;
  market: SimMarket<B>;
  pipeline: PipelineConfig;
  mdCache: MdCacheConfig;
  seed: number;
  durationMs: number;
  windowMs: number;
  /** Called with simulated time as the run progresses (about every 1 % of the duration). */
  onProgress?: (simMs: number) => void;
  /** Registry for the cache's mm_md_* metrics (default: none). */
  registry?: Registry | null;
  route?: Route;
  /** Extra observers (e.g. shadow divergence) called after each path's recorder. */
  observers?: { uncached?: TickObserver<B>; cached?: TickObserver<B> };
  /** Aborting stops new ticks; ticks already running finish and the results cover the time run. */
  signal?: AbortSignal;
  /** The venue's REST weight schedule for the REST cost of each path (default: Binance spot depth weights). */
  restWeights?: readonly RestWeightStep[];
}

export interface SimulationOutput<B> {
  uncached: PathRecorder<B>;
  cached: PathRecorder<B>;
  refreshLatency: WindowedHistogram;
  cacheStats: CacheStats;
  windowCount: number;
  /** Simulated time covered (< durationMs when interrupted). */
  ranMs: number;
  interrupted: boolean;
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

export class Simulation<B> {
  readonly cache: MDCache<B>;
  readonly uncachedRec: PathRecorder<B>;
  readonly cachedRec: PathRecorder<B>;
  readonly refreshLatency: WindowedHistogram;
  private readonly paths: { uncached: TickPath<B>; cached: TickPath<B> };
  private readonly detach: () => void;
  private stopAt: number;
  private t = 0;

  constructor(private readonly o: SimulationOptions<B>) {
    const { clock, market, pipeline, mdCache } = o;
    const stageNames = pipeline.stages.map((s) => s.name);
    this.stopAt = o.durationMs;
    this.uncachedRec = new PathRecorder<B>('uncached', o.windowMs, pipeline.deadline_ms, stageNames, market.quality, o.restWeights);
    this.cachedRec = new PathRecorder<B>('cached', o.windowMs, pipeline.deadline_ms, stageNames, market.quality, o.restWeights);
    const refreshLatency = (this.refreshLatency = new WindowedHistogram('cached.refresh_latency', o.windowMs, 1000));
    // Every request a path's source sends is counted in that path's REST cost.
    const cachedSource = meteredSource(market.source('cached'), this.cachedRec.rest, clock);
    const uncachedSource = meteredSource(market.source('uncached'), this.uncachedRec.rest, clock);
    this.cache = new MDCache<B>(mdCache, {
      clock,
      registry: o.registry ?? null,
      refresh: async (symbol, { depth, signal }) => {
        const t0 = clock.now();
        const book = await cachedSource.fetch(symbol, depth, signal);
        refreshLatency.record(t0, clock.now() - t0);
        return book;
      },
    });
    this.detach = market.attachInvalidator(this.cache, mdCache);
    const depth = mdCache.max_depth;
    this.paths = {
      uncached: new TickPath<B>('uncached', clock, uncachedFetch(uncachedSource), depth, pipeline.on_busy, tee(this.uncachedRec, o.observers?.uncached)),
      cached: new TickPath<B>('cached', clock, cachedFetch(this.cache), depth, pipeline.on_busy, tee(this.cachedRec, o.observers?.cached)),
    };
    this.scheduleArrivals();
  }

  /** One arrival chain per symbol; every draw comes from a stream named after its component and symbol. */
  private scheduleArrivals(): void {
    const { clock, market, pipeline, seed } = this.o;
    for (const symbol of market.symbols) {
      const next = arrivalIntervals(pipeline.ticks, rngStream(seed, `ticks/${symbol}`));
      const stageDraws = pipeline.stages.map((s) => latencySampler(s.latency, rngStream(seed, `stage/${s.name}/${symbol}`)));
      let at = next();
      const arrive = (): void => {
        if (at >= this.stopAt) return;
        const stageMs = stageDraws.map((draw) => draw());
        market.advanceTo(symbol, clock.now());
        const tick: Tick = { symbol, scheduledAt: at, stageMs };
        const route = this.o.route?.(symbol, at);
        if (!route || route.uncached) this.paths.uncached.arrive(tick);
        if (!route || route.cached) this.paths.cached.arrive(tick);
        at += next();
        if (at < this.stopAt) clock.setTimeout(arrive, at - clock.now());
      };
      if (at < this.stopAt) clock.setTimeout(arrive, at);
    }
  }

  get now(): number {
    return this.t;
  }

  /** Runs simulated time up to `target` (virtual) or waits for it (real), reporting progress. */
  async runUntil(target: number): Promise<void> {
    const { clock } = this.o;
    const end = Math.min(target, this.stopAt);
    const step = Math.max(1, this.o.durationMs / 100);
    while (this.t < end) {
      if (this.o.signal?.aborted) {
        this.stopAt = this.t;
        return;
      }
      const next = Math.min(end, this.t + step);
      if (clock instanceof VirtualClock) await clock.advanceTo(next);
      else await clock.sleep(next - clock.now()).catch(() => undefined);
      this.t = Math.min(next, Math.max(this.t, clock.now()));
      this.o.onProgress?.(this.t);
    }
  }

  /** Stops new ticks, lets running ones finish (their latency counts), and returns the recorders. */
  async finish(): Promise<SimulationOutput<B>> {
    const { clock } = this.o;
    const interrupted = Boolean(this.o.signal?.aborted) && this.t < this.o.durationMs;
    this.stopAt = Math.min(this.stopAt, this.t);
    if (clock instanceof VirtualClock) await clock.runUntilIdle();
    else while ((this.paths.uncached.pending > 0 || this.paths.cached.pending > 0) && this.paths.uncached.failure === undefined && this.paths.cached.failure === undefined) await clock.sleep(5);
    this.detach();
    for (const path of [this.paths.uncached, this.paths.cached]) if (path.failure !== undefined) throw path.failure;
    const ranMs = this.t;
    for (const rec of [this.uncachedRec, this.cachedRec]) rec.rest.endMs = ranMs;
    return {
      uncached: this.uncachedRec,
      cached: this.cachedRec,
      refreshLatency: this.refreshLatency,
      cacheStats: this.cache.stats(),
      windowCount: Math.max(1, Math.ceil(ranMs / this.o.windowMs)),
      ranMs,
      interrupted,
    };
  }
}

/** Runs a whole simulation (or until `signal` aborts). */
export async function simulate<B>(o: SimulationOptions<B>): Promise<SimulationOutput<B>> {
  const sim = new Simulation(o);
  await sim.runUntil(o.durationMs);
  return sim.finish();
}
