/**
 * A simulated REST depth-snapshot endpoint on an injected Clock: latency from a model (its own rng stream
 * per path name, so the cached and uncached paths never share draws), errors at a rate, timeouts, and the
 * snapshot taken from the ground truth at response time.
 */
import type { AbortLike } from '../core/abort.js';
import type { Clock } from '../core/clock.js';
import { TimeoutError } from '../core/errors.js';
import { rngStream } from '../core/rng.js';
import type { OrderBook } from './book.js';
import type { MarketFeed } from './feed.js';
import { latencySampler, type LatencySpec } from './latency.js';
import { BINANCE_DEPTH_WEIGHTS, REST_COST_DEFAULTS, depthLimit, requestWeight, type RateLimitParams, type RestWeightStep } from './rest-cost.js';
import { RetryAfterBlock, WeightLimiter } from './rate-limit.js';

export interface RestParams {
  latency: LatencySpec;
  /** Probability that a request fails with a RestError (after its latency). */
  error_rate: number;
  /** A request whose latency exceeds this rejects with a TimeoutError at timeout_ms. */
  timeout_ms: number;
  /** Weight a client may spend per minute (reported and gated; default 6000, Binance spot per IP). */
  budget?: { weight_per_min: number };
  /** Weight schedule by requested `limit` (default: Binance spot depth weights). */
  weights?: RestWeightStep[];
  /** When set, the endpoint enforces this weight limit per rolling minute (429, then 418 bans). */
  rate_limit?: RateLimitParams | null;
}

export const REST_DEFAULTS: RestParams = {
  latency: { model: 'lognormal', p50_ms: 20, p95_ms: 55 },
  error_rate: 0,
  timeout_ms: 1000,
  budget: { ...REST_COST_DEFAULTS.budget },
  weights: REST_COST_DEFAULTS.weights.map((s) => ({ ...s })),
  rate_limit: null,
};

/** A failed REST request (HTTP status and exchange error code). */
export class RestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

/**
 * HTTP 429 (or 418, banned): the exchange asks the client to back off for `retryAfterMs` (from
 * `Retry-After`). `local` marks a refusal by the client itself while an earlier Retry-After runs: no
 * request was sent (REST cost meters do not count it).
 */
export class RateLimitError extends RestError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
    status = 429,
    code?: number,
    readonly local = false,
  ) {
    super(message, status, code);
    this.name = 'RateLimitError';
  }
}

export interface SnapshotSource {
  /** Resolves with the top `depth` levels of `symbol`; `book.takenAt` is the local time the response arrived. */
  fetch(symbol: string, depth: number, signal?: AbortLike): Promise<OrderBook>;
}

export interface SimRestStats {
  requests: number;
  ok: number;
  errors: number;
  timeouts: number;
  aborted: number;
  /** HTTP 429 responses (rest.rate_limit exceeded). */
  rateLimited: number;
  /** HTTP 418 responses (banned for sending during a 429's Retry-After). */
  banned: number;
  /** Calls refused by the client itself while a Retry-After ran (nothing sent). */
  refused: number;
}

export interface SimRestSource extends SnapshotSource {
  stats(): SimRestStats;
}

export interface SimRestOptions {
  clock: Clock;
  market: MarketFeed;
  rest: RestParams;
  seed: number | string;
  /** Names this path's rng stream (e.g. 'rest/cached', 'rest/direct'). Default 'rest'. */
  streamName?: string;
  /**
   * The venue's limiter and the client's Retry-After state, shared by every source of one client (one
   * path: all its symbols share one IP's window). Default with `rest.rate_limit` set: this source's own.
   */
  client?: SimRestClient;
}

/** One simulated client of the venue: the venue's weight window for it and its own Retry-After block. */
export interface SimRestClient {
  limiter: WeightLimiter | undefined;
  block: RetryAfterBlock;
}

/** A client of an endpoint that enforces `rest.rate_limit` (limiter undefined when none is set). */
export function simRestClient(rest: RestParams): SimRestClient {
  return { limiter: rest.rate_limit ? new WeightLimiter(rest.rate_limit.weight_per_min) : undefined, block: new RetryAfterBlock() };
}

export function createSimRestSource(opts: SimRestOptions): SimRestSource {
  const { clock, market, rest } = opts;
  const rng = rngStream(opts.seed, opts.streamName ?? 'rest');
  const draw = latencySampler(rest.latency, rng);
  const st: SimRestStats = { requests: 0, ok: 0, errors: 0, timeouts: 0, aborted: 0, rateLimited: 0, banned: 0, refused: 0 };
  const client = opts.client ?? simRestClient(rest);
  const weights = rest.weights ?? BINANCE_DEPTH_WEIGHTS;
  return {
    stats: () => ({ ...st }),
    async fetch(symbol: string, depth: number, signal?: AbortLike): Promise<OrderBook> {
      const wait = client.block.remainingMs(clock.now());
      if (wait > 0 && !signal?.aborted) {
        // As BinanceRestSource: nothing is sent while a Retry-After runs (a 418 ban stops every symbol).
        st.refused++;
        throw new RateLimitError(`snapshot ${symbol}: rate-limited, ${Math.ceil(wait)} ms of Retry-After left`, wait, client.block.status, -1003, true);
      }
      st.requests++;
      // Fixed draw order per request: latency, then the error coin.
      const latency = Math.max(0, draw());
      const fails = rest.error_rate > 0 && rng.next() < rest.error_rate;
      const timedOut = latency > rest.timeout_ms;
      // The venue decides on arrival (the send time; the network delay is in the response's latency).
      const decision = client.limiter && !signal?.aborted ? client.limiter.admit(clock.now(), requestWeight(depthLimit(depth), weights)) : undefined;
      try {
        await clock.sleep(timedOut ? rest.timeout_ms : latency, signal);
      } catch (err) {
        st.aborted++;
        throw err;
      }
      if (timedOut) {
        st.timeouts++;
        throw new TimeoutError(`snapshot ${symbol}: no response within ${rest.timeout_ms} ms`);
      }
      if (decision && decision.status !== 200) {
        const ms = decision.retryAfterS! * 1000;
        client.block.block(clock.now(), ms, decision.status);
        if (decision.status === 429) {
          st.rateLimited++;
          throw new RateLimitError(`snapshot ${symbol}: HTTP 429, Retry-After ${decision.retryAfterS} s (weight ${decision.used}/${client.limiter!.limit} per minute)`, ms, 429, -1003);
        }
        st.banned++;
        throw new RateLimitError(`snapshot ${symbol}: HTTP 418 (IP banned), Retry-After ${decision.retryAfterS} s`, ms, 418, -1003);
      }
      if (fails) {
        st.errors++;
        throw new RestError(`snapshot ${symbol}: HTTP 503 Service Unavailable`, 503);
      }
      if (!market.info(symbol)) {
        st.errors++;
        throw new RestError(`snapshot ${symbol}: HTTP 400 {"code":-1121,"msg":"Invalid symbol."}`, 400, -1121);
      }
      const now = clock.now();
      market.advanceTo(now);
      const book = market.snapshot(symbol, depth);
      book.takenAt = now;
      st.ok++;
      return book;
    },
  };
}
