/**
 * A REST snapshot source for a Binance-compatible exchange (`GET /api/v3/depth`), implementing the
 * SnapshotSource interface of src/market/rest.ts over Node's global fetch():
 *   - every request is bounded by `timeoutMs` (on the injected clock) and the caller's abort signal;
 *   - HTTP 429/418 → RateLimitError carrying `retryAfterMs` (from `Retry-After`); until that time has
 *     passed the source sends nothing and fails fast with a RateLimitError (or waits, `waitOnRateLimit`);
 *   - other non-2xx → RestError(status, code from the exchange's `{"code","msg"}` body);
 *   - every 2xx body is validated (schema, decimal strings, tick grid and PRICE_FILTER from exchangeInfo)
 *     → MalformedError when it does not conform.
 * `book.takenAt` is the clock time the response body had arrived.
 */
import { toAbortSignal, type AbortLike } from '../core/abort.js';
import { abortError, type Clock } from '../core/clock.js';
import { TimeoutError } from '../core/errors.js';
import type { OrderBook } from '../market/book.js';
import type { SnapshotSource } from '../market/rest.js';
import { MalformedError, NetworkError, RateLimitError, RestError } from './errors.js';
import { parseDepthSnapshot, parseExchangeInfo, type ExchangeInfo, type ExchangeSymbol } from './validate.js';

import { DEPTH_LIMITS, depthLimit } from '../market/rest-cost.js';

export { DEPTH_LIMITS, depthLimit };

export interface RestSourceOptions {
  /** e.g. http://127.0.0.1:8080 (no trailing path). */
  baseUrl: string;
  clock: Clock;
  /** Per-request timeout (default 1000 ms). */
  timeoutMs?: number;
  /** When rate-limited, wait out Retry-After before sending (default false: fail fast with RateLimitError). */
  waitOnRateLimit?: boolean;
  /** Retry-After to assume when a 429 carries none (default 1000 ms). */
  defaultRetryAfterMs?: number;
  /** Preloaded exchangeInfo (else fetched on first use). */
  exchangeInfo?: ExchangeInfo;
  /** Quantity decimals used to print books (default 8). */
  qtyDecimals?: number;
}

export interface RestSourceStats {
  requests: number;
  ok: number;
  /** Non-2xx responses other than rate limits. */
  errors: number;
  rateLimited: number;
  /** Calls refused locally while a Retry-After was running. */
  coolingDown: number;
  timeouts: number;
  malformed: number;
  network: number;
  aborted: number;
}

export class BinanceRestSource implements SnapshotSource {
  readonly baseUrl: string;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly waitOnRateLimit: boolean;
  private readonly defaultRetryAfterMs: number;
  private readonly qtyDecimals: number;
  private info: ExchangeInfo | undefined;
  private infoLoad: Promise<ExchangeInfo> | undefined;
  private blockedUntil = -Infinity;
  /** Status (429 or 418) of the response that started the running Retry-After. */
  private blockedStatus = 429;
  private readonly st: RestSourceStats = { requests: 0, ok: 0, errors: 0, rateLimited: 0, coolingDown: 0, timeouts: 0, malformed: 0, network: 0, aborted: 0 };

  constructor(o: RestSourceOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.clock = o.clock;
    this.timeoutMs = o.timeoutMs ?? 1000;
    this.waitOnRateLimit = o.waitOnRateLimit ?? false;
    this.defaultRetryAfterMs = o.defaultRetryAfterMs ?? 1000;
    this.qtyDecimals = o.qtyDecimals ?? 8;
    this.info = o.exchangeInfo;
  }

  stats(): RestSourceStats {
    return { ...this.st };
  }

  /** Milliseconds left of a running Retry-After (0 when none). */
  rateLimitRemainingMs(): number {
    return Math.max(0, this.blockedUntil - this.clock.now());
  }

  /** exchangeInfo (fetched once; a failed load is retried on the next call). */
  exchangeInfo(signal?: AbortSignal): Promise<ExchangeInfo> {
    if (this.info) return Promise.resolve(this.info);
    if (!this.infoLoad) {
      this.infoLoad = this.getJson('/api/v3/exchangeInfo', signal).then(
        ({ body }) => {
          try {
            this.info = parseExchangeInfo(body);
          } catch (err) {
            this.st.malformed++;
            throw err;
          }
          this.infoLoad = undefined;
          return this.info;
        },
        (err: unknown) => {
          this.infoLoad = undefined;
          throw err;
        },
      );
    }
    return this.infoLoad;
  }

  /** The symbol's exchangeInfo entry (RestError -1121 when the exchange does not list it). */
  async symbolInfo(symbol: string, signal?: AbortSignal): Promise<ExchangeSymbol> {
    const s = (await this.exchangeInfo(signal)).get(symbol);
    if (!s) throw new RestError(`symbol ${symbol} is not listed by ${this.baseUrl}`, 400, -1121);
    return s;
  }

  async fetch(symbol: string, depth: number, abort?: AbortLike): Promise<OrderBook> {
    const signal = toAbortSignal(abort);
    const sym = await this.symbolInfo(symbol, signal);
    const path = `/api/v3/depth?symbol=${encodeURIComponent(symbol)}&limit=${depthLimit(depth)}`;
    const { body } = await this.getJson(path, signal);
    let book: OrderBook;
    try {
      book = parseDepthSnapshot(body, sym, { takenAt: this.clock.now(), qtyDecimals: this.qtyDecimals });
    } catch (err) {
      if (err instanceof MalformedError) this.st.malformed++;
      throw err;
    }
    this.st.ok++;
    return book.withDepth(depth);
  }

  /** GET `path` → parsed JSON body of a 2xx response; typed errors otherwise. */
  private async getJson(path: string, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
    if (signal?.aborted) throw abortError(signal);
    const wait = this.rateLimitRemainingMs();
    if (wait > 0) {
      if (!this.waitOnRateLimit) {
        this.st.coolingDown++;
        throw new RateLimitError(`rate-limited by ${this.baseUrl}: ${Math.ceil(wait)} ms of Retry-After left`, wait, this.blockedStatus, undefined, true);
      }
      await this.clock.sleep(wait, signal);
    }
    this.st.requests++;
    const ac = new AbortController();
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      ac.abort(new TimeoutError(`GET ${path}: no response within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    const onAbort = (): void => ac.abort(abortError(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let res: Response;
      try {
        res = await fetch(this.baseUrl + path, { signal: ac.signal, headers: { accept: 'application/json' } });
      } catch (err) {
        throw this.failure(err, timedOut, signal, path);
      }
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        throw this.failure(err, timedOut, signal, path);
      }
      this.noteUsedWeight(res.headers.get('x-mbx-used-weight-1m'));
      if (res.status === 429 || res.status === 418) {
        const ms = parseRetryAfter(res.headers.get('retry-after')) ?? this.defaultRetryAfterMs;
        // One Retry-After blocks every request of this source (all symbols, exchangeInfo too) until it ends;
        // a 418 ban's longer Retry-After is never shortened by a later 429.
        const until = this.clock.now() + ms;
        if (until >= this.blockedUntil) {
          this.blockedUntil = until;
          this.blockedStatus = res.status;
        }
        this.st.rateLimited++;
        throw new RateLimitError(`GET ${path}: HTTP ${res.status}, Retry-After ${ms} ms`, ms, res.status, errorCode(text));
      }
      if (res.status < 200 || res.status > 299) {
        this.st.errors++;
        throw new RestError(`GET ${path}: HTTP ${res.status} ${text.slice(0, 120)}`, res.status, errorCode(text));
      }
      try {
        return { status: res.status, body: JSON.parse(text) };
      } catch {
        this.st.malformed++;
        throw new MalformedError(`GET ${path}: body is not JSON: ${text.slice(0, 60)}`);
      }
    } finally {
      this.clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private usedWeight: { weight: number; at: number } | undefined;

  /** `X-MBX-USED-WEIGHT-1M`: the venue's used weight of its rolling minute (the whole IP's), kept with the time it arrived. */
  private noteUsedWeight(v: string | null): void {
    if (v !== null && /^\d{1,15}$/.test(v.trim())) this.usedWeight = { weight: Number(v.trim()), at: this.clock.now() };
  }

  /** The last used weight the venue reported (undefined when no response carried the header). */
  usedWeight1m(): { weight: number; at: number } | undefined {
    return this.usedWeight && { ...this.usedWeight };
  }

  private failure(err: unknown, timedOut: boolean, signal: AbortSignal | undefined, path: string): Error {
    if (timedOut) {
      this.st.timeouts++;
      return new TimeoutError(`GET ${path}: no response within ${this.timeoutMs} ms`);
    }
    if (signal?.aborted) {
      this.st.aborted++;
      return abortError(signal);
    }
    this.st.network++;
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
    return new NetworkError(`GET ${path}: ${cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err)}`, err);
  }
}

/** `Retry-After`: delay-seconds (decimals accepted) → ms; HTTP-dates are not supported (no wall clock) → undefined. */
export function parseRetryAfter(v: string | null): number | undefined {
  if (v === null) return undefined;
  const s = v.trim();
  if (!/^\d+(\.\d+)?$/.test(s)) return undefined;
  return Math.round(Number(s) * 1000);
}

function errorCode(text: string): number | undefined {
  try {
    const b = JSON.parse(text) as { code?: unknown };
    return typeof b?.code === 'number' ? b.code : undefined;
  } catch {
    return undefined;
  }
}

export function createRestSource(o: RestSourceOptions): BinanceRestSource {
  return new BinanceRestSource(o);
}
