/**
 * `shadow` as a library function: the control (uncached) path is what the pipeline uses; the candidate
 * (cached) runs on the same ticks and is only measured and compared (GitHub Scientist style).
 */
import { Registry } from 'prom-client';
import type { OrderBook } from '../market/book.js';
import type { TickObserver } from '../pipeline/tick-path.js';
import { runBench, type BenchOptions, type BenchOutput } from '../sim/bench.js';
import { defaultGatesFor, evaluateGates } from '../gates/evaluate.js';
import { DivergenceTracker } from '../sim/divergence.js';
import { shadowMetrics } from '../sim/shadow-metrics.js';
import type { ProdConfig } from './prod-config.js';
import { resolveProdRun } from './resolve.js';

export interface ShadowOptions {
  config: ProdConfig;
  durationMs?: number;
  realtime?: boolean;
  registry?: Registry;
  signal?: AbortSignal;
  run: { id: string; command: string; version: string; host: string };
  onProgress?: (simMs: number) => void;
  /** The shared (L2) tier under the candidate's cache (md_cache.shared, e.g. Redis), built on the run's clock. */
  shared?: BenchOptions['shared'];
  /** Wraps the live market's factory (a fleet worker waits at its barrier after connecting). */
  wrapMarket?: (market: NonNullable<BenchOptions['market']>) => NonNullable<BenchOptions['market']>;
  /** Stream-name prefix of the tick arrivals and stage draws (fleet worker `i`: `p<i>/`). */
  streamPrefix?: string;
}

function fetchLatencyObserver(record: (ms: number) => void): TickObserver<OrderBook> {
  return { fetched: (_t, ms) => record(ms), fetchFailed: (_t, ms) => record(ms), stage: () => {}, done: () => {}, dropped: () => {} };
}

function both(a: TickObserver<OrderBook>, b: TickObserver<OrderBook>): TickObserver<OrderBook> {
  return {
    fetched: (t, ms, r) => (a.fetched(t, ms, r), b.fetched(t, ms, r)),
    fetchFailed: (t, ms, e) => (a.fetchFailed(t, ms, e), b.fetchFailed(t, ms, e)),
    stage: () => {},
    done: () => {},
    dropped: (t) => (a.dropped(t), b.dropped(t)),
  };
}

export async function runShadow(o: ShadowOptions): Promise<BenchOutput> {
  const { bench, seed, feed, market } = resolveProdRun(o.config);
  const registry = o.registry ?? new Registry();
  const metrics = shadowMetrics(registry);
  let tracker: DivergenceTracker | undefined;
  const out = await runBench({
    bench,
    // Gates are evaluated once the shadow block exists (shadow.* gate metrics read it).
    gates: null,
    seed,
    feed,
    market: market && o.wrapMarket ? o.wrapMarket(market) : market,
    ...(o.shared ? { shared: o.shared } : {}),
    ...(o.streamPrefix ? { streamPrefix: o.streamPrefix } : {}),
    durationMs: o.durationMs ?? o.config.shadow.duration_ms,
    windowMs: o.config.shadow.window_ms,
    realtime: o.realtime,
    registry,
    signal: o.signal,
    run: o.run,
    onProgress: (t) => {
      metrics.simTime(t);
      o.onProgress?.(t);
    },
    observers: (clock, windowMs, ageOf) => {
      tracker = new DivergenceTracker(
        () => clock.now(),
        o.config.shadow.compare_depth,
        o.config.shadow.worst_examples,
        (m) => metrics.divergence(m.tobTicks, m.depthMismatches, m.candidateAgeMs),
        windowMs,
        ageOf,
      );
      return {
        uncached: both(tracker.control, fetchLatencyObserver((ms) => metrics.latency('control', ms))),
        cached: both(tracker.candidate, fetchLatencyObserver((ms) => metrics.latency('candidate', ms))),
        histograms: tracker.histograms(),
      };
    },
  });
  out.results.shadow = tracker!.result();
  const ev = evaluateGates(out.results, bench.gates ?? defaultGatesFor(out.results));
  out.results.gates = ev.gates;
  out.results.verdict = ev.verdict;
  return out;
}
