/**
 * A venue's request-weight limit, Binance style, on times passed in (pure: no clock, no I/O), used by the
 * simulated REST endpoint (virtual time) and the loopback exchange (real time).
 *
 * The model (Binance's spot REST limits; details the docs leave open are chosen simply and stated here):
 *   - Weight is counted over a rolling window (default 60 s): a request at time t sees the weight of the
 *     requests admitted in (t − 60 s, t]. A request of weight w is admitted when used + w ≤ the limit.
 *   - Only admitted requests are charged: a 429 or 418 does not add weight (Binance's documentation does
 *     not say; this keeps X-MBX-USED-WEIGHT-1M ≤ the limit, so no 60 s window ever holds more than the limit).
 *   - Over the limit: HTTP 429 with Retry-After = whole seconds until enough admitted weight has left the
 *     window for this request to fit (at least 1 s; the window length when the request alone exceeds it).
 *   - A request that arrives while a 429's Retry-After runs ("keeps sending after a 429") is banned:
 *     HTTP 418 with Retry-After = the ban. Bans scale for repeat offenders as the venue documents (2 minutes
 *     to 3 days): the n-th ban lasts 2 min × 2^(n−1), capped at 3 days. Every request during a ban gets 418
 *     with the ban's remaining seconds; a request during the ban does not extend it.
 *   - After a ban ends the client starts clean (its earlier 429 is forgotten; the ban count is kept).
 */

export const RATE_WINDOW_MS = 60_000;
/** First ban: 2 minutes. */
export const BAN_BASE_MS = 2 * 60_000;
/** Longest ban: 3 days. */
export const BAN_MAX_MS = 3 * 24 * 60 * 60_000;

export type LimitStatus = 200 | 429 | 418;

export interface LimitDecision {
  status: LimitStatus;
  /** Weight used in the rolling window after this request (what X-MBX-USED-WEIGHT-1M carries). */
  used: number;
  /** Retry-After in whole seconds (429 and 418 only). */
  retryAfterS?: number;
}

export interface WeightLimiterOptions {
  windowMs?: number;
  banBaseMs?: number;
  banMaxMs?: number;
}

/** The ban length of the n-th ban (n ≥ 1): base × 2^(n−1), capped. */
export function banMs(n: number, baseMs = BAN_BASE_MS, maxMs = BAN_MAX_MS): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(60, n - 1)));
}

export class WeightLimiter {
  readonly windowMs: number;
  private readonly banBaseMs: number;
  private readonly banMaxMs: number;
  /** Admitted requests in the window, oldest first (times and weights from `head` on). */
  private times: number[] = [];
  private weights: number[] = [];
  private head = 0;
  private sum = 0;
  /** End of the last 429's Retry-After: a request before it is banned. */
  private warnUntil = -Infinity;
  private bannedUntil = -Infinity;
  /** Bans so far (they scale the next one). */
  bans = 0;
  /** 429 responses so far. */
  rateLimited = 0;
  /** 418 responses so far. */
  banned = 0;

  constructor(
    readonly limit: number,
    o: WeightLimiterOptions = {},
  ) {
    if (!(limit > 0)) throw new RangeError(`weight limit must be > 0, got ${limit}`);
    this.windowMs = o.windowMs ?? RATE_WINDOW_MS;
    this.banBaseMs = o.banBaseMs ?? BAN_BASE_MS;
    this.banMaxMs = o.banMaxMs ?? BAN_MAX_MS;
  }

  private prune(t: number): void {
    const from = t - this.windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= from) {
      this.sum -= this.weights[this.head]!;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.weights = this.weights.slice(this.head);
      this.head = 0;
    }
    if (this.head === this.times.length) this.sum = 0; // no float drift on an empty window
  }

  /** Weight admitted in (t − window, t]. */
  used(t: number): number {
    this.prune(t);
    return this.sum;
  }

  /**
   * Nothing left to remember at t: an empty window, no Retry-After or ban running, and no ban ever (the bans so
   * far scale the next one, so a client once banned is kept). A server may drop such a limiter.
   */
  forgettable(t: number): boolean {
    this.prune(t);
    return this.head === this.times.length && t >= this.warnUntil && t >= this.bannedUntil && this.bans === 0;
  }

  /** Milliseconds of a running ban left at t (0 when none). */
  banRemainingMs(t: number): number {
    return Math.max(0, this.bannedUntil - t);
  }

  /** Decides a request of `weight` arriving at `t` (times must not go backwards). */
  admit(t: number, weight: number): LimitDecision {
    this.prune(t);
    if (t < this.bannedUntil) {
      this.banned++;
      return { status: 418, used: this.sum, retryAfterS: Math.max(1, Math.ceil((this.bannedUntil - t) / 1000)) };
    }
    if (t < this.warnUntil) {
      this.bans++;
      this.banned++;
      const ms = banMs(this.bans, this.banBaseMs, this.banMaxMs);
      this.bannedUntil = t + ms;
      this.warnUntil = -Infinity;
      return { status: 418, used: this.sum, retryAfterS: Math.max(1, Math.ceil(ms / 1000)) };
    }
    if (this.sum + weight <= this.limit) {
      this.times.push(t);
      this.weights.push(weight);
      this.sum += weight;
      return { status: 200, used: this.sum };
    }
    this.rateLimited++;
    const retryAfterS = Math.max(1, Math.ceil(this.fitsInMs(t, weight) / 1000));
    this.warnUntil = t + retryAfterS * 1000;
    return { status: 429, used: this.sum, retryAfterS };
  }

  /** Time from t until a request of `weight` fits (the window length when it never fits on its own). */
  private fitsInMs(t: number, weight: number): number {
    if (weight > this.limit) return this.windowMs;
    let left = this.sum;
    for (let i = this.head; i < this.times.length; i++) {
      left -= this.weights[i]!;
      if (left + weight <= this.limit) return this.times[i]! + this.windowMs - t;
    }
    return this.windowMs;
  }
}

/**
 * The client's side of Retry-After (as BinanceRestSource keeps it): once a 429 or 418 arrives, every
 * request of that client (all symbols) is refused locally until its Retry-After ends; a 418 ban's longer
 * Retry-After is never shortened by a later 429.
 */
export class RetryAfterBlock {
  private until = -Infinity;
  /** Status (429 or 418) of the response that started the running Retry-After. */
  status: 429 | 418 = 429;

  /** A 429/418 with this Retry-After (ms) arrived at t. */
  block(t: number, retryAfterMs: number, status: 429 | 418): void {
    const until = t + retryAfterMs;
    if (until >= this.until) {
      this.until = until;
      this.status = status;
    }
  }

  /** Milliseconds of Retry-After left at t (0 when none). */
  remainingMs(t: number): number {
    return Math.max(0, this.until - t);
  }
}
