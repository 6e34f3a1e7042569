/** A scripted BookFeed for the ws_book policy tests (virtual time; the test drives syncs, messages and losses). */
import type { BookFeed, BookFeedEvent, BookSubscription, InvalidationReason } from '../../src/cache/types.js';

/** A book version: which sync it came from and how many messages after it. */
export interface Book {
  symbol: string;
  sync: number;
  seq: number;
  takenAt: number;
}

export class ScriptedSub implements BookSubscription<Book> {
  synced = false;
  closed = false;
  sync = 0;
  seq = 0;
  matchedAt = 0;
  resyncs: InvalidationReason[] = [];
  constructor(
    readonly symbol: string,
    readonly listener: (e: BookFeedEvent) => void,
  ) {}
  book(): Book | undefined {
    return this.synced ? { symbol: this.symbol, sync: this.sync, seq: this.seq, takenAt: this.matchedAt } : undefined;
  }
  resync(reason: InvalidationReason): void {
    this.resyncs.push(reason);
    this.lose(0, reason);
  }
  close(): void {
    this.closed = true;
  }
  // driven by the test
  lose(t: number, reason: InvalidationReason): void {
    this.synced = false;
    this.listener({ type: 'lost', t, reason });
  }
  doSync(t: number): void {
    this.synced = true;
    this.sync++;
    this.seq = 0;
    this.matchedAt = t;
    this.listener({ type: 'synced', t });
  }
  message(t: number): void {
    if (!this.synced) return;
    this.seq++;
    this.matchedAt = t;
    this.listener({ type: 'message', t });
  }
}

export class ScriptedFeed implements BookFeed<Book> {
  readonly subs = new Map<string, ScriptedSub>();
  subscribe(symbol: string, listener: (e: BookFeedEvent) => void): ScriptedSub {
    const s = new ScriptedSub(symbol, listener);
    this.subs.set(symbol, s);
    return s;
  }
}
