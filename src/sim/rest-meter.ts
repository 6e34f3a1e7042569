/**
 * REST cost of one path: every snapshot request its source sends, the venue weight of that request (by the
 * `limit` asked for), and the 429/418 responses — per window and in total. `meteredSource` wraps any
 * SnapshotSource (simulated or over the network), so every path of a simulation is counted the same way.
 */
import type { Clock } from '../core/clock.js';
import { BINANCE_DEPTH_WEIGHTS, depthLimit, requestWeight, type RestWeightStep } from '../market/rest-cost.js';
import type { SnapshotSource } from '../pipeline/fetch-md.js';
import type { Percentiles, RestResult } from '../results/types.js';

export interface RestWindow {
  requests: number;
  weight: number;
  throttled: number;
}

const EMPTY: RestWindow = Object.freeze({ requests: 0, weight: 0, throttled: 0 });

export class RestMeter {
  private readonly windows: RestWindow[] = [];
  requests = 0;
  weight = 0;
  throttled = 0;
  /** End of the run (ms); the last window's rate uses the time it covered. Infinity: every window is whole. */
  endMs = Infinity;

  constructor(
    readonly windowMs: number,
    readonly weights: readonly RestWeightStep[] = BINANCE_DEPTH_WEIGHTS,
  ) {}

  private at(t: number): RestWindow {
    const i = t <= 0 ? 0 : Math.floor(t / this.windowMs);
    for (let k = this.windows.length; k <= i; k++) this.windows[k] = { requests: 0, weight: 0, throttled: 0 };
    return this.windows[i]!;
  }

  /** A request with this `limit` was sent at time t. */
  sent(t: number, limit: number): void {
    const w = requestWeight(limit, this.weights);
    const win = this.at(t);
    win.requests++;
    win.weight += w;
    this.requests++;
    this.weight += w;
  }

  /** A 429 or 418 response arrived at time t. */
  throttledAt(t: number): void {
    this.at(t).throttled++;
    this.throttled++;
  }

  /** Clonable state (a shard's meter sent from a worker thread). */
  serialize(): { windows: RestWindow[]; requests: number; weight: number; throttled: number } {
    return { windows: this.windows.map((w) => ({ ...w })), requests: this.requests, weight: this.weight, throttled: this.throttled };
  }

  /** Adds another shard's meter of the same path (other symbols, same windows). */
  absorb(s: ReturnType<RestMeter['serialize']>): void {
    s.windows.forEach((w, i) => {
      const into = this.at(i * this.windowMs);
      into.requests += w.requests;
      into.weight += w.weight;
      into.throttled += w.throttled;
    });
    this.requests += s.requests;
    this.weight += s.weight;
    this.throttled += s.throttled;
  }

  window(i: number): RestWindow {
    return this.windows[i] ?? EMPTY;
  }

  /** Totals and per-minute rates over windows [from, to) (`to` = windows of the run). */
  result(from: number, to: number): RestResult {
    let requests = 0;
    let weight = 0;
    let throttled = 0;
    let minutes = 0;
    const rq: number[] = [];
    const wt: number[] = [];
    for (let i = from; i < to; i++) {
      const w = this.window(i);
      const start = i * this.windowMs;
      const len = Math.min(this.windowMs, this.endMs - start);
      if (!(len > 0)) continue;
      const min = len / 60_000;
      requests += w.requests;
      weight += w.weight;
      throttled += w.throttled;
      minutes += min;
      rq.push(w.requests / min);
      wt.push(w.weight / min);
    }
    return { requests, weight, throttled, requests_per_min: ratePercentiles(rq, requests, minutes), weight_per_min: ratePercentiles(wt, weight, minutes) };
  }
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Nearest-rank percentiles of per-window rates (each value is a real window's rate); mean = total / minutes. */
export function ratePercentiles(rates: readonly number[], total: number, minutes: number): Percentiles {
  const s = [...rates].sort((a, b) => a - b);
  const at = (q: number): number => (s.length === 0 ? 0 : r3(s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!));
  return { p50: at(0.5), p90: at(0.9), p95: at(0.95), p99: at(0.99), p999: at(0.999), max: at(1), mean: minutes > 0 ? r3(total / minutes) : 0, count: s.length };
}

/** 1 − requests / uncached requests (undefined when the uncached path sent none). */
export function restSaving(uncached: RestResult, other: RestResult): number | undefined {
  if (uncached.requests <= 0) return undefined;
  return Math.round((1 - other.requests / uncached.requests) * 1e6) / 1e6;
}

function isLocalRefusal(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { local?: unknown }).local === true;
}

function statusOf(err: unknown): number | undefined {
  const s = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
  return typeof s === 'number' ? s : undefined;
}

/**
 * Counts every request `source` sends into `meter`: weight by the `limit` a client asks for `depth`
 * (the smallest allowed limit covering it), 429/418 responses as throttled. A call refused by the client
 * itself (a running Retry-After) or made with an already-aborted signal sent nothing and is not counted.
 */
export function meteredSource<B>(source: SnapshotSource<B>, meter: RestMeter, clock: Clock): SnapshotSource<B> {
  return {
    async fetch(symbol: string, depth: number, signal?: AbortSignal): Promise<B> {
      const t0 = clock.now();
      const limit = depthLimit(depth);
      if (signal?.aborted) return source.fetch(symbol, depth, signal);
      try {
        const book = await source.fetch(symbol, depth, signal);
        meter.sent(t0, limit);
        return book;
      } catch (err) {
        if (!isLocalRefusal(err)) {
          meter.sent(t0, limit);
          const st = statusOf(err);
          if (st === 429 || st === 418) meter.throttledAt(clock.now());
        }
        throw err;
      }
    },
  };
}
