/**
 * MDCache: a per-symbol order-book cache in front of a slow `refresh` (a REST snapshot).
 *
 * - fresh: age <= ttl_ms (or the call's maxAgeMs) — served without calling refresh. Age is measured from the
 *   time the refresh that produced the value *completed* (conventional TTL; note that the book's true
 *   staleness is larger by the refresh's own latency).
 * - stale-while-refresh (stale_ok): an expired entry is served at once (status 'stale') and a background
 *   refresh starts if none is in flight; with stale_ok false the caller waits (status 'miss').
 * - max_stale_ms is a hard bound: an older entry is never served.
 * - policy refresh_ahead: a fresh hit on an entry older than refresh_ahead_ms starts one background refresh, so
 *   steady traffic keeps finding fresh entries (Caffeine's refreshAfterWrite).
 * - single-flight: at most max_inflight_refresh refresh runners per symbol; concurrent callers share them.
 *   With a limit above 1 and hedge_after_ms > 0 a slow refresh gets a hedged twin; the first success wins
 *   and the losers are aborted.
 * - invalidation bumps the symbol's epoch: refreshes started before it never repopulate the entry nor
 *   satisfy a get made after it. Callers already waiting on such a refresh still receive its result.
 * - failures: retries with exponential backoff and full jitter on the injected clock, each attempt bounded
 *   by refresh_timeout_ms; stale-if-error within max_stale_ms; a waiting caller finally gets a RefreshError.
 *   A server's Retry-After (an error's `retryAfterMs`) up to retry.max_ms is waited out before the next
 *   attempt; a longer one (a 418 ban, a long 429) fails the refresh at once, and no refresh of any symbol is
 *   called until it has run out (stale within max_stale_ms, else RefreshError).
 * - LRU bound max_symbols (intrusive doubly-linked list: O(1) touch without re-hashing).
 *
 * Nothing here reads the host's clock or timers: all time comes from the injected Clock.
 */
import { RealClock, type Clock, type TimerHandle } from '../core/clock.js';
import type { AbortLike } from '../core/abort.js';
import { CoarseClock } from './coarse-clock.js';
import { CacheClosedError, ConfigError, RefreshError, RetryAfterError, TimeoutError } from '../core/errors.js';
import { rngStream } from '../core/rng.js';
import { mdCacheConfig, refreshAheadMs, type MdCacheConfig, type MdCacheConfigInput } from '../config/md-cache.js';
import { createHistogram, recordScaled, round3, type Histogram } from '../metrics/hdr.js';
import { cacheMetricsFor, defaultRegistry, type CacheMetrics, type MetricsSource, type SymbolCounters } from './metrics.js';
import { refreshThroughL2 } from './shared/refresh.js';
import type { SharedTier } from './shared/tier.js';
import type {
  BookFeed,
  BookFeedEvent,
  BookSubscription,
  CacheStats,
  GetOptions,
  GetResult,
  InvalidationReason,
  Invalidatable,
  LatencySummary,
  MDCacheDeps,
  RefreshFn,
} from './types.js';

/** Seed of the default jitter stream (fixed, so runs are reproducible when no `random` is injected). */
export const DEFAULT_JITTER_SEED = 'mdcache';
/** Per-symbol refresh-latency percentiles are computed over this many most recent successful refreshes. */
export const SYMBOL_LATENCY_WINDOW = 64;
const LAT_SCALE = 1000; // ms -> µs in the HDR histogram
/**
 * The longest server retry-after hint (429 Retry-After) a retry waits out: 10 min, the largest retry.max_ms (a
 * hint longer than retry.max_ms is not waited out: the refresh fails at once and is held back, see MAX_HOLD_MS).
 */
export const MAX_RETRY_AFTER_MS = 600_000;
/** A Retry-After that holds every refresh back is taken up to this long (3 days, Binance's longest ban). */
export const MAX_HOLD_MS = 3 * 24 * 3600_000;

interface Waiter<V> {
  resolve(r: GetResult<V>): void;
  reject(e: unknown): void;
  depth: number;
  /** The caller's max age (ttl_ms or maxAgeMs): a book from the shared tier must be at most this old. */
  maxAge: number;
}

/** Builds an abort reason only when something will receive it. */
type Reason = unknown | (() => unknown);
const reasonOf = (r: Reason): unknown => (typeof r === 'function' ? (r as () => unknown)() : r);

/**
 * Abortable without an AbortController: `aborted`, `reason` and abort listeners are plain fields (the AbortLike
 * subset of AbortSignal); a real AbortSignal is created only when something reads `signal` (created already
 * aborted when read after an abort).
 */
class LazyAbort implements AbortLike {
  aborted = false;
  reason: unknown = undefined;
  private ac: AbortController | undefined = undefined;
  private listeners: (() => void)[] | undefined = undefined;
  get signal(): AbortSignal {
    if (this.ac === undefined) {
      this.ac = new AbortController();
      if (this.aborted) this.ac.abort(this.reason);
    }
    return this.ac.signal;
  }
  /** As AbortSignal's: `fn` runs once, on abort (never for an abort that already happened). */
  addEventListener(_type: 'abort', fn: () => void): void {
    if (this.aborted) return;
    if (this.listeners === undefined) this.listeners = [fn];
    else this.listeners.push(fn);
  }
  removeEventListener(_type: 'abort', fn: () => void): void {
    const ls = this.listeners;
    if (ls === undefined) return;
    const i = ls.indexOf(fn);
    if (i >= 0) ls.splice(i, 1);
  }
  /** Whether anything has read `signal` or listens (and so would observe an abort). */
  protected get hasSignal(): boolean {
    return this.ac !== undefined || (this.listeners !== undefined && this.listeners.length > 0);
  }
  protected fire(reason: unknown): void {
    this.aborted = true;
    this.reason = reason;
    const ls = this.listeners;
    if (ls !== undefined) {
      this.listeners = undefined;
      for (const fn of ls) fn();
    }
    this.ac?.abort(reason);
  }
}

/**
 * One refresh call in flight; it is the RefreshContext handed to `refresh`. Its AbortController exists only
 * if the refresh reads `signal` (created already aborted when read after an abort); no listener is attached.
 */
class Attempt<V> extends LazyAbort {
  settled = false;
  timer: TimerHandle | undefined = undefined;
  constructor(
    readonly depth: number,
    readonly resolve: (v: V) => void,
    readonly reject: (e: unknown) => void,
  ) {
    super();
  }
  /** Marks the call aborted and tells the refresh through its signal (if it asked for one). */
  abortSignal(reason: unknown): void {
    this.fire(reason);
  }
}

/** One refresh attempt chain (attempts + backoff) of a load. */
class Runner extends LazyAbort {
  /** Settles the attempt in flight as aborted (set by MDCache.attempt). */
  onAbort: ((reason: unknown) => void) | undefined = undefined;
  abort(reason: Reason): void {
    if (this.aborted) return;
    if (!this.hasSignal && this.onAbort === undefined) {
      this.aborted = true; // nothing listens: no reason object built
      return;
    }
    this.fire(reasonOf(reason));
    this.onAbort?.(this.reason);
  }
}

/** A logical refresh of one symbol at one epoch: its waiters and its runners (primary + hedges). */
class Load<V> {
  readonly runners: Runner[] = [];
  /** Runners ever started (primary + hedges); hedges stop at max_inflight_refresh per load. */
  started = 0;
  waiters: Waiter<V>[] = [];
  done = false;
  /** An attempt has failed and the load is retrying: stale-if-error applies. */
  erroring = false;
  attempts = 0;
  lastError: unknown = undefined;
  hedgeTimer: TimerHandle | undefined = undefined;
  constructor(
    readonly entry: Entry<V>,
    readonly epoch: number,
    readonly depth: number,
  ) {}
}

interface WsWaiter<V> {
  resolve(r: GetResult<V>): void;
  reject(e: unknown): void;
  timer: TimerHandle | undefined;
}

/** ws_book state of an entry: the feed subscription, whether `value` must be re-read, callers waiting for sync. */
interface WsState<V> {
  sub: BookSubscription<V> | undefined;
  dirty: boolean;
  waiters: WsWaiter<V>[];
  failedSyncs: number;
}

class Entry<V> implements SymbolCounters {
  /** Index of this entry's LRU links in MDCache.prevOf/nextOf (-1 once evicted). */
  slot = -1;
  // cached value
  has = false;
  value: V | undefined = undefined;
  fetchedAt = 0;
  /** Depth of the held value (kept after invalidation as the depth to fetch next). */
  depth = 0;
  epoch = 0;
  /** The load of the current epoch, if any. */
  load: Load<V> | undefined = undefined;
  /** Loads of earlier epochs that still have waiting callers. */
  retired: Load<V>[] | undefined = undefined;
  // counters (plain fields; read by stats() and at scrape time)
  gets = 0;
  hits = 0;
  staleHits = 0;
  misses = 0;
  bypasses = 0;
  refreshes = 0;
  failures = 0;
  inv: Record<string, number> | undefined = undefined;
  lat: Float64Array | undefined = undefined;
  latN = 0;
  /** policy ws_book only. */
  ws: WsState<V> | undefined = undefined;
  constructor(readonly symbol: string) {}
}

export type MDCacheOptions<V> = MDCacheDeps<V>;

export class MDCache<V> implements Invalidatable<V>, MetricsSource {
  readonly config: Readonly<MdCacheConfig>;
  /** Timers. */
  private readonly clock: Clock;
  /** Reads of the time (a CoarseClock over a RealClock by default; the clock itself otherwise). */
  private readonly time: Clock;
  private readonly refreshFn: RefreshFn<V>;
  private readonly random: () => number;
  private readonly jitterFor: ((symbol: string) => number) | undefined;
  // hot config fields
  private readonly enabled: boolean;
  private readonly ttl: number;
  /** refresh_ahead: a fresh entry older than this starts a background refresh (Infinity for other policies). */
  private readonly ahead: number;
  private readonly maxStale: number;
  private readonly maxDepth: number;
  private readonly staleOk: boolean;
  private readonly limit: number;
  private readonly hedgeAfter: number;
  private readonly maxSymbols: number;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  /** policy ws_book: the book feed, the silence after which a book is stale, how long a get waits for sync. */
  private readonly feed: BookFeed<V> | undefined;
  private readonly wsGap: number;
  private readonly wsWaitMs: number;

  private readonly map = new Map<string, Entry<V>>();
  // The LRU list (head = most recently used) links slot indices in typed arrays, as lru-cache does: moving an
  // entry to the front then writes integers instead of object pointers (no GC write barriers), which made a
  // getSync hit 1.4x faster (bench:cache). -1 = none.
  private prevOf = new Int32Array(16);
  private nextOf = new Int32Array(16);
  private readonly slots: (Entry<V> | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private headI = -1;
  private tailI = -1;

  // totals (survive eviction). The get counters are kept per entry only (one increment on the hot path, not
  // two); an evicted entry's counts are folded into gone, and stats() sums gone and the live entries.
  private readonly gone = { gets: 0, hits: 0, staleHits: 0, misses: 0, bypasses: 0 };
  private refreshes = 0;
  private failures = 0;
  private evictions = 0;
  private readonly invTotals: Record<string, number> = {};
  private readonly latency: Histogram = createHistogram();

  private readonly metrics: CacheMetrics | undefined;
  /** L2 shared by a fleet of processes (see shared/); undefined = L1 only. */
  private readonly shared: SharedTier<V> | undefined;
  private metricsRef: WeakRef<MetricsSource> | undefined;
  private closed = false;
  /**
   * End of a server's Retry-After longer than retry.max_ms (a ban): until then no refresh is called, for any
   * symbol (rate limits are the venue's, per client: Binance counts an IP's requests across symbols).
   */
  private holdUntil = -Infinity;
  /** Open, enabled and not ws_book: get/getSync take their fast path (one flag read instead of three). */
  private fast: boolean;
  /** min(ttl_ms, max_stale_ms): the age up to which an entry is fresh when the get gives no maxAgeMs. */
  private readonly freshMax: number;

  /**
   * `config` may be partial (missing keys take their defaults); it is validated like the YAML reader and a
   * ConfigError names every problem.
   */
  constructor(input: MdCacheConfigInput, deps: MDCacheOptions<V>) {
    const config = mdCacheConfig(input);
    this.config = Object.freeze({ ...config, retry: Object.freeze({ ...config.retry }) });
    this.clock = deps.clock;
    const res = deps.timeResolutionMs ?? (deps.clock instanceof RealClock ? 1 : 0);
    this.time = res > 0 ? new CoarseClock(deps.clock, res) : deps.clock;
    this.refreshFn = deps.refresh;
    this.jitterFor = deps.jitterFor;
    if (deps.random) {
      this.random = deps.random;
    } else {
      const rng = rngStream(DEFAULT_JITTER_SEED, 'md_cache.retry');
      this.random = () => rng.next();
    }
    this.enabled = config.enabled;
    this.ttl = config.ttl_ms;
    this.ahead = config.policy === 'refresh_ahead' ? refreshAheadMs(config) : Infinity;
    this.maxStale = config.max_stale_ms;
    this.freshMax = Math.min(this.ttl, this.maxStale);
    this.maxDepth = config.max_depth;
    this.staleOk = config.stale_ok;
    this.limit = Math.max(1, config.max_inflight_refresh);
    this.hedgeAfter = config.hedge_after_ms;
    this.maxSymbols = Math.max(1, config.max_symbols);
    this.timeoutMs = config.refresh_timeout_ms;
    this.maxAttempts = Math.max(1, config.retry.max_attempts);
    this.baseMs = config.retry.base_ms;
    this.maxMs = config.retry.max_ms;
    this.shared = deps.shared;
    this.shared?.attach({
      invalidated: (symbol) => this.invalidateLocal(symbol, 'shared'),
      resync: () => {
        for (const e of this.map.values()) if (e.has || e.load) this.invalidateEntry(e, 'shared_resync');
      },
    });
    this.wsGap = config.invalidate_on_ws_gap_ms;
    this.wsWaitMs = this.timeoutMs * this.maxAttempts + this.maxMs * (this.maxAttempts - 1);
    if (config.policy === 'ws_book') {
      if (!deps.feed) throw new ConfigError([{ path: 'md_cache.policy', message: "'ws_book' needs a book feed (deps.feed): the stream that keeps each symbol's book" }], 'md_cache config');
      this.feed = deps.feed;
    } else this.feed = undefined;
    this.fast = this.enabled && this.feed === undefined;
    const registry = deps.registry === undefined ? defaultRegistry() : deps.registry;
    if (registry) {
      this.metrics = cacheMetricsFor(registry);
      this.metricsRef = this.metrics.add(this);
    }
  }

  /** A requested depth clamped to [1, max_depth]; max_depth when none (or NaN) is given. */
  private depthOf(d: number | undefined): number {
    return d === undefined ? this.maxDepth : Math.min(this.maxDepth, Math.max(1, d)) || this.maxDepth;
  }

  /** Number of symbols held (entries, with or without a value). */
  get size(): number {
    return this.map.size;
  }

  // ------------------------------------------------------------------------------------------------ get

  get(symbol: string, opts?: GetOptions): Promise<GetResult<V>> {
    if (!this.fast) {
      if (this.closed) return Promise.reject(new CacheClosedError(symbol));
      if (!this.enabled) return this.bypass(symbol, opts);
      return this.wsGet(symbol, opts);
    }
    let depth = this.maxDepth;
    let maxAge = this.ttl;
    let freshMax = this.freshMax;
    if (opts !== undefined) {
      depth = this.depthOf(opts.depth);
      if (opts.maxAgeMs !== undefined) {
        maxAge = opts.maxAgeMs;
        freshMax = this.maxStale < maxAge ? this.maxStale : maxAge; // NaN stays NaN (never fresh)
      }
    }
    let e = this.map.get(symbol);
    if (e !== undefined) {
      if (e.slot !== this.headI) this.touch(e);
      e.gets++;
      if (e.has) {
        const age = this.time.now() - e.fetchedAt;
        if (age <= freshMax && depth <= e.depth) {
          e.hits++;
          if (age > this.ahead && e.load === undefined) this.startLoad(e, depth); // refresh_ahead
          return Promise.resolve({ value: e.value as V, status: 'fresh', ageMs: age });
        }
        return this.slowGet(e, depth, age, maxAge);
      }
    } else {
      e = this.create(symbol);
      e.gets++;
    }
    return this.slowGet(e, depth, -1, maxAge);
  }

  /**
   * Synchronous read, no promise: the entry when it can be served now — fresh, or expired within max_stale_ms
   * when stale_ok (or while its refresh is failing: stale-if-error) — else undefined. Counts stats like get (a
   * served entry is a fresh or stale hit, undefined a miss) and starts the background refresh get would start
   * (so a later call finds the entry). With enabled: false it serves nothing (a miss, no refresh). Throws
   * CacheClosedError after close().
   */
  getSync(symbol: string, opts?: GetOptions): GetResult<V> | undefined {
    if (!this.fast) {
      if (this.closed) throw new CacheClosedError(symbol);
      return this.getSyncSlow(symbol, opts);
    }
    let depth = this.maxDepth;
    let freshMax = this.freshMax;
    if (opts !== undefined) {
      depth = this.depthOf(opts.depth);
      if (opts.maxAgeMs !== undefined) freshMax = this.maxStale < opts.maxAgeMs ? this.maxStale : opts.maxAgeMs; // NaN stays NaN
    }
    let e = this.map.get(symbol);
    if (e !== undefined) {
      if (e.slot !== this.headI) this.touch(e);
      e.gets++;
      if (e.has && depth <= e.depth) {
        const age = this.time.now() - e.fetchedAt;
        if (age <= freshMax) {
          e.hits++;
          if (age > this.ahead && e.load === undefined) this.startLoad(e, depth); // refresh_ahead
          return { value: e.value as V, status: 'fresh', ageMs: age };
        }
        if (age <= this.maxStale) {
          const load = e.load;
          if (this.staleOk || (load !== undefined && load.erroring)) {
            if (load === undefined) this.startLoad(e, depth);
            e.staleHits++;
            return { value: e.value as V, status: 'stale', ageMs: age };
          }
        }
      }
    } else {
      e = this.create(symbol);
      e.gets++;
    }
    if (e.load === undefined) this.startLoad(e, depth);
    e.misses++;
    return undefined;
  }

  /** getSync for enabled: false (a miss, nothing started) and ws_book (the kept book, or a miss). */
  private getSyncSlow(symbol: string, opts: GetOptions | undefined): GetResult<V> | undefined {
    let e = this.map.get(symbol);
    if (!this.enabled) {
      if (e === undefined) e = this.create(symbol);
      else if (e.slot !== this.headI) this.touch(e);
      e.gets++;
      e.misses++;
      return undefined;
    }
    const maxAge = Math.min(this.wsGap, opts?.maxAgeMs ?? Infinity);
    if (e === undefined) e = this.wsCreate(symbol);
    else if (e.slot !== this.headI) this.touch(e);
    e.gets++;
    if (e.has) {
      const age = this.time.now() - e.fetchedAt;
      if (age <= this.maxStale) {
        if (age <= maxAge) {
          e.hits++;
          return { value: this.wsValue(e), status: 'fresh', ageMs: age };
        }
        if (this.staleOk) {
          e.staleHits++;
          return { value: this.wsValue(e), status: 'stale', ageMs: age };
        }
      } else e.ws!.sub!.resync('ws_gap'); // (an entry in the map keeps its subscription until evicted or closed)
    }
    e.misses++;
    return undefined;
  }

  /** Seed-compatible: the value, or undefined when the refresh failed (RefreshError). */
  getOrderbook(symbol: string, opts?: GetOptions): Promise<V | undefined> {
    return this.get(symbol, opts).then(
      (r) => r.value,
      (err: unknown) => {
        if (err instanceof RefreshError) return undefined;
        throw err;
      },
    );
  }

  /** Not fresh: serve stale (stale-while-refresh / stale-if-error) or wait for a refresh. `age`: of the held value, if any. */
  private slowGet(e: Entry<V>, depth: number, age: number, maxAge: number): Promise<GetResult<V>> {
    if (e.has && age <= this.maxStale && depth <= e.depth) {
      const load = e.load;
      if (this.staleOk || (load !== undefined && load.erroring)) {
        if (load === undefined) this.startLoad(e, depth);
        e.staleHits++;
        return Promise.resolve({ value: e.value as V, status: 'stale', ageMs: age });
      }
    }
    return new Promise<GetResult<V>>((resolve, reject) => {
      this.join(e, { resolve, reject, depth, maxAge });
    });
  }

  private join(e: Entry<V>, w: Waiter<V>): void {
    const load = e.load ?? this.startLoad(e, w.depth);
    load.waiters.push(w);
  }

  // ----------------------------------------------------------------------------------------- bypass mode

  /** enabled: false — every get calls refresh once (bounded by refresh_timeout_ms, no retry, no caching). */
  private bypass(symbol: string, opts?: GetOptions): Promise<GetResult<V>> {
    let e = this.map.get(symbol);
    if (e === undefined) e = this.create(symbol);
    else if (e.slot !== this.headI) this.touch(e);
    e.gets++;
    e.bypasses++;
    const depth = this.depthOf(opts?.depth);
    const ent = e;
    ent.refreshes++;
    this.refreshes++;
    const t0 = this.time.now();
    return this.attempt(symbol, depth, new Runner()).then(
      (value) => {
        this.recordLatency(ent, this.time.now() - t0);
        return { value, status: 'bypass' as const, ageMs: 0 };
      },
      (err: unknown) => {
        ent.failures++;
        this.failures++;
        throw new RefreshError(symbol, 1, err);
      },
    );
  }

  // ------------------------------------------------------------------------------------- loads & runners

  private startLoad(e: Entry<V>, depth: number): Load<V> {
    const d = Math.min(this.maxDepth, Math.max(depth, e.depth));
    const load = new Load<V>(e, e.epoch, d);
    e.load = load;
    this.startRunner(load, true);
    return load;
  }

  private runnersOf(e: Entry<V>): number {
    let n = e.load ? e.load.runners.length : 0;
    if (e.retired) for (const l of e.retired) n += l.runners.length;
    return n;
  }

  /**
   * Starts a runner for `load` if the symbol has a free slot. A load's first runner may preempt a retired
   * (pre-invalidation) load: that load is aborted and its waiters move to `load`.
   */
  private startRunner(load: Load<V>, primary: boolean): void {
    const e = load.entry;
    // Hedges share the load's attempt budget: max_attempts bounds the refresh calls of a load in all.
    if (!primary && load.attempts >= this.maxAttempts) return;
    while (this.runnersOf(e) >= this.limit) {
      if (!primary || !e.retired || e.retired.length === 0) return;
      const old = e.retired.shift()!;
      if (e.retired.length === 0) e.retired = undefined;
      this.finishLoad(old, () => new Error(`refresh of ${e.symbol} preempted by a newer one`));
      for (const w of old.waiters) load.waiters.push(w);
      old.waiters = [];
    }
    const runner = new Runner();
    load.started++;
    load.runners.push(runner);
    this.run(load, runner).catch((err: unknown) => this.failLoad(load, err));
    // At most one hedge timer per load, armed while it has started fewer than max_inflight_refresh runners;
    // finishLoad and invalidateEntry clear it, so it only fires for the symbol's current, unfinished load.
    if (this.hedgeAfter > 0 && load.started < this.limit && load.hedgeTimer === undefined) {
      load.hedgeTimer = this.clock.setTimeout(() => {
        load.hedgeTimer = undefined;
        this.startRunner(load, false);
      }, this.hedgeAfter);
    }
  }

  private async run(load: Load<V>, runner: Runner): Promise<void> {
    const e = load.entry;
    for (let attempt = 1; ; attempt++) {
      if (load.done || runner.aborted) return;
      if (load.attempts >= this.maxAttempts) {
        // the load's budget went to other runners (hedges) while this one backed off
        this.runnerFailed(load, runner);
        return;
      }
      load.attempts++;
      const t0 = this.time.now();
      let value: V;
      let l2At: number | undefined;
      try {
        const rest = (): Promise<V> => {
          const held = this.holdUntil - this.time.now();
          if (held > 0) return Promise.reject(new RetryAfterError(`refresh of ${e.symbol} not called: a server's Retry-After runs for another ${Math.ceil(held)} ms`, held));
          e.refreshes++;
          this.refreshes++;
          return this.attempt(e.symbol, load.depth, runner);
        };
        if (this.shared === undefined) value = await rest();
        else ({ value, fetchedAt: l2At } = await refreshThroughL2(this.shared, this.time, e.symbol, load.depth, () => this.l2MaxAge(load), runner, rest));
      } catch (err) {
        if (load.done || runner.aborted) return; // lost a hedge race, preempted or invalidated
        load.lastError = err;
        const wait = retryAfterOf(err);
        if (!(err instanceof RetryAfterError)) {
          e.failures++;
          this.failures++;
          // a Retry-After beyond the retry budget (a 418 ban, a long 429): fail now and send nothing until it ends
          if (wait > this.maxMs) this.holdUntil = Math.max(this.holdUntil, this.time.now() + wait);
        }
        if (wait > this.maxMs) {
          this.failLoad(load, new RefreshError(e.symbol, load.attempts, err));
          return;
        }
        if (load.attempts >= this.maxAttempts) {
          this.runnerFailed(load, runner);
          return;
        }
        load.erroring = true;
        this.serveStaleIfError(load);
        const cap = Math.min(this.maxMs, this.baseMs * 2 ** (attempt - 1));
        try {
          await this.clock.sleep(Math.max((this.jitterFor ? this.jitterFor(e.symbol) : this.random()) * cap, wait), runner.signal);
        } catch {
          return;
        }
        continue;
      }
      this.succeed(load, runner, value, this.time.now() - t0, l2At);
      return;
    }
  }

  /** One refresh call, aborted (TimeoutError) after refresh_timeout_ms or when the runner is aborted. */
  private attempt(symbol: string, depth: number, runner: Runner): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      if (runner.aborted) {
        reject(abortErrorOf(runner.reason));
        return;
      }
      const a = new Attempt<V>(depth, resolve, reject);
      const settle = (): boolean => {
        if (a.settled) return false;
        a.settled = true;
        this.clock.clearTimeout(a.timer);
        if (runner.onAbort === onAbort) runner.onAbort = undefined;
        return true;
      };
      const onAbort = (reason: unknown): void => {
        if (!settle()) return;
        a.abortSignal(reason);
        reject(abortErrorOf(reason));
      };
      runner.onAbort = onAbort;
      a.timer = this.clock.setTimeout(() => {
        if (!settle()) return;
        const err = new TimeoutError(`refresh of ${symbol} timed out after ${this.timeoutMs} ms`);
        a.abortSignal(err);
        reject(err);
      }, this.timeoutMs);
      let p: Promise<V>;
      try {
        p = Promise.resolve(this.refreshFn(symbol, a));
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (v) => {
          if (!settle()) return;
          // undefined is the cache's "no value": a refresh that resolves it has failed (retried like an error)
          if (v === undefined) reject(new Error(`refresh of ${symbol} resolved undefined`));
          else resolve(v);
        },
        (err: unknown) => {
          if (settle()) reject(err);
        },
      );
    });
  }

  /** `l2At`: the value came from the shared tier, fetched at that (local clock) time. */
  private succeed(load: Load<V>, runner: Runner, value: V, latencyMs: number, l2At?: number): void {
    if (load.done) return;
    const e = load.entry;
    if (l2At === undefined) this.recordLatency(e, latencyMs);
    const current = e.load === load;
    this.finishLoad(load, () => new Error(`hedged refresh of ${e.symbol} lost`), runner);
    if (current && this.map.get(e.symbol) === e && e.epoch === load.epoch) {
      e.has = true;
      e.value = value;
      e.depth = load.depth;
      e.fetchedAt = l2At ?? this.time.now();
    }
    const waiters = load.waiters;
    load.waiters = [];
    for (const w of waiters) {
      if (w.depth <= load.depth && l2At !== undefined) {
        const age = this.time.now() - l2At;
        if (age > w.maxAge) {
          this.join(e, w); // joined after the L2 read and wants a younger book
          continue;
        }
        e.hits++;
        w.resolve({ value, status: 'fresh', ageMs: age });
      } else if (w.depth <= load.depth) {
        e.misses++;
        w.resolve({ value, status: 'miss', ageMs: 0 });
      } else {
        this.join(e, w); // asked for more depth than this load fetched
      }
    }
  }

  /** How old a book from the shared tier may be for this load: ttl_ms, or less when a waiter asked so. */
  private l2MaxAge(load: Load<V>): number {
    let m = this.ttl;
    for (const w of load.waiters) if (w.maxAge < m) m = w.maxAge;
    return m;
  }

  /** A runner used up its attempts; the load fails when it was the last one running. */
  private runnerFailed(load: Load<V>, runner: Runner): void {
    const i = load.runners.indexOf(runner);
    if (i >= 0) load.runners.splice(i, 1);
    if (load.runners.length > 0 || load.done) return;
    this.failLoad(load, new RefreshError(load.entry.symbol, load.attempts, load.lastError));
  }

  private failLoad(load: Load<V>, err: unknown, staleIfError = true): void {
    if (load.done) return;
    const e = load.entry;
    const current = e.load === load;
    this.finishLoad(load, err);
    if (current && staleIfError) this.serveStaleIfError(load);
    const waiters = load.waiters;
    load.waiters = [];
    const error = err instanceof RefreshError ? err : new RefreshError(e.symbol, load.attempts, err);
    for (const w of waiters) {
      e.misses++;
      w.reject(error);
    }
  }

  /** Serves the load's waiters the entry's expired value when it is within max_stale_ms (stale-if-error). */
  private serveStaleIfError(load: Load<V>): void {
    const e = load.entry;
    if (!e.has || e.epoch !== load.epoch || load.waiters.length === 0) return;
    const age = this.time.now() - e.fetchedAt;
    if (age > this.maxStale) return;
    const keep: Waiter<V>[] = [];
    for (const w of load.waiters) {
      if (w.depth <= e.depth) {
        e.staleHits++;
        w.resolve({ value: e.value as V, status: 'stale', ageMs: age });
      } else keep.push(w);
    }
    load.waiters = keep;
  }

  /** Marks the load done, detaches it from its entry and aborts its runners (except `keep`). */
  private finishLoad(load: Load<V>, reason: Reason, keep?: Runner): void {
    load.done = true;
    if (load.hedgeTimer !== undefined) {
      this.clock.clearTimeout(load.hedgeTimer);
      load.hedgeTimer = undefined;
    }
    for (const r of load.runners) if (r !== keep) r.abort(reason);
    load.runners.length = 0;
    const e = load.entry;
    if (e.load === load) e.load = undefined;
    else if (e.retired) {
      const i = e.retired.indexOf(load);
      if (i >= 0) e.retired.splice(i, 1);
      if (e.retired.length === 0) e.retired = undefined;
    }
  }

  private recordLatency(e: Entry<V>, ms: number): void {
    recordScaled(this.latency, ms, LAT_SCALE);
    this.metrics?.refreshLatency.observe(ms);
    const lat = (e.lat ??= new Float64Array(SYMBOL_LATENCY_WINDOW));
    lat[e.latN % SYMBOL_LATENCY_WINDOW] = ms;
    e.latN++;
  }

  // ------------------------------------------------------------------------------------------ invalidate

  /*
   * Counting: an invalidation is one held symbol (an entry of the cache) invalidated for a reason. Invalidating
   * a symbol the cache does not hold counts nothing; invalidateAll counts one per held symbol. stats() totals,
   * stats(symbol) and mm_md_cache_invalidations_total all count these; the totals also keep evicted symbols'.
   * With a shared tier, an invalidation also bumps the symbol's epoch in L2 for the whole fleet.
   */
  invalidate(symbol: string, reason: InvalidationReason = 'manual'): void {
    this.invalidateLocal(symbol, reason);
    this.shared?.invalidate(symbol);
  }

  invalidateAll(reason: InvalidationReason = 'all'): void {
    for (const e of [...this.map.values()]) this.invalidate(e.symbol, reason);
  }

  private invalidateLocal(symbol: string, reason: string): void {
    const e = this.map.get(symbol);
    if (e === undefined) return;
    if (e.ws !== undefined) e.ws.sub?.resync(reason); // ws_book: resync (counted when the feed reports 'lost')
    else this.invalidateEntry(e, reason);
  }

  private invalidateEntry(e: Entry<V>, reason: string): void {
    this.invTotals[reason] = (this.invTotals[reason] ?? 0) + 1;
    e.epoch++;
    e.has = false;
    e.value = undefined;
    const inv = (e.inv ??= {});
    inv[reason] = (inv[reason] ?? 0) + 1;
    const load = e.load;
    if (load !== undefined) {
      e.load = undefined;
      if (load.hedgeTimer !== undefined) {
        this.clock.clearTimeout(load.hedgeTimer);
        load.hedgeTimer = undefined;
      }
      if (load.waiters.length === 0) this.finishLoad(load, () => new Error(`refresh of ${e.symbol} invalidated (${reason})`));
      else (e.retired ??= []).push(load);
    }
  }

  peek(symbol: string): { value: V; ageMs: number } | undefined {
    const e = this.map.get(symbol);
    if (e === undefined || !e.has) return undefined;
    return { value: e.ws !== undefined ? this.wsValue(e) : (e.value as V), ageMs: this.time.now() - e.fetchedAt };
  }

  // ------------------------------------------------------------------------------------ ws_book policy
  //
  // The feed keeps each symbol's book from the diff stream (REST only to sync). An entry `has` a value while
  // the book is in sync; `fetchedAt` is the last time it was known to match the exchange (the sync, or the
  // last stream message applied). Fresh while that is within invalidate_on_ws_gap_ms; after that stale (served
  // when stale_ok) up to max_stale_ms; beyond, the symbol is resynced and callers wait. A 'lost' event
  // (gap, seq_gap, crossed, reconnect, an invalidate call) is an invalidation: the old book is never served
  // again; callers wait for the resync.

  private wsGet(symbol: string, opts: GetOptions | undefined): Promise<GetResult<V>> {
    const maxAge = Math.min(this.wsGap, opts?.maxAgeMs ?? Infinity);
    let e = this.map.get(symbol);
    if (e === undefined) e = this.wsCreate(symbol);
    else if (e.slot !== this.headI) this.touch(e);
    e.gets++;
    if (e.has) {
      const age = this.time.now() - e.fetchedAt;
      if (age <= this.maxStale) {
        if (age <= maxAge) {
          e.hits++;
          return Promise.resolve({ value: this.wsValue(e), status: 'fresh', ageMs: age });
        }
        if (this.staleOk) {
          e.staleHits++;
          return Promise.resolve({ value: this.wsValue(e), status: 'stale', ageMs: age });
        }
      } else e.ws!.sub!.resync('ws_gap'); // silent past max_stale_ms: never served; resync from a snapshot
    }
    const ent = e;
    return new Promise<GetResult<V>>((resolve, reject) => this.wsWait(ent, resolve, reject));
  }

  private wsCreate(symbol: string): Entry<V> {
    const e = this.create(symbol);
    const ws: WsState<V> = { sub: undefined, dirty: true, waiters: [], failedSyncs: 0 };
    e.ws = ws;
    ws.sub = this.feed!.subscribe(symbol, (ev) => this.onFeedEvent(e, ev));
    return e;
  }

  private wsValue(e: Entry<V>): V {
    const ws = e.ws!;
    if (ws.dirty || e.value === undefined) {
      const v = ws.sub?.book(this.maxDepth);
      if (v !== undefined) {
        e.value = v;
        ws.dirty = false;
      }
    }
    return e.value as V;
  }

  private wsWait(e: Entry<V>, resolve: (r: GetResult<V>) => void, reject: (err: unknown) => void): void {
    const ws = e.ws!;
    const w: WsWaiter<V> = { resolve, reject, timer: undefined };
    const failedBefore = ws.failedSyncs;
    w.timer = this.clock.setTimeout(() => {
      const i = ws.waiters.indexOf(w);
      if (i < 0) return;
      ws.waiters.splice(i, 1);
      e.misses++;
      const why = new TimeoutError(`ws_book: ${e.symbol} not in sync within ${this.wsWaitMs} ms`);
      reject(new RefreshError(e.symbol, Math.max(1, ws.failedSyncs - failedBefore), why));
    }, this.wsWaitMs);
    ws.waiters.push(w);
  }

  private onFeedEvent(e: Entry<V>, ev: BookFeedEvent): void {
    if (this.closed || this.map.get(e.symbol) !== e) return;
    const ws = e.ws!;
    switch (ev.type) {
      case 'lost': {
        this.invTotals[ev.reason] = (this.invTotals[ev.reason] ?? 0) + 1;
        const inv = (e.inv ??= {});
        inv[ev.reason] = (inv[ev.reason] ?? 0) + 1;
        e.epoch++;
        e.has = false;
        e.value = undefined;
        ws.dirty = true;
        return;
      }
      case 'sync_failed':
        ws.failedSyncs++;
        e.failures++;
        this.failures++;
        return;
      case 'synced':
        e.refreshes++;
        this.refreshes++;
        e.has = true;
        break;
      case 'message':
        if (!e.has) return; // buffered by the feed until the sync
        break;
    }
    if (ev.t > e.fetchedAt || ev.type === 'synced') e.fetchedAt = ev.t;
    ws.dirty = true;
    if (ws.waiters.length === 0) return;
    const waiters = ws.waiters;
    ws.waiters = [];
    const value = this.wsValue(e);
    const ageMs = this.time.now() - e.fetchedAt;
    for (const w of waiters) {
      this.clock.clearTimeout(w.timer);
      e.misses++;
      w.resolve({ value, status: 'miss', ageMs });
    }
  }

  private wsClose(e: Entry<V>, reason: string): void {
    const ws = e.ws!;
    const waiters = ws.waiters;
    ws.waiters = [];
    for (const w of waiters) {
      this.clock.clearTimeout(w.timer);
      e.misses++;
      w.reject(new RefreshError(e.symbol, ws.failedSyncs, new Error(reason)));
    }
    ws.sub?.close();
    ws.sub = undefined;
  }

  // ----------------------------------------------------------------------------------------------- LRU

  private create(symbol: string): Entry<V> {
    while (this.map.size >= this.maxSymbols && this.evict());
    const e = new Entry<V>(symbol);
    this.map.set(symbol, e);
    let i = this.freeSlots.pop();
    if (i === undefined) {
      i = this.slots.length;
      this.slots.push(e);
      if (i >= this.nextOf.length) this.growLinks();
    } else this.slots[i] = e;
    e.slot = i;
    this.prevOf[i] = -1;
    this.nextOf[i] = this.headI;
    if (this.headI >= 0) this.prevOf[this.headI] = i;
    else this.tailI = i;
    this.headI = i;
    return e;
  }

  private growLinks(): void {
    const prev = new Int32Array(this.nextOf.length * 2);
    const next = new Int32Array(this.nextOf.length * 2);
    prev.set(this.prevOf);
    next.set(this.nextOf);
    this.prevOf = prev;
    this.nextOf = next;
  }

  /** Moves e (not the head, so it has a predecessor) to the front. */
  private touch(e: Entry<V>): void {
    const i = e.slot;
    const p = this.prevOf[i]!;
    const n = this.nextOf[i]!;
    this.nextOf[p] = n;
    if (n >= 0) this.prevOf[n] = p;
    else this.tailI = p;
    this.prevOf[i] = -1;
    this.nextOf[i] = this.headI;
    this.prevOf[this.headI] = i;
    this.headI = i;
  }

  private unlink(e: Entry<V>): void {
    const i = e.slot;
    const p = this.prevOf[i]!;
    const n = this.nextOf[i]!;
    if (p >= 0) this.nextOf[p] = n;
    else this.headI = n;
    if (n >= 0) this.prevOf[n] = p;
    else this.tailI = p;
    this.slots[i] = undefined;
    this.freeSlots.push(i);
    e.slot = -1;
  }

  /**
   * Evicts the least recently used symbol. Symbols with callers waiting on a refresh are skipped (they were
   * used moments ago); a background refresh of the evicted symbol is aborted.
   */
  private evict(): boolean {
    for (let i = this.tailI; i >= 0; i = this.prevOf[i]!) {
      const c = this.slots[i]!;
      if ((c.load && c.load.waiters.length > 0) || c.retired) continue;
      if (c.ws !== undefined) {
        if (c.ws.waiters.length > 0) continue;
        this.wsClose(c, `${c.symbol} evicted`);
      }
      if (c.load) this.finishLoad(c.load, () => new Error(`${c.symbol} evicted`));
      const g = this.gone;
      g.gets += c.gets;
      g.hits += c.hits;
      g.staleHits += c.staleHits;
      g.misses += c.misses;
      g.bypasses += c.bypasses;
      this.unlink(c);
      this.map.delete(c.symbol);
      this.evictions++;
      if (this.metrics) this.metrics.evictions++;
      return true;
    }
    return false;
  }

  // --------------------------------------------------------------------------------------------- stats

  stats(symbol?: string): CacheStats {
    const now = this.time.now();
    if (symbol !== undefined) {
      const e = this.map.get(symbol);
      if (!e) return makeStats(0, 0, 0, 0, 0, undefined, 0, 0, emptyLatency(), 0, {});
      return makeStats(
        e.gets,
        e.hits,
        e.staleHits,
        e.misses,
        e.bypasses,
        e.has ? now - e.fetchedAt : undefined,
        e.refreshes,
        e.failures,
        windowLatency(e),
        0,
        { ...(e.inv ?? {}) },
      );
    }
    let oldest: number | undefined;
    let { gets, hits, staleHits, misses, bypasses } = this.gone;
    for (const e of this.map.values()) {
      gets += e.gets;
      hits += e.hits;
      staleHits += e.staleHits;
      misses += e.misses;
      bypasses += e.bypasses;
      if (e.has) {
        const age = now - e.fetchedAt;
        if (oldest === undefined || age > oldest) oldest = age;
      }
    }
    const h = this.latency;
    const lat: LatencySummary =
      h.totalCount === 0
        ? emptyLatency()
        : {
            // HDR rounds percentiles up to their bucket's top; the max is exact, so cap at it.
            p50: round3(Math.min(h.getValueAtPercentile(50), h.maxValue) / LAT_SCALE),
            p95: round3(Math.min(h.getValueAtPercentile(95), h.maxValue) / LAT_SCALE),
            p99: round3(Math.min(h.getValueAtPercentile(99), h.maxValue) / LAT_SCALE),
            max: round3(h.maxValue / LAT_SCALE),
          };
    const all = makeStats(
      gets,
      hits,
      staleHits,
      misses,
      bypasses,
      oldest,
      this.refreshes,
      this.failures,
      lat,
      this.evictions,
      { ...this.invTotals },
    );
    if (this.shared) all.shared = this.shared.stats();
    return all;
  }

  /** MetricsSource: every held symbol's counters, for the scrape-time collect() callbacks. */
  forEachSymbol(fn: (c: SymbolCounters, ageMs: number | undefined) => void): void {
    const now = this.time.now();
    for (const e of this.map.values()) fn(e, e.has ? now - e.fetchedAt : undefined);
  }

  /**
   * Stops the cache: aborts every refresh in flight (waiting callers get a RefreshError, never a stale value)
   * and detaches its series from the registry. A get made afterwards rejects with CacheClosedError.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fast = false;
    for (const e of this.map.values()) {
      if (e.ws !== undefined) this.wsClose(e, 'cache closed');
      const loads = [...(e.load ? [e.load] : []), ...(e.retired ?? [])];
      for (const l of loads) this.failLoad(l, new Error('cache closed'), false);
    }
    if (this.metrics && this.metricsRef) this.metrics.delete(this.metricsRef);
    this.metricsRef = undefined;
    void this.shared?.close();
  }
}

function emptyLatency(): LatencySummary {
  return { p50: 0, p95: 0, p99: 0, max: 0 };
}

function windowLatency(e: { lat: Float64Array | undefined; latN: number }): LatencySummary {
  const n = Math.min(e.latN, SYMBOL_LATENCY_WINDOW);
  if (!e.lat || n === 0) return emptyLatency();
  const xs = Array.from(e.lat.subarray(0, n)).sort((a, b) => a - b);
  const at = (p: number): number => round3(xs[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!);
  return { p50: at(50), p95: at(95), p99: at(99), max: round3(xs[n - 1]!) };
}

function makeStats(
  gets: number,
  hits: number,
  staleHits: number,
  misses: number,
  bypasses: number,
  ageMs: number | undefined,
  refreshes: number,
  refreshFailures: number,
  refreshLatencyMs: LatencySummary,
  evictions: number,
  invalidations: Record<string, number>,
): CacheStats {
  return {
    gets,
    hits,
    staleHits,
    misses,
    bypasses,
    hitRatio: gets > 0 ? (hits + staleHits) / gets : 0,
    freshRatio: gets > 0 ? hits / gets : 0,
    staleRatio: gets > 0 ? staleHits / gets : 0,
    ageMs,
    refreshes,
    refreshFailures,
    refreshLatencyMs,
    evictions,
    invalidations,
  };
}

function abortErrorOf(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  const err = new Error(typeof reason === 'string' ? reason : 'The operation was aborted');
  err.name = 'AbortError';
  return err;
}

/**
 * A server's "retry after" hint carried by the error (e.g. a 429's `Retry-After` as `retryAfterMs`), at most
 * MAX_HOLD_MS; 0 when there is none. Up to retry.max_ms the next attempt waits at least that long (retries are
 * not wasted on a rate limit); a longer one fails the refresh at once and holds every refresh back until it ends.
 */
function retryAfterOf(err: unknown): number {
  const ms = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof ms === 'number' && ms > 0 ? Math.min(ms, MAX_HOLD_MS) : 0;
}
