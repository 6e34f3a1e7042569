/**
 * BookFeed adapter over a live WsBook (policy ws_book with `--source binance`): the WsBook keeps every symbol's
 * book from the exchange's diff-depth WebSocket stream with the spot sync procedure and fetches its snapshots
 * from its own REST source (the live market's feed source; `restStats().feed`). Its events become the
 * cache's: 'synced' → synced, an applied diff → message, a resync for a gap / crossed book / malformed frame /
 * reconnect, or a disconnect → lost (once per loss), a snapshot error → sync_failed. Timestamps are read from
 * `clock` (the run's clock) when the event happens.
 */
import type { Clock } from '../core/clock.js';
import type { BookFeed, BookFeedEvent, BookSubscription, InvalidationReason } from '../cache/types.js';
import type { OrderBook } from '../market/book.js';
import type { WsBook, WsBookEvent } from './ws-book.js';

const LOSS: Record<string, InvalidationReason> = { gap: 'seq_gap', crossed: 'crossed', malformed: 'malformed', reconnect: 'reconnect' };

interface Sub {
  symbol: string;
  listener: (e: BookFeedEvent) => void;
  live: boolean;
  matchedAt: number;
  closed: boolean;
}

export interface WsBookFeedOptions {
  /** A started WsBook (shared: this adapter only listens to it and asks it to resync). */
  wsBook: WsBook;
  /** The clock the cache runs on (event times are read from it). */
  clock: Clock;
}

export class WsBookFeed implements BookFeed<OrderBook> {
  readonly wsBook: WsBook;
  private readonly subs = new Map<string, Sub>();
  private readonly off: () => void;
  /** A resync this adapter asked for: its 'resync' event is not a second loss. */
  private requested: string | undefined;

  constructor(private readonly o: WsBookFeedOptions) {
    this.wsBook = o.wsBook;
    this.off = this.wsBook.onEvent((e) => this.onEvent(e));
  }

  subscribe(symbol: string, listener: (e: BookFeedEvent) => void): BookSubscription<OrderBook> {
    if (this.subs.has(symbol)) throw new Error(`book feed: ${symbol} is already subscribed`);
    if (!this.wsBook.symbols.includes(symbol)) throw new Error(`book feed: ${symbol} is not streamed`);
    const sub: Sub = { symbol, listener, live: false, matchedAt: 0, closed: false };
    this.subs.set(symbol, sub);
    const feed = this;
    const handle: BookSubscription<OrderBook> = {
      get synced() {
        return sub.live;
      },
      book(depth: number) {
        if (!sub.live) return undefined;
        const b = feed.wsBook.book(symbol, depth);
        if (b) b.takenAt = sub.matchedAt;
        return b;
      },
      resync(reason: InvalidationReason) {
        if (sub.closed || !sub.live) return;
        feed.lose(sub, reason);
        feed.requested = symbol;
        try {
          feed.wsBook.resyncSymbol(symbol);
        } finally {
          feed.requested = undefined;
        }
      },
      close() {
        sub.closed = true;
        if (feed.subs.get(symbol) === sub) feed.subs.delete(symbol);
      },
    };
    // A book the WsBook already holds in sync is usable at once.
    if (this.wsBook.isSynced(symbol)) {
      sub.live = true;
      sub.matchedAt = this.o.clock.now();
      queueMicrotask(() => {
        if (!sub.closed && sub.live) listener({ type: 'synced', t: sub.matchedAt });
      });
    }
    return handle;
  }

  /** Stops listening (the WsBook itself is closed by its owner). */
  detach(): void {
    this.off();
    this.subs.clear();
  }

  private lose(sub: Sub, reason: InvalidationReason): void {
    if (!sub.live) return;
    sub.live = false;
    sub.listener({ type: 'lost', t: this.o.clock.now(), reason });
  }

  private onEvent(e: WsBookEvent): void {
    const now = this.o.clock.now();
    switch (e.type) {
      case 'synced': {
        const sub = this.subs.get(e.symbol);
        if (!sub) return;
        sub.live = true;
        sub.matchedAt = now;
        sub.listener({ type: 'synced', t: now });
        return;
      }
      case 'diff': {
        const sub = this.subs.get(e.symbol);
        if (!sub || !sub.live) return;
        sub.matchedAt = now;
        sub.listener({ type: 'message', t: now });
        return;
      }
      case 'resync': {
        const sub = this.subs.get(e.symbol);
        const reason = LOSS[e.reason];
        if (sub && reason && this.requested !== e.symbol) this.lose(sub, reason);
        return;
      }
      case 'disconnect':
        // the WsBook resets every book on a disconnect; the cache must not serve them as live
        for (const sub of this.subs.values()) this.lose(sub, 'reconnect');
        return;
      case 'snapshot_error': {
        const sub = this.subs.get(e.symbol);
        sub?.listener({ type: 'sync_failed', t: now, error: e.error });
        return;
      }
    }
  }
}
