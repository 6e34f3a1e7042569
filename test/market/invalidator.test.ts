import { describe, it, expect } from 'vitest';
import type { Invalidatable, InvalidationReason } from '../../src/cache/types.js';
import { MDCacheInvalidator, bookBest } from '../../src/market/invalidator.js';
import { OrderBook } from '../../src/market/book.js';
import { BID, ASK, diffFromWire, type BookDiff } from '../../src/market/local-book.js';
import { priceToTicks, ticksToPrice, parseTickSize } from '../../src/market/ticks.js';
import { MarketSim } from '../../src/market/sim.js';
import { marketParams } from '../../src/market/params.js';
import type { DepthDiff } from '../../src/market/types.js';

/** A tiny Invalidatable that records calls; `serve` sets what the cache "last served". */
class FakeCache<V> implements Invalidatable<V> {
  calls: Array<[string, InvalidationReason]> = [];
  values = new Map<string, V>();
  invalidate(symbol: string, reason: InvalidationReason): void {
    this.calls.push([symbol, reason]);
    this.values.delete(symbol);
  }
  invalidateAll(reason: InvalidationReason): void {
    this.calls.push(['*', reason]);
    this.values.clear();
  }
  peek(symbol: string): { value: V; ageMs: number } | undefined {
    const v = this.values.get(symbol);
    return v === undefined ? undefined : { value: v, ageMs: 0 };
  }
  serve(symbol: string, v: V): void {
    this.values.set(symbol, v);
  }
  reasons(): string[] {
    return this.calls.map(([s, r]) => `${s}:${r}`);
  }
}

const TICK = '0.01';
function snapBook(symbol: string, bid: number, ask: number, id: number, tick = TICK): OrderBook {
  return OrderBook.fromLevels({ symbol, tick: parseTickSize(tick), lastUpdateId: id }, [bid, bid - 1, bid - 2], [1, 1, 1], [ask, ask + 1, ask + 2], [1, 1, 1]);
}
function d(symbol: string, U: number, u: number, changes: number[] = []): BookDiff {
  return { symbol, E: 0, U, u, changes };
}

function setup(opts: { wsGapMs?: number; jumpTicks?: number; symbols?: string[]; tick?: string } = {}) {
  const cache = new FakeCache<OrderBook>();
  const tick = opts.tick ?? TICK;
  const truth = new Map<string, OrderBook>();
  const inv = new MDCacheInvalidator<OrderBook>({
    cache,
    best: bookBest,
    wsGapMs: opts.wsGapMs ?? 300,
    jumpTicks: opts.jumpTicks ?? 5,
    tickSize: () => tick,
    snapshot: (s) => truth.get(s),
    symbols: opts.symbols,
  });
  return { cache, inv, truth };
}

describe('MDCacheInvalidator', () => {
  it('test_ws_gap_invalidation', () => {
    const { cache, inv, truth } = setup({ wsGapMs: 300, symbols: ['BTCUSDT', 'ETHUSDT'] });
    truth.set('BTCUSDT', snapBook('BTCUSDT', 10000, 10001, 100));
    truth.set('ETHUSDT', snapBook('ETHUSDT', 5000, 5001, 10));
    inv.onDiff(d('BTCUSDT', 101, 101), 0);
    inv.onDiff(d('BTCUSDT', 102, 102), 250);
    inv.onDiff(d('ETHUSDT', 11, 11), 250);
    inv.check(300);
    expect(cache.calls).toEqual([]);
    // BTC silent from 250: noticed by check() once more than 300 ms passed, once per silence
    inv.check(550);
    expect(cache.calls).toEqual([]);
    inv.check(551);
    expect(cache.reasons()).toEqual(['BTCUSDT:ws_gap', 'ETHUSDT:ws_gap']);
    inv.check(5000);
    expect(cache.calls.length).toBe(2);
    // a silence between two consecutive messages is noticed when the next message arrives
    inv.onDiff(d('BTCUSDT', 103, 103), 6000);
    inv.onDiff(d('BTCUSDT', 104, 104), 6000);
    expect(cache.calls.length).toBe(2); // the silence 551..6000 was already reported
    inv.onDiff(d('BTCUSDT', 105, 105), 6401); // 401 ms after the previous message
    expect(cache.reasons().slice(2)).toEqual(['BTCUSDT:ws_gap']);
    expect(inv.stats().ws_gap).toBe(3);
    // a symbol never heard of is watched from startTime
    const s2 = setup({ wsGapMs: 100, symbols: ['X'] });
    s2.inv.check(100);
    expect(s2.cache.calls).toEqual([]);
    s2.inv.check(100.5);
    expect(s2.cache.reasons()).toEqual(['X:ws_gap']);
  });

  it('seq_gap: a missing id (U > last u + 1) or an out-of-order one (u <= last u)', () => {
    const { cache, inv, truth } = setup();
    truth.set('B', snapBook('B', 10000, 10001, 10));
    inv.onDiff(d('B', 11, 12), 1);
    inv.onDiff(d('B', 13, 15), 2);
    expect(cache.calls).toEqual([]);
    inv.onDiff(d('B', 17, 17), 3); // 16 missing
    expect(cache.reasons()).toEqual(['B:seq_gap']);
    inv.onDiff(d('B', 16, 16), 4); // late: out of order
    expect(cache.reasons()).toEqual(['B:seq_gap', 'B:seq_gap']);
    inv.onDiff(d('B', 18, 18), 5);
    expect(cache.calls.length).toBe(2);
    expect(inv.stats().seq_gap).toBe(2);
  });

  it('test_price_jump_invalidation: against the book the cache last served, not the previous event', () => {
    const { cache, inv, truth } = setup({ jumpTicks: 5 });
    truth.set('B', snapBook('B', 10000, 10001, 10));
    cache.serve('B', snapBook('B', 10000, 10001, 10));
    // the bid climbs one tick per event: no single event moves > 5 ticks, the 6th is 6 ticks from the served book
    const up = (k: number) => [ASK, 10000 + k, 0, BID, 10000 + k, 1, ASK, 10001 + k, 1];
    for (let k = 1; k <= 5; k++) inv.onDiff(d('B', 10 + k, 10 + k, up(k)), k);
    expect(cache.calls).toEqual([]);
    inv.onDiff(d('B', 16, 16, up(6)), 6);
    expect(cache.reasons()).toEqual(['B:jump']);
    // once per served value; a newly served book is the new reference
    cache.serve('B', snapBook('B', 10006, 10007, 16));
    inv.onDiff(d('B', 17, 17, [BID, 10006, 2]), 7);
    expect(cache.calls.length).toBe(1);
    // the ask side counts too (a removal of the best asks moves the best ask up by > 5 ticks)
    inv.onDiff(d('B', 18, 18, [ASK, 10007, 0, ASK, 10008, 0, ASK, 10013, 2]), 8);
    expect(cache.reasons()).toEqual(['B:jump', 'B:jump']);
    expect(inv.stats().jump).toBe(2);
    // nothing cached: nothing to compare with
    inv.onDiff(d('B', 19, 19, [BID, 10012, 1]), 9); // 6 ticks above the last served bid
    expect(cache.calls.length).toBe(2);
  });

  it('crossed: best bid >= best ask in the delivered local book, once per crossed episode', () => {
    const { cache, inv, truth } = setup();
    truth.set('B', snapBook('B', 10000, 10001, 10));
    inv.onDiff(d('B', 11, 11, [BID, 10001, 3]), 1); // bid at the best ask
    expect(cache.reasons()).toEqual(['B:crossed']);
    inv.onDiff(d('B', 12, 12, [BID, 9990, 3]), 2); // still crossed
    expect(cache.calls.length).toBe(1);
    inv.onDiff(d('B', 13, 13, [BID, 10001, 0]), 3); // corrected
    inv.onDiff(d('B', 14, 14, [ASK, 9999, 1]), 4); // an ask below the best bid
    expect(cache.reasons()).toEqual(['B:crossed', 'B:crossed']);
    expect(inv.stats().crossed).toBe(2);
  });

  it('reconnect: invalidateAll and reset of the delivered books and sequence state', () => {
    const { cache, inv, truth } = setup();
    truth.set('B', snapBook('B', 10000, 10001, 10));
    inv.onDiff(d('B', 11, 11), 1);
    inv.onMessage({ type: 'disconnect', t: 2 });
    expect(cache.calls).toEqual([]);
    truth.set('B', snapBook('B', 20000, 20001, 500));
    inv.onMessage({ type: 'reconnect', t: 100 });
    expect(cache.reasons()).toEqual(['*:reconnect']);
    // the first event after the reconnect is not a sequence gap; the book was resynced (no ghost levels)
    inv.onDiff(d('B', 501, 501), 101);
    expect(cache.reasons()).toEqual(['*:reconnect']);
    expect(inv.deliveredBest('B')).toEqual({ bestBidTicks: 20000, bestAskTicks: 20001 });
    expect(inv.stats().reconnect).toBe(1);
  });

  it('without a snapshot source the delivered book is rebuilt from diffs', () => {
    const cache = new FakeCache<OrderBook>();
    const inv = new MDCacheInvalidator<OrderBook>({ cache, best: bookBest, wsGapMs: 300, jumpTicks: 5, tickSize: () => TICK });
    inv.onDiff(d('B', 11, 11, [BID, 10000, 1, ASK, 10001, 1]), 1);
    expect(inv.deliveredBest('B')).toEqual({ bestBidTicks: 10000, bestAskTicks: 10001 });
    inv.onDiff(d('B', 12, 12, [BID, 10002, 1]), 2);
    expect(cache.reasons()).toEqual(['B:crossed']);
  });

  for (const tick of ['0.01', '0.00001', '0.5']) {
    it(`jump and crossed in exchange ticks of instrument with tick size ${tick}`, () => {
      const { cache, inv, truth } = setup({ tick, jumpTicks: 3 });
      const p = (n: number) => ticksToPrice(n, tick);
      const base = 20_000;
      truth.set('S', snapBook('S', base, base + 1, 1, tick));
      cache.serve('S', OrderBook.fromSnapshot({ lastUpdateId: 1, bids: [[p(base), '1']], asks: [[p(base + 1), '1']] }, 'S', tick));
      const wire = (U: number, b: [string, string][], a: [string, string][]): DepthDiff => ({ e: 'depthUpdate', E: U, s: 'S', U, u: U, b, a });
      inv.onDiff(diffFromWire(wire(2, [[p(base + 3), '1']], [[p(base + 1), '0'], [p(base + 2), '0'], [p(base + 3), '0'], [p(base + 4), '1']]), tick), 1);
      expect(cache.calls).toEqual([]); // exactly 3 ticks: not more than jump_ticks
      inv.onDiff(diffFromWire(wire(3, [[p(base + 4), '1']], [[p(base + 4), '0'], [p(base + 5), '1']]), tick), 2);
      expect(cache.reasons()).toEqual(['S:jump']);
      expect(priceToTicks(p(base + 4), tick) - priceToTicks(p(base), tick)).toBe(4);
      inv.onDiff(diffFromWire(wire(4, [[p(base + 5), '2']], []), tick), 3);
      expect(cache.reasons()).toEqual(['S:jump', 'S:crossed']);
    });
  }

  it('attached to the generated feed: every reason fires on a faulty market', () => {
    const cache = new FakeCache<OrderBook>();
    const feed = new MarketSim({
      seed: 8,
      symbols: [{ symbol: 'BTCUSDT', tick_size: '0.01', price: '65000.00', qty_decimals: 5, activity: 1 }],
      market: marketParams({
        update_rate_hz: 20,
        faults: {
          seq_gap: { rate_hz: 0.5 },
          ws_silence: { rate_hz: 0.05, min_ms: 600, max_ms: 800 },
          crossed: { rate_hz: 0.2 },
          price_jump: { rate_hz: 0.1, ticks: 30 },
          disconnect: { rate_hz: 0.02, min_ms: 1000, max_ms: 1000 },
        },
      }),
    });
    const inv = new MDCacheInvalidator<OrderBook>({ cache, best: bookBest, wsGapMs: 300, jumpTicks: 5, snapshot: (s) => feed.snapshot(s), symbols: ['BTCUSDT'] });
    inv.attach(feed);
    for (let t = 0; t <= 120_000; t += 100) {
      feed.advanceTo(t);
      inv.check(t);
      if (!cache.peek('BTCUSDT')) cache.serve('BTCUSDT', feed.snapshot('BTCUSDT', 20));
    }
    const s = inv.stats();
    const st = feed.stats();
    for (const k of ['ws_gap', 'seq_gap', 'jump', 'crossed', 'reconnect'] as const) expect(s[k]).toBeGreaterThan(0);
    expect(s.reconnect).toBe(st.disconnects - (feed.time < 120_000 ? 0 : 0) - (st.disconnects > s.reconnect ? 1 : 0));
    expect(s.crossed).toBeGreaterThanOrEqual(Math.floor(st.crossed * 0.8));
    expect(s.jump).toBeGreaterThanOrEqual(st.priceJumps * 0.8);
  });
});
