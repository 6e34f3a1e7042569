/**
 * BookFeed adapter for a MarketFeed (the synthetic generator or a replay): keeps one LocalBook per subscribed
 * symbol from the feed's delivered diffs with the exchange's sync procedure — buffer the stream, fetch a REST
 * snapshot (from `snapshots`, e.g. the cached path's simulated REST source, so its requests are counted
 * there), replay the buffer; resync on a sequence gap (`seq_gap`), a crossed book (`crossed`) or a reconnect
 * (`reconnect`). Snapshot fetches are bounded by `timeoutMs` and retried with exponential backoff and full
 * jitter on the injected clock; a stale snapshot (older than the buffered stream) is fetched again.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { TimeoutError } from '../core/errors.js';
import { rngStream } from '../core/rng.js';
import type { BookFeed, BookFeedEvent, BookSubscription, InvalidationReason } from '../cache/types.js';
import type { OrderBook } from './book.js';
import type { FeedMessage, MarketFeed } from './feed.js';
import { LocalBook, type BookDiff } from './local-book.js';
import type { SnapshotSource } from './rest.js';

export interface MarketBookFeedOptions {
  clock: Clock;
  feed: MarketFeed;
  /** Where the (re)sync snapshots come from. */
  snapshots: SnapshotSource;
  /** Snapshot depth requested (default 1000: deep enough that the kept book does not run out of levels). */
  snapshotDepth?: number;
  /** Each snapshot request is abandoned after this long (default 1000 ms). */
  timeoutMs?: number;
  /** Retry backoff: attempt n waits uniform(0, min(maxMs, baseMs·2^n)) (default 50 / 2000 ms). */
  backoff?: { baseMs: number; maxMs: number };
  /** Uniform [0,1) jitter (default a stream seeded with `seed`). */
  random?: () => number;
  seed?: number | string;
}

class Sub implements BookSubscription<OrderBook> {
  readonly local: LocalBook;
  gen = 0;
  closed = false;
  ac: AbortController | undefined = undefined;
  /** Last time the book was known to match the exchange (sync or last applied message). */
  matchedAt = 0;
  /** Synced as far as the listener knows ('synced' sent, no 'lost' since): 'lost' is sent once per loss. */
  live = false;
  constructor(
    readonly owner: MarketBookFeed,
    readonly symbol: string,
    tick: LocalBook['tick'],
    readonly listener: (e: BookFeedEvent) => void,
  ) {
    this.local = new LocalBook(symbol, tick);
  }
  get synced(): boolean {
    return this.local.isSynced;
  }
  book(depth: number): OrderBook | undefined {
    return this.local.isSynced ? this.local.toBook(depth, this.matchedAt) : undefined;
  }
  resync(reason: InvalidationReason): void {
    if (this.closed || !this.live) return; // not synced: a sync is already under way
    this.local.reset();
    this.owner.startSync(this, reason);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.gen++;
    this.ac?.abort();
    this.owner.drop(this);
  }
}

export class MarketBookFeed implements BookFeed<OrderBook> {
  private readonly subs = new Map<string, Sub>();
  private readonly off: () => void;
  private readonly random: () => number;
  private readonly depth: number;
  private readonly timeoutMs: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  /** Counts for tests and results: syncs started by reason, snapshots applied, fetch failures. */
  readonly counts = { syncs: 0, snapshots: 0, failures: 0, byReason: {} as Record<string, number> };

  constructor(private readonly o: MarketBookFeedOptions) {
    this.depth = o.snapshotDepth ?? 1000;
    this.timeoutMs = o.timeoutMs ?? 1000;
    this.backoff = o.backoff ?? { baseMs: 50, maxMs: 2000 };
    if (o.random) this.random = o.random;
    else {
      const r = rngStream(o.seed ?? 'book-feed', 'book-feed/resync');
      this.random = () => r.next();
    }
    this.off = o.feed.onMessage((m) => this.onMessage(m));
  }

  subscribe(symbol: string, listener: (e: BookFeedEvent) => void): BookSubscription<OrderBook> {
    if (this.subs.has(symbol)) throw new Error(`book feed: ${symbol} is already subscribed`);
    const info = this.o.feed.info(symbol);
    if (!info) throw new Error(`book feed: unknown symbol ${symbol}`);
    const sub = new Sub(this, symbol, info.tick, listener);
    this.subs.set(symbol, sub);
    this.startSync(sub, 'initial');
    return sub;
  }

  /** Stops listening to the feed and every sync. */
  detach(): void {
    this.off();
    for (const s of [...this.subs.values()]) s.close();
  }

  /** @internal */
  drop(sub: Sub): void {
    if (this.subs.get(sub.symbol) === sub) this.subs.delete(sub.symbol);
  }

  private onMessage(m: FeedMessage): void {
    if (m.type === 'diff') {
      const s = this.subs.get(m.symbol);
      if (s) this.onDiff(s, m.diff, m.t);
    } else if (m.type === 'reconnect') {
      // every book is reset (no ghost levels), synced or not
      for (const s of [...this.subs.values()]) {
        s.local.reset();
        this.startSync(s, 'reconnect');
      }
    }
    // disconnect: nothing to do until the reconnect (the silence shows in the book's age)
  }

  private onDiff(s: Sub, d: BookDiff, t: number): void {
    const outcome = s.local.onDiff(d);
    if (outcome === 'needs-snapshot' || outcome === 'ignored') return;
    if (outcome === 'gap') {
      // LocalBook dropped the book and kept this event buffered: fetch a new snapshot on top of it.
      this.startSync(s, 'seq_gap');
      return;
    }
    if (s.local.book.isCrossed()) {
      s.resync('crossed');
      return;
    }
    if (t > s.matchedAt) s.matchedAt = t;
    s.listener({ type: 'message', t });
  }

  /** @internal Starts (or restarts) the symbol's snapshot loop; emits 'lost' first (except for the initial sync). */
  startSync(s: Sub, reason: InvalidationReason): void {
    s.gen++;
    s.ac?.abort();
    s.ac = undefined;
    this.counts.syncs++;
    this.counts.byReason[reason] = (this.counts.byReason[reason] ?? 0) + 1;
    if (s.live) {
      s.live = false;
      s.listener({ type: 'lost', t: this.o.clock.now(), reason });
    }
    void this.syncLoop(s, s.gen);
  }

  private async syncLoop(s: Sub, gen: number): Promise<void> {
    const { clock } = this.o;
    const ac = new AbortController(); // aborted by a newer sync or close
    s.ac = ac;
    for (let attempt = 0; ; attempt++) {
      if (s.gen !== gen || s.closed) return;
      let wait = 0;
      let timer: TimerHandle | undefined;
      try {
        const tac = new AbortController();
        timer = clock.setTimeout(() => tac.abort(new TimeoutError(`snapshot ${s.symbol}: no response within ${this.timeoutMs} ms`)), this.timeoutMs);
        const snap = await this.o.snapshots.fetch(s.symbol, this.depth, AbortSignal.any([ac.signal, tac.signal]));
        clock.clearTimeout(timer);
        if (s.gen !== gen || s.closed) return;
        this.counts.snapshots++;
        const r = s.local.applySnapshot(snap);
        if (r.outcome === 'synced' && !s.local.book.isCrossed()) {
          s.ac = undefined;
          s.matchedAt = clock.now();
          s.live = true;
          s.listener({ type: 'synced', t: s.matchedAt });
          return;
        }
        if (r.outcome === 'synced') s.local.reset(); // a crossed snapshot: fetch again
        wait = r.outcome === 'gap' ? 0 : this.delay(attempt);
      } catch (err) {
        clock.clearTimeout(timer);
        if (s.gen !== gen || s.closed) return;
        this.counts.failures++;
        s.listener({ type: 'sync_failed', t: clock.now(), error: err });
        const hint = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
        wait = Math.max(this.delay(attempt), typeof hint === 'number' && hint > 0 ? Math.min(hint, 600_000) : 0);
      }
      if (wait > 0) {
        try {
          await clock.sleep(wait, ac.signal);
        } catch {
          return;
        }
      }
    }
  }

  private delay(attempt: number): number {
    return this.random() * Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.min(attempt, 30));
  }
}
