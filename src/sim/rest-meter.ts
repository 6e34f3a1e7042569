/**
 * REST cost of one path: every snapshot request its source sends, the venue weight of that request (by the
 * `limit` asked for), and the 429/418 responses — per window and in total. `meteredSource` wraps any
 * SnapshotSource (simulated or over the network), so every path of a simulation is counted the same way.
 */
import type { AbortLike } from '../core/abort.js';
import type { Clock } from '../core/clock.js';
import { BINANCE_DEPTH_WEIGHTS, depthLimit, requestWeight, type RestWeightStep } from '../market/rest-cost.js';
import type { SnapshotSource } from '../pipeline/fetch-md.js';
import type { Percentiles, RestResult } from '../results/types.js';

export interface RestWindow {
  requests: number;
  weight: number;
  throttled: number;
  /** Of `throttled`: HTTP 429 (rate limited) and HTTP 418 (banned) responses. */
  rate_limited: number;
  banned: number;
  /** Calls the client refused itself while a Retry-After ran (not sent, not in `requests`). */
  refused: number;
}

const empty = (): RestWindow => ({ requests: 0, weight: 0, throttled: 0, rate_limited: 0, banned: 0, refused: 0 });
const EMPTY: RestWindow = Object.freeze(empty());
const COUNTS = ['requests', 'weight', 'throttled', 'rate_limited', 'banned', 'refused'] as const;

export class RestMeter {
  private readonly windows: RestWindow[] = [];
  requests = 0;
  weight = 0;
  throttled = 0;
  rate_limited = 0;
  banned = 0;
  refused = 0;
  /** End of the run (ms); the last window's rate uses the time it covered. Infinity: every window is whole. */
  endMs = Infinity;

  constructor(
    readonly windowMs: number,
    readonly weights: readonly RestWeightStep[] = BINANCE_DEPTH_WEIGHTS,
  ) {}

  private at(t: number): RestWindow {
    const i = t <= 0 ? 0 : Math.floor(t / this.windowMs);
    for (let k = this.windows.length; k <= i; k++) this.windows[k] = empty();
    return this.windows[i]!;
  }

  /**
   * A request with this `limit` was sent at time t. `charged` false: the venue answered 429/418 and did not
   * count its weight (see ../market/rate-limit.ts); the request still counts.
   */
  sent(t: number, limit: number, charged = true): void {
    const w = charged ? requestWeight(limit, this.weights) : 0;
    const win = this.at(t);
    win.requests++;
    win.weight += w;
    this.requests++;
    this.weight += w;
  }

  /** A 429 or 418 response arrived at time t (`status` tells which; absent counts as a 429). */
  throttledAt(t: number, status: number = 429): void {
    const win = this.at(t);
    win.throttled++;
    this.throttled++;
    if (status === 418) {
      win.banned++;
      this.banned++;
    } else {
      win.rate_limited++;
      this.rate_limited++;
    }
  }

  /** The client refused a call itself at time t while a Retry-After ran (nothing was sent). */
  refusedAt(t: number): void {
    this.at(t).refused++;
    this.refused++;
  }

  /** Clonable state (a shard's meter sent from a worker thread). */
  serialize(): { windows: RestWindow[]; requests: number; weight: number; throttled: number; rate_limited: number; banned: number; refused: number } {
    return { windows: this.windows.map((w) => ({ ...w })), requests: this.requests, weight: this.weight, throttled: this.throttled, rate_limited: this.rate_limited, banned: this.banned, refused: this.refused };
  }

  /** Adds another shard's meter of the same path (other symbols, same windows). */
  absorb(s: ReturnType<RestMeter['serialize']>): void {
    s.windows.forEach((w, i) => {
      const into = this.at(i * this.windowMs);
      for (const k of COUNTS) into[k] += w[k] ?? 0;
    });
    for (const k of COUNTS) this[k] += s[k] ?? 0;
  }

  window(i: number): RestWindow {
    return this.windows[i] ?? EMPTY;
  }

  /**
   * The run ended at `ms`. What was sent after it — a real-clock tick that was due before the end but started
   * late, a retry of a refresh begun before it — goes into the run's last window: the run's ticks count those
   * ticks, so its REST cost counts their requests (folding is idempotent, so shards and merges agree).
   */
  end(ms: number): void {
    this.endMs = ms;
    if (!Number.isFinite(ms)) return;
    const last = Math.max(0, Math.ceil(ms / this.windowMs) - 1);
    if (this.windows.length <= last + 1) return;
    const into = this.at(last * this.windowMs);
    for (const w of this.windows.splice(last + 1)) for (const k of COUNTS) into[k] += w[k];
  }

  /** Totals and per-minute rates over windows [from, to) (`to` = windows of the run). */
  result(from: number, to: number): RestResult {
    let requests = 0;
    let weight = 0;
    let throttled = 0;
    let rateLimited = 0;
    let banned = 0;
    let refused = 0;
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
      rateLimited += w.rate_limited;
      banned += w.banned;
      refused += w.refused;
      minutes += min;
      rq.push(w.requests / min);
      wt.push(w.weight / min);
    }
    return {
      requests,
      weight,
      throttled,
      rate_limited: rateLimited,
      banned,
      refused,
      requests_per_min: ratePercentiles(rq, requests, minutes),
      weight_per_min: ratePercentiles(wt, weight, minutes),
    };
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
 * (the smallest allowed limit covering it), 429/418 responses as throttled (sent, but their weight is not
 * charged: the venue refused them). A call refused by the client itself (a running Retry-After) sent
 * nothing: it is counted as refused only; one made with an already-aborted signal is not counted.
 */
export function meteredSource<B>(source: SnapshotSource<B>, meter: RestMeter, clock: Clock): SnapshotSource<B> {
  return {
    async fetch(symbol: string, depth: number, signal?: AbortLike): Promise<B> {
      const t0 = clock.now();
      const limit = depthLimit(depth);
      if (signal?.aborted) return source.fetch(symbol, depth, signal);
      try {
        const book = await source.fetch(symbol, depth, signal);
        meter.sent(t0, limit);
        return book;
      } catch (err) {
        if (isLocalRefusal(err)) meter.refusedAt(t0);
        else {
          const st = statusOf(err);
          const throttled = st === 429 || st === 418;
          meter.sent(t0, limit, !throttled);
          if (throttled) meter.throttledAt(clock.now(), st);
        }
        throw err;
      }
    },
  };
}
