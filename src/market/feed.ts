/**
 * The feed interface shared by the generated market (MarketSim) and the replay of a recorded JSONL stream.
 *
 * A feed has two layers:
 *  - records: the ground-truth event stream with each event's delivery fate (what `mdcache generate` writes);
 *  - messages: what a WebSocket client sees (delivered diffs, possibly reordered or glitched, and
 *    disconnect / reconnect markers), in time order.
 * Both are produced lazily by `advanceTo(t)`.
 */
import type { DepthDiff } from './types.js';
import type { OrderBook } from './book.js';
import { BID, type BookDiff } from './local-book.js';
import { ticksToPrice, formatQty, type TickSize } from './ticks.js';

export interface SymbolInfo {
  readonly symbol: string;
  /** Position in the feed's symbol list. */
  readonly index: number;
  readonly tick_size: string;
  readonly tick: TickSize;
  /** Initial mid price. */
  readonly price: string;
  readonly qtyDecimals: number;
}

export type EventKind = 'update' | 'jump' | 'price_jump';

/** A ground-truth depth event in integer form; the wire DepthDiff is produced lazily. */
export class MarketEvent implements BookDiff {
  private wire: DepthDiff | undefined;
  constructor(
    readonly info: SymbolInfo,
    /** Event time (ms, feed clock; also the exchange time E). */
    readonly t: number,
    readonly U: number,
    readonly u: number,
    /** Flat [side, ticks, qty]*. */
    readonly changes: readonly number[],
    readonly kind: EventKind = 'update',
  ) {}

  get symbol(): string {
    return this.info.symbol;
  }
  get E(): number {
    return this.t;
  }

  /** The same event with `extra` [side, ticks, qty]* changes appended (glitch / correction on the delivered copy). */
  withExtra(extra: ArrayLike<number>): MarketEvent {
    const c = this.changes.slice();
    for (let i = 0; i < extra.length; i++) c.push(extra[i]!);
    return new MarketEvent(this.info, this.t, this.U, this.u, c, this.kind);
  }

  /** Binance diff-depth event (E is the event time in whole ms). */
  toWire(): DepthDiff {
    if (this.wire) return this.wire;
    const { b, a } = changesToLevels(this.changes, this.info.tick, this.info.qtyDecimals);
    this.wire = { e: 'depthUpdate', E: Math.floor(this.t), s: this.info.symbol, U: this.U, u: this.u, b, a };
    return this.wire;
  }
}

export function changesToLevels(changes: ArrayLike<number>, tick: TickSize, qtyDecimals: number): { b: [string, string][]; a: [string, string][] } {
  const b: [string, string][] = [];
  const a: [string, string][] = [];
  for (let i = 0; i + 2 < changes.length; i += 3) {
    const lvl: [string, string] = [ticksToPrice(changes[i + 1]!, tick), formatQty(changes[i + 2]!, qtyDecimals)];
    if (changes[i] === BID) b.push(lvl);
    else a.push(lvl);
  }
  return { b, a };
}

/** What happened to a ground-truth event on the delivered stream. */
export type Fate = 'delivered' | 'held' | 'ws_silence' | 'seq_gap' | 'disconnect';

export type FeedRecord =
  /** A ground-truth event; `extra` changes are appended to the delivered copy (crossed glitch or its correction). */
  | { kind: 'event'; ev: MarketEvent; fate: Fate; extra?: number[] }
  /** A held (out-of-order) event delivered now, after the event that overtook it. */
  | { kind: 'late'; t: number; ev: MarketEvent }
  | { kind: 'marker'; type: 'disconnect' | 'reconnect'; t: number };

export type FeedMessage =
  /** A delivered diff at time `t` (the delivered copy: may differ from the ground truth for glitches). */
  | { type: 'diff'; t: number; symbol: string; diff: MarketEvent }
  | { type: 'disconnect'; t: number }
  | { type: 'reconnect'; t: number };

export interface FeedStats {
  /** Ground-truth events generated (or replayed) so far. */
  events: number;
  /** Delivered diff messages. */
  delivered: number;
  dropped: { ws_silence: number; seq_gap: number; disconnect: number };
  reordered: number;
  crossed: number;
  jumps: number;
  priceJumps: number;
  disconnects: number;
  silences: number;
}

export function emptyStats(): FeedStats {
  return { events: 0, delivered: 0, dropped: { ws_silence: 0, seq_gap: 0, disconnect: 0 }, reordered: 0, crossed: 0, jumps: 0, priceJumps: 0, disconnects: 0, silences: 0 };
}

export interface MarketFeed {
  readonly instruments: readonly SymbolInfo[];
  info(symbol: string): SymbolInfo | undefined;
  /** Time the feed has been advanced to. */
  readonly time: number;
  /** Generates/replays and delivers every event with time <= t (t non-decreasing; an earlier t is a no-op). */
  advanceTo(t: number): void;
  /** Delivered messages, in time order, during advanceTo. Returns an unsubscribe function. */
  onMessage(fn: (m: FeedMessage) => void): () => void;
  /** Ground-truth records with their delivery fate, during advanceTo. */
  onRecord(fn: (r: FeedRecord) => void): () => void;
  /** The ground-truth book now (top `depth` levels; all held levels when omitted). Throws UnknownSymbolError. */
  snapshot(symbol: string, depth?: number): OrderBook;
  stats(): FeedStats;
}

export class UnknownSymbolError extends Error {
  readonly code = -1121;
  constructor(readonly symbol: string) {
    super(`Invalid symbol: ${symbol}`);
    this.name = 'UnknownSymbolError';
  }
}

/**
 * Turns records into delivered messages (shared by the generator and the replay so both deliver alike).
 * Keeps the pending (held) events per symbol.
 */
export class Deliverer {
  readonly listeners: Array<(m: FeedMessage) => void> = [];
  readonly recorders: Array<(r: FeedRecord) => void> = [];

  get active(): boolean {
    return this.listeners.length > 0 || this.recorders.length > 0;
  }

  emit(rec: FeedRecord): void {
    for (const f of this.recorders) f(rec);
    if (this.listeners.length === 0) return;
    let m: FeedMessage | undefined;
    switch (rec.kind) {
      case 'event':
        if (rec.fate === 'delivered') m = { type: 'diff', t: rec.ev.t, symbol: rec.ev.symbol, diff: rec.extra ? rec.ev.withExtra(rec.extra) : rec.ev };
        break;
      case 'late':
        m = { type: 'diff', t: rec.t, symbol: rec.ev.symbol, diff: rec.ev };
        break;
      case 'marker':
        m = { type: rec.type, t: rec.t };
        break;
    }
    if (m) for (const f of this.listeners) f(m);
  }

  subscribe<T>(list: T[], fn: T): () => void {
    list.push(fn);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }
}
