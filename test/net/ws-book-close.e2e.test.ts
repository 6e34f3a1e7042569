/**
 * WsBook.close() (issue #15 item 20): pending ready() calls reject and their timers are cleared; a fetch-loop
 * backoff sleep (after a failed snapshot, or after a crossed snapshot) is cut at once; no timer outlives close().
 */
import { EventEmitter } from 'node:events';
import { describe, it, expect, afterEach } from 'vitest';
import { RealClock, WrappedClock, type TimerHandle } from '../../src/core/clock.js';
import { startExchange, type Exchange } from '../../src/exchange/server.js';
import { OrderBook } from '../../src/market/book.js';
import type { SnapshotSource } from '../../src/market/rest.js';
import { BinanceRestSource } from '../../src/net/rest-source.js';
import { WsBook, type WsBookEvent } from '../../src/net/ws-book.js';
import { eventsOf, scenario, waitFor } from './helpers.js';

/** A real clock that counts the timers still pending (set, neither fired nor cleared). */
class CountingClock extends WrappedClock {
  readonly live = new Set<TimerHandle>();
  /** Emits 'timer' each time a timer is armed (so a test can wait for one instead of sleeping). */
  readonly armed = new EventEmitter();
  constructor() {
    super(new RealClock());
  }
  now(): number {
    return this.inner.now();
  }
  override setTimeout(fn: () => void, ms: number): TimerHandle {
    const h: TimerHandle = this.inner.setTimeout(() => {
      this.live.delete(h);
      fn();
    }, ms);
    this.live.add(h);
    this.armed.emit('timer');
    return h;
  }
  override clearTimeout(h: TimerHandle | undefined): void {
    if (h) this.live.delete(h);
    this.inner.clearTimeout(h);
  }
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    // through this clock's own timers, so a pending sleep is counted
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      const onAbort = (): void => {
        this.clearTimeout(h);
        reject(new Error('aborted'));
      };
      const h = this.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const open: Exchange[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function setup(snapshots: (rest: BinanceRestSource) => SnapshotSource): Promise<{ book: WsBook; clock: CountingClock; events: WsBookEvent[]; calls: () => number }> {
  const ex = await startExchange({ scenario: scenario(), clock: new RealClock(), streamIntervalsMs: { depth100ms: 20 } });
  open.push(ex);
  const clock = new CountingClock();
  const rest = new BinanceRestSource({ baseUrl: ex.restUrl, clock: new RealClock(), timeoutMs: 2000 });
  const info = await rest.exchangeInfo();
  let n = 0;
  const inner = snapshots(rest);
  const book = new WsBook({
    wsUrl: ex.wsUrl,
    symbols: ['BTCUSDT'],
    exchangeInfo: info,
    clock,
    snapshots: { fetch: (s, d, sig) => (n++, inner.fetch(s, d, sig)) },
    resync: { baseMs: 60_000, maxMs: 60_000 }, // a backoff sleep of ~1 min after any failure
    random: () => 0.99,
    silenceMs: 60_000,
    reconnectAfterSilenceMs: 0,
  });
  const events: WsBookEvent[] = [];
  book.onEvent((e) => events.push(e));
  return { book, clock, events, calls: () => n };
}

describe('WsBook.close()', () => {
  it('rejects a pending ready() and clears its timer; cuts the backoff sleep after a failed snapshot', async () => {
    const { book, clock, events, calls } = await setup(() => ({ fetch: () => Promise.reject(new Error('snapshot down')) }));
    book.start();
    const ready = book.ready(120_000).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    await waitFor(() => events.some((e) => e.type === 'snapshot_error'), 'a failed snapshot', [eventsOf(book)]);
    const t0 = performance.now();
    await book.close();
    expect(await ready).toMatch(/closed/);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(clock.live.size).toBe(0); // ready's 2-minute timer, the silence check and the backoff sleep are all gone
    const n = calls();
    await new Promise((r) => setTimeout(r, 100)); // an observation window (nothing may happen in it), not a wait
    expect(calls()).toBe(n);
    await expect(book.ready()).rejects.toThrow(/closed/);
  });

  it('cuts the backoff sleep after a crossed snapshot', async () => {
    const crossed = (rest: BinanceRestSource): SnapshotSource => ({
      async fetch(symbol, depth, signal) {
        const b = await rest.fetch(symbol, depth, signal);
        const ask = b.bestAsk()!;
        return OrderBook.fromLevels({ symbol, tick: b.tick, lastUpdateId: b.lastUpdateId, takenAt: b.takenAt }, [ask + 5], [1], [ask], [1]);
      },
    });
    const { book, clock, events } = await setup(crossed);
    book.start();
    await waitFor(() => events.some((e) => e.type === 'crossed'), 'a crossed snapshot', [eventsOf(book)]);
    await waitFor(() => clock.live.size > 0, 'the backoff sleep to be armed', [[clock.armed, 'timer']]);
    expect(clock.live.size).toBeGreaterThan(0); // sleeping in the backoff
    const t0 = performance.now();
    await book.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(clock.live.size).toBe(0);
  });
});
