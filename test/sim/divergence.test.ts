import { describe, it, expect } from 'vitest';
import { OrderBook } from '../../src/market/book.js';
import { parseTickSize } from '../../src/market/ticks.js';
import type { FetchStatus } from '../../src/pipeline/fetch-md.js';
import type { Tick } from '../../src/pipeline/tick-path.js';
import { DivergenceTracker } from '../../src/sim/divergence.js';

const TICK = parseTickSize('0.01');

interface Levels {
  bids?: [number, number][];
  asks?: [number, number][];
  id?: number;
  takenAt?: number;
}

/** A book around 6_500_000 ticks (65000.00 at tick 0.01): 5 levels per side by default. */
function book(o: Levels = {}, symbol = 'BTCUSDT'): OrderBook {
  const bids = o.bids ?? [0, 1, 2, 3, 4].map((i) => [6_500_000 - i, 1 + i] as [number, number]);
  const asks = o.asks ?? [0, 1, 2, 3, 4].map((i) => [6_500_001 + i, 2 + i] as [number, number]);
  return OrderBook.fromLevels(
    { symbol, tick: TICK, lastUpdateId: o.id ?? 100, takenAt: o.takenAt ?? 0 },
    bids.map((l) => l[0]),
    bids.map((l) => l[1]),
    asks.map((l) => l[0]),
    asks.map((l) => l[1]),
  );
}

function shifted(by: number, side: 'bids' | 'asks', o: Levels = {}): OrderBook {
  const base = book();
  const bids = [0, 1, 2, 3, 4].map((i) => [base.bidTicks(i) + (side === 'bids' ? by : 0), base.bidQty(i)] as [number, number]);
  const asks = [0, 1, 2, 3, 4].map((i) => [base.askTicks(i) + (side === 'asks' ? by : 0), base.askQty(i)] as [number, number]);
  return book({ bids, asks, ...o });
}

function setup(depth = 10, keepWorst = 10) {
  let now = 0;
  const seen: { symbol: string; tobTicks: number; depthMismatches: number; candidateAgeMs: number }[] = [];
  const tr = new DivergenceTracker(() => now, depth, keepWorst, (m) => seen.push(m));
  const tick = (at: number, symbol = 'BTCUSDT'): Tick => ({ symbol, scheduledAt: at, stageMs: [] });
  const control = (t: Tick, b: OrderBook) => tr.control.fetched(t, 20, { book: b, status: 'direct', cacheAgeMs: 0 });
  const candidate = (t: Tick, b: OrderBook, status: FetchStatus = 'fresh') => tr.candidate.fetched(t, 0, { book: b, status, cacheAgeMs: now - b.takenAt });
  const pair = (t: Tick, c: OrderBook, k: OrderBook, status: FetchStatus = 'fresh') => {
    control(t, c);
    candidate(t, k, status);
  };
  return { tr, seen, tick, control, candidate, pair, setNow: (t: number) => (now = t) };
}

describe('DivergenceTracker', () => {
  it('identical books: compared, no mismatch, nothing in the worst list', () => {
    const { tr, seen, tick, pair, setNow } = setup();
    setNow(1000);
    pair(tick(990), book({ takenAt: 980 }), book({ takenAt: 950 }));
    const r = tr.result();
    expect(r.compared).toBe(1);
    expect(r.tob_mismatch_ratio).toBe(0);
    expect(r.depth_mismatch_ratio).toBe(0);
    expect(r.tob_mismatch_ticks.max).toBe(0);
    expect(r.worst).toEqual([]);
    expect(r.compared_depth).toBe(10);
    expect(seen).toEqual([{ symbol: 'BTCUSDT', tobTicks: 0, depthMismatches: 0, candidateAgeMs: 50 }]);
    expect(r.candidate_staleness_ms.max).toBe(50);
  });

  it('order of arrival does not matter: candidate first, then control', () => {
    const { tr, tick, control, candidate } = setup();
    const t = tick(5);
    candidate(t, shifted(-2, 'bids'), 'stale');
    expect(tr.result().compared).toBe(0);
    control(t, book());
    expect(tr.result().compared).toBe(1);
    expect(tr.result().worst[0]!.tob_mismatch_ticks).toBe(2);
    expect(tr.result().worst[0]!.candidate.status).toBe('stale');
  });

  it('best bid 3 ticks off → top-of-book mismatch of 3; every shifted level counts as a depth difference', () => {
    const { tr, seen, tick, pair, setNow } = setup();
    setNow(2000);
    pair(tick(1999.5), book({ id: 200, takenAt: 1990 }), shifted(-3, 'bids', { id: 180, takenAt: 1900 }), 'stale');
    expect(seen[0]).toEqual({ symbol: 'BTCUSDT', tobTicks: 3, depthMismatches: 5, candidateAgeMs: 100 });
    const r = tr.result();
    expect(r.tob_mismatch_ratio).toBe(1);
    expect(r.depth_mismatch_ratio).toBe(1);
    expect(r.tob_mismatch_ticks.max).toBe(3);
    expect(r.depth_mismatch_levels.max).toBe(5);
    expect(r.worst).toEqual([
      {
        symbol: 'BTCUSDT',
        tick_size: '0.01',
        at_ms: 1999.5,
        tob_mismatch_ticks: 3,
        depth_mismatches: 5,
        control: { bid: 6_500_000, ask: 6_500_001, update_id: 200 },
        candidate: { bid: 6_499_997, ask: 6_500_001, update_id: 180, age_ms: 100, status: 'stale' },
      },
    ]);
  });

  it('the larger of the bid and ask differences is the top-of-book mismatch', () => {
    const { seen, tick, pair } = setup();
    const k = book({
      bids: [[6_500_001, 1]],
      asks: [[6_500_008, 2]],
    });
    pair(tick(1), book(), k);
    expect(seen[0]!.tobTicks).toBe(7);
  });

  it('depth: quantity changes, missing levels and only the compared depth count; top of book can agree', () => {
    const { tr, seen, tick, pair } = setup(3);
    const c = book();
    // same top of book; ask level 1 has another quantity; bid level 2 missing; level 4 differs (beyond depth 3)
    const k = book({
      bids: [
        [6_500_000, 1],
        [6_499_999, 2],
      ],
      asks: [
        [6_500_001, 2],
        [6_500_002, 9.5],
        [6_500_003, 4],
        [6_500_004, 5],
        [6_500_099, 6],
      ],
    });
    pair(tick(1), c, k);
    expect(seen[0]).toMatchObject({ tobTicks: 0, depthMismatches: 2 });
    const r = tr.result();
    expect(r.tob_mismatch_ratio).toBe(0);
    expect(r.depth_mismatch_ratio).toBe(1);
    expect(r.compared_depth).toBe(3);
    expect(r.worst).toEqual([]); // only top-of-book mismatches are examples
    // with depth 10, the level-5 ask difference counts too, and the two missing bid levels beyond 2
    const deep = setup(10);
    deep.pair(deep.tick(1), c, k);
    expect(deep.seen[0]!.depthMismatches).toBe(1 + 3 + 1);
  });

  it('a missing side is as wrong as it gets', () => {
    const { tr, tick, pair } = setup();
    pair(tick(1), book(), book({ bids: [] }));
    const r = tr.result();
    expect(r.worst[0]!.tob_mismatch_ticks).toBe(1_000_000);
    expect(r.worst[0]!.candidate.bid).toBeNull();
    // both sides empty on both books: no mismatch
    const e = setup();
    e.pair(e.tick(1), book({ bids: [], asks: [] }), book({ bids: [], asks: [] }));
    expect(e.tr.result().tob_mismatch_ratio).toBe(0);
  });

  it('the worst list is the largest mismatches first, bounded, ties keeping the earlier tick', () => {
    const { tr, tick, pair } = setup(10, 4);
    const diffs = [1, 5, 2, 5, 0, 9, 3, 5, 1, 7, 0, 2];
    diffs.forEach((d, i) => pair(tick(i * 100, `S${i}`), book(), shifted(d, 'asks')));
    const r = tr.result();
    expect(r.compared).toBe(12);
    expect(r.tob_mismatch_ratio).toBeCloseTo(10 / 12, 6);
    expect(r.worst.map((w) => [w.tob_mismatch_ticks, w.symbol])).toEqual([
      [9, 'S5'],
      [7, 'S9'],
      [5, 'S1'],
      [5, 'S3'],
    ]);
    for (let i = 1; i < r.worst.length; i++) expect(r.worst[i]!.tob_mismatch_ticks).toBeLessThanOrEqual(r.worst[i - 1]!.tob_mismatch_ticks);
  });

  it('keeping no examples (worst_examples: 0) still counts mismatches', () => {
    const { tr, tick, pair } = setup(10, 0);
    expect(() => pair(tick(1), book(), shifted(4, 'asks'))).not.toThrow();
    expect(() => pair(tick(2), book(), shifted(6, 'asks'))).not.toThrow();
    const r = tr.result();
    expect(r.compared).toBe(2);
    expect(r.tob_mismatch_ratio).toBe(1);
    expect(r.worst).toEqual([]);
  });

  it('fetchFailed / dropped on one path forget the tick: it is never compared, and nothing is kept for it', () => {
    const { tr, seen, tick, control, candidate } = setup();
    const pendingSize = () => (tr as unknown as { pending: Map<Tick, unknown> }).pending.size;

    // control arrived, then the candidate failed
    const a = tick(1);
    control(a, book());
    expect(pendingSize()).toBe(1);
    tr.candidate.fetchFailed(a, 30, new Error('refresh failed'));
    expect(pendingSize()).toBe(0);

    // candidate arrived, then the control's tick was dropped (on_busy: drop)
    const b = tick(2);
    candidate(b, shifted(3, 'bids'));
    tr.control.dropped(b);
    expect(pendingSize()).toBe(0);

    // the candidate was dropped at arrival, *before* the control fetched: the control's half is not kept either
    const c = tick(3);
    tr.candidate.dropped(c);
    control(c, book());
    expect(pendingSize()).toBe(0);

    // the control failed first, the candidate fetched later
    const d = tick(4);
    tr.control.fetchFailed(d, 1000, new Error('timeout'));
    candidate(d, shifted(5, 'bids'));
    expect(pendingSize()).toBe(0);

    expect(tr.result().compared).toBe(0);
    expect(seen).toEqual([]);
    // a later tick that both paths served is compared as usual
    const e = tick(5);
    control(e, book());
    candidate(e, shifted(1, 'asks'));
    expect(tr.result().compared).toBe(1);
    expect(tr.result().worst.map((w) => w.at_ms)).toEqual([5]);
  });
});
