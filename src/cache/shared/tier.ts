/**
 * SharedTier: the L2 logic shared by every store (Redis or simulated): leases with tokens, epoch-fenced writes,
 * fleet-wide invalidation notices, a circuit breaker with fallback to L1-only, and the counters behind the
 * mm_md_shared_* / mm_md_l2_* metrics.
 *
 * Failures never reach callers: every store call is bounded by command_timeout_ms on the injected clock; a
 * timeout, an error or a lost connection opens the breaker, and while it is open every call answers
 * `undefined` at once ("unavailable": the cache refreshes on its own, as without a shared tier). A probe
 * (PING) every breaker_reset_ms closes it again once the store and its subscription are back; the tier then
 * re-sends the invalidations made while it was open and asks the cache to drop its L1 entries (notices may
 * have been missed), so no book from before an invalidation survives an outage.
 *
 * Clock: ages of L2 books are measured on the store's clock only (Redis `TIME` inside the Lua scripts), so
 * host clocks are never compared (no cross-host skew). A reader turns the age into its own monotonic clock as
 * `fetchedAt = (time the read was sent) − age`, which can only over-state the age (by at most one round
 * trip); a writer adds its last measured round trip to the age it sends, which covers the write's one-way
 * delay. Books are therefore never younger in L2 than they really are.
 */
import type { AbortLike } from '../../core/abort.js';
import type { Registry } from 'prom-client';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { createHistogram, recordScaled, round3, type Histogram } from '../../metrics/hdr.js';
import { sharedMetricsFor, type SharedMetrics } from './metrics.js';
import type { SharedCodec, SharedStats, SharedStore, StoreEvent } from './types.js';

export interface SharedTierOptions<V> {
  store: SharedStore;
  codec: SharedCodec<V>;
  clock: Clock;
  /** Lease length: a holder that dies stops blocking others after this long. */
  leaseMs: number;
  /** Every store call is abandoned (and counted as an error) after this long. */
  commandTimeoutMs: number;
  /** While the breaker is open, the store is probed this often. */
  breakerResetMs: number;
  /** L2 books expire after this long (the cache's max_stale_ms: an older book is useless anyway). */
  bookTtlMs: number;
  /** Identifies this process in lease tokens and notices (its own notices are ignored). */
  origin: string;
  registry?: Registry | null;
  /** One line per state change (fallback, recovery). */
  log?: (line: string) => void;
}

/** An L2 book turned into this process' clock. */
export interface L2Book<V> {
  epoch: number;
  value?: V;
  depth: number;
  /** Local clock time the book was fetched at (conservative: never later than the truth). */
  fetchedAt: number;
}

/** What the cache gives the tier so notices can reach its L1. */
export interface SharedListener {
  /** Another process invalidated `symbol`: drop the L1 entry. */
  invalidated(symbol: string): void;
  /** The tier is back after an outage: notices may have been lost, drop every L1 entry. */
  resync(): void;
}

const RTT_SCALE = 1000;

export class SharedTier<V> {
  readonly leaseMs: number;
  private readonly store: SharedStore;
  private readonly codec: SharedCodec<V>;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly resetMs: number;
  private readonly bookTtlMs: number;
  readonly origin: string;
  private readonly log: (line: string) => void;
  private listener: SharedListener | undefined;

  private open = false;
  private storeUp = true;
  private probeTimer: TimerHandle | undefined;
  private probing = false;
  private closed = false;
  private seq = 0;
  private lastRtt = 0;
  private readonly held = new Map<string, string>();
  private readonly waiting = new Map<string, Set<() => void>>();
  /** Invalidations made while the store was unreachable, re-sent on recovery. */
  private readonly pending = new Set<string>();
  private readonly rtt: Histogram = createHistogram();
  private readonly metrics: SharedMetrics | undefined;
  private readonly metricsRef: WeakRef<{ stats(): SharedStats }> | undefined;

  readonly counts = { l2Hits: 0, l2Misses: 0, leaseWins: 0, leaseWaits: 0, leaseTimeouts: 0, writesRefused: 0, errors: 0, fallbacks: 0, resyncs: 0 };

  constructor(opts: SharedTierOptions<V>) {
    this.store = opts.store;
    this.codec = opts.codec;
    this.clock = opts.clock;
    this.leaseMs = opts.leaseMs;
    this.timeoutMs = opts.commandTimeoutMs;
    this.resetMs = opts.breakerResetMs;
    this.bookTtlMs = opts.bookTtlMs;
    this.origin = opts.origin;
    this.log = opts.log ?? (() => {});
    if (opts.registry !== null && opts.registry !== undefined) {
      this.metrics = sharedMetricsFor(opts.registry);
      this.metricsRef = this.metrics.add(this);
    }
    this.store.subscribe(
      (e) => this.onEvent(e),
      (up) => this.onStatus(up),
    );
  }

  /** Connects the cache's L1 (one listener). */
  attach(listener: SharedListener): void {
    this.listener = listener;
  }

  /** True while the breaker is open: the cache works L1-only. */
  get down(): boolean {
    return this.open;
  }

  // ------------------------------------------------------------------------------------------ commands

  /** Reads the symbol's epoch and L2 book; undefined when the store is unavailable. */
  async read(symbol: string): Promise<L2Book<V> | undefined> {
    const t0 = this.clock.now();
    const r = await this.op(() => this.store.read(symbol));
    if (r === undefined) return undefined;
    if (r.book === undefined) return { epoch: r.epoch, depth: 0, fetchedAt: -Infinity };
    const fetchedAt = t0 - Math.max(0, r.book.ageMs);
    let value: V;
    try {
      value = this.codec.decode(r.book.bytes, symbol, fetchedAt);
    } catch (err) {
      this.counts.errors++;
      this.log(`shared tier: unreadable L2 book for ${symbol} ignored (${(err as Error).message})`);
      return { epoch: r.epoch, depth: 0, fetchedAt: -Infinity };
    }
    return { epoch: r.epoch, value, depth: r.book.depth, fetchedAt };
  }

  /** Tries to take the refresh lease: true won, false held by another, undefined store unavailable. */
  async acquire(symbol: string): Promise<boolean | undefined> {
    const token = `${this.origin}#${++this.seq}`;
    const won = await this.op(() => this.store.acquire(symbol, token, this.leaseMs));
    if (won === true) {
      this.held.set(symbol, token);
      this.counts.leaseWins++;
    } else if (won === false) this.counts.leaseWaits++;
    return won;
  }

  /** Releases the lease this process holds on `symbol` (compare-and-delete; a no-op when it expired). */
  release(symbol: string): Promise<void> {
    const token = this.held.get(symbol);
    if (token === undefined) return Promise.resolve();
    this.held.delete(symbol);
    return this.op(() => this.store.release(symbol, token)).then(() => undefined);
  }

  /**
   * Writes a book fetched under `epoch` (refused when the epoch moved: the book predates an invalidation, and
   * the listener drops the L1 copy). `ageMs` is the book's age now on this process' clock.
   */
  async write(symbol: string, epoch: number, value: V, depth: number, ageMs: number): Promise<boolean | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encode(value);
    } catch (err) {
      this.counts.errors++;
      this.log(`shared tier: book for ${symbol} not encodable (${(err as Error).message})`);
      return undefined;
    }
    const ok = await this.op(() => this.store.write(symbol, epoch, bytes, depth, ageMs + this.lastRtt, this.bookTtlMs, this.origin));
    if (ok === false) {
      this.counts.writesRefused++;
      this.listener?.invalidated(symbol);
    }
    return ok;
  }

  /** Fleet-wide invalidation (fire and forget); remembered and re-sent when the store is unavailable. */
  invalidate(symbol: string): void {
    if (this.closed) return;
    if (this.open) {
      this.pending.add(symbol);
      return;
    }
    void this.op(() => this.store.invalidate(symbol, this.origin)).then((n) => {
      if (n === undefined) this.pending.add(symbol);
    });
  }

  /**
   * Resolves when a `written` notice for `symbol` arrives, after `ms`, or when `signal` aborts, whichever is
   * first (never rejects; the caller re-reads L2).
   */
  waitWritten(symbol: string, ms: number, signal?: AbortLike): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.waiting.get(symbol);
      if (set === undefined) this.waiting.set(symbol, (set = new Set()));
      const s = set;
      const done = (): void => {
        this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        s.delete(done);
        if (s.size === 0 && this.waiting.get(symbol) === s) this.waiting.delete(symbol);
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      s.add(done);
      if (signal?.aborted) done();
      else signal?.addEventListener('abort', done, { once: true });
    });
  }

  hit(): void {
    this.counts.l2Hits++;
  }
  miss(): void {
    this.counts.l2Misses++;
  }
  leaseTimedOut(): void {
    this.counts.leaseTimeouts++;
  }

  stats(): SharedStats {
    const h = this.rtt;
    const at = (p: number): number => (h.totalCount === 0 ? 0 : round3(Math.min(h.getValueAtPercentile(p), h.maxValue) / RTT_SCALE));
    return {
      ...this.counts,
      fallback: this.open ? 1 : 0,
      rttMs: { p50: at(50), p99: at(99), max: h.totalCount === 0 ? 0 : round3(h.maxValue / RTT_SCALE), count: h.totalCount },
    };
  }

  /** Stops probing, drops the listener and closes the store's connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    for (const set of this.waiting.values()) for (const f of [...set]) f();
    if (this.metrics && this.metricsRef) this.metrics.delete(this.metricsRef);
    this.listener = undefined;
    await this.store.close();
  }

  // ---------------------------------------------------------------------------------------- internals

  /** One store call bounded by the command timeout; undefined (and the breaker opens) on any failure. */
  private op<T>(f: () => Promise<T>): Promise<T | undefined> {
    if (this.open || this.closed) return Promise.resolve(undefined);
    const t0 = this.clock.now();
    return new Promise<T | undefined>((resolve) => {
      let done = false;
      const timer = this.clock.setTimeout(() => {
        if (done) return;
        done = true;
        this.failed(new Error(`command timed out after ${this.timeoutMs} ms`));
        resolve(undefined);
      }, this.timeoutMs);
      let p: Promise<T>;
      try {
        p = f();
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (v) => {
          if (done) return;
          done = true;
          this.clock.clearTimeout(timer);
          const ms = this.clock.now() - t0;
          this.lastRtt = ms;
          recordScaled(this.rtt, ms, RTT_SCALE);
          this.metrics?.rtt.observe(ms);
          resolve(v);
        },
        (err: unknown) => {
          if (done) return;
          done = true;
          this.clock.clearTimeout(timer);
          this.failed(err);
          resolve(undefined);
        },
      );
    });
  }

  private failed(err: unknown): void {
    if (this.closed) return;
    this.counts.errors++;
    this.trip(`store error: ${(err as Error)?.message ?? String(err)}`);
  }

  /** Opens the breaker (L1-only) and schedules probes. */
  private trip(why: string): void {
    if (this.open || this.closed) return;
    this.open = true;
    this.counts.fallbacks++;
    this.log(`shared tier: falling back to L1-only (${why}); probing every ${this.resetMs} ms`);
    // Leases held are abandoned (they expire by themselves); waiters re-read and find the store unavailable.
    this.held.clear();
    for (const set of this.waiting.values()) for (const f of [...set]) f();
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.closed || this.probeTimer !== undefined) return;
    this.probeTimer = this.clock.setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, this.resetMs);
  }

  private async probe(): Promise<void> {
    if (this.closed || !this.open || this.probing) return;
    this.probing = true;
    let ok = false;
    try {
      ok = this.storeUp && (await this.bounded(this.store.ping()));
    } finally {
      this.probing = false;
    }
    if (this.closed) return;
    if (!ok || !this.storeUp) {
      this.scheduleProbe();
      return;
    }
    this.open = false;
    this.counts.resyncs++;
    this.log('shared tier: store reachable again; L1 resynced, shared tier back in use');
    const replay = [...this.pending];
    this.pending.clear();
    for (const s of replay) this.invalidate(s);
    this.listener?.resync();
  }

  /** True when `p` resolves within the command timeout. */
  private bounded(p: Promise<unknown>): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(false), this.timeoutMs);
      p.then(
        () => {
          this.clock.clearTimeout(timer);
          resolve(true);
        },
        () => {
          this.clock.clearTimeout(timer);
          resolve(false);
        },
      );
    });
  }

  private onEvent(e: StoreEvent): void {
    if (this.closed) return;
    if (e.type === 'written') {
      const set = this.waiting.get(e.symbol);
      if (set) for (const f of [...set]) f();
      return;
    }
    if (e.origin === this.origin) return;
    this.listener?.invalidated(e.symbol);
  }

  private onStatus(up: boolean): void {
    if (this.closed) return;
    this.storeUp = up;
    if (!up) this.trip('connection lost');
    else if (this.open) {
      this.clock.clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
      void this.probe();
    }
  }
}
