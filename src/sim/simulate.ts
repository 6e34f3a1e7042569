/**
 * Runs the tick pipeline through the uncached and the cached fetch path on the *same* workload: the same
 * market, the same tick times and the same stage-latency draws (each drawn once per tick from its own
 * seeded stream and handed to both paths). Works on a VirtualClock (seconds for a 30-minute run) or a
 * RealClock (live-like).
 */
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
import { TickPath } from '../pipeline/tick-path.js';
import { PathRecorder, type BookQuality } from './recorder.js';

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
}

export interface SimulationOutput<B> {
  uncached: PathRecorder<B>;
  cached: PathRecorder<B>;
  refreshLatency: WindowedHistogram;
  cacheStats: CacheStats;
  windowCount: number;
}

export async function simulate<B>(o: SimulationOptions<B>): Promise<SimulationOutput<B>> {
  const { clock, market, pipeline, mdCache } = o;
  const stageNames = pipeline.stages.map((s) => s.name);
  const depth = mdCache.max_depth;
  const uncachedRec = new PathRecorder<B>('uncached', o.windowMs, pipeline.deadline_ms, stageNames, market.quality);
  const cachedRec = new PathRecorder<B>('cached', o.windowMs, pipeline.deadline_ms, stageNames, market.quality);
  const refreshLatency = new WindowedHistogram('cached.refresh_latency', o.windowMs, 1000);

  const cachedSource = market.source('cached');
  const cache = new MDCache<B>(mdCache, {
    clock,
    registry: null,
    refresh: async (symbol, { depth: d, signal }) => {
      const t0 = clock.now();
      const book = await cachedSource.fetch(symbol, d, signal);
      refreshLatency.record(t0, clock.now() - t0);
      return book;
    },
  });
  const detach = market.attachInvalidator(cache, mdCache);

  const uncachedPath = new TickPath<B>('uncached', clock, uncachedFetch(market.source('uncached')), depth, pipeline.on_busy, uncachedRec);
  const cachedPath = new TickPath<B>('cached', clock, cachedFetch(cache), depth, pipeline.on_busy, cachedRec);

  // One arrival chain per symbol; every draw comes from a stream named after its component and symbol.
  for (const symbol of market.symbols) {
    const next = arrivalIntervals(pipeline.ticks, rngStream(o.seed, `ticks/${symbol}`));
    const stageDraws = pipeline.stages.map((s) => latencySampler(s.latency, rngStream(o.seed, `stage/${s.name}/${symbol}`)));
    let at = next();
    const arrive = (): void => {
      const stageMs = stageDraws.map((draw) => draw());
      market.advanceTo(symbol, clock.now());
      const tick = { symbol, scheduledAt: at, stageMs };
      uncachedPath.arrive(tick);
      cachedPath.arrive(tick);
      at += next();
      if (at < o.durationMs) clock.setTimeout(arrive, at - clock.now());
    };
    if (at < o.durationMs) clock.setTimeout(arrive, at);
  }

  const step = Math.max(1, o.durationMs / 100);
  if (clock instanceof VirtualClock) {
    for (let t = 0; t < o.durationMs; ) {
      t = Math.min(o.durationMs, t + step);
      await clock.advanceTo(t);
      o.onProgress?.(t);
    }
    // Let ticks that arrived before the end finish (their latency counts), then stop.
    await clock.runUntilIdle();
  } else {
    const start = clock.now();
    for (let t = 0; t < o.durationMs; ) {
      const nextT = Math.min(o.durationMs, t + step);
      await clock.sleep(nextT - t);
      t = clock.now() - start;
      o.onProgress?.(Math.min(t, o.durationMs));
    }
    while (uncachedPath.pending > 0 || cachedPath.pending > 0) await clock.sleep(5);
  }
  detach();
  const windowCount = Math.max(1, Math.ceil(o.durationMs / o.windowMs));
  return { uncached: uncachedRec, cached: cachedRec, refreshLatency, cacheStats: cache.stats(), windowCount };
}
