import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { TimeoutError } from '../../src/core/errors.js';
import { MarketSim } from '../../src/market/sim.js';
import { marketParams } from '../../src/market/params.js';
import { createSimRestSource, RestError } from '../../src/market/rest.js';
import { quantile } from '../../src/market/latency.js';

const SYMS = [{ symbol: 'BTCUSDT', tick_size: '0.01', price: '65000.00', qty_decimals: 5, activity: 1 }];
const market = () => new MarketSim({ seed: 1, symbols: SYMS, market: marketParams({ update_rate_hz: 50 }) });

describe('simulated REST snapshot source', () => {
  it('sleeps a drawn latency on the clock and snapshots the ground truth at response time', async () => {
    const clock = new VirtualClock();
    const feed = market();
    const rest = createSimRestSource({ clock, market: feed, rest: { latency: { model: 'constant', ms: 40 }, error_rate: 0, timeout_ms: 1000 }, seed: 1 });
    await clock.advance(1000);
    feed.advanceTo(1000);
    const p = rest.fetch('BTCUSDT', 10);
    await clock.advance(39);
    let done = false;
    void p.then(() => (done = true));
    await clock.advance(0);
    expect(done).toBe(false);
    await clock.advance(1);
    const book = await p;
    expect(book.takenAt).toBe(1040);
    expect(book.bidCount).toBe(10);
    expect(feed.time).toBe(1040);
    expect(book.lastUpdateId).toBe(feed.snapshot('BTCUSDT').lastUpdateId);
    expect(book.toSnapshot()).toEqual(feed.snapshot('BTCUSDT', 10).toSnapshot());
  });

  it('latency follows the model (p50/p95 of 20k requests) and errors occur at error_rate', async () => {
    const clock = new VirtualClock();
    const rest = createSimRestSource({ clock, market: market(), rest: { latency: { model: 'lognormal', p50_ms: 20, p95_ms: 55 }, error_rate: 0.1, timeout_ms: 10_000 }, seed: 5, streamName: 'rest/cached' });
    const lat: number[] = [];
    let errors = 0;
    const n = 20_000;
    const all: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = clock.now();
      all.push(
        rest.fetch('BTCUSDT', 5).then(
          (b) => void lat.push(b.takenAt - t0),
          (e) => {
            expect(e).toBeInstanceOf(RestError);
            expect((e as RestError).status).toBe(503);
            errors++;
          },
        ),
      );
    }
    await clock.runUntilIdle(10 * n);
    await Promise.all(all);
    lat.sort((a, b) => a - b);
    expect(Math.abs(lat[Math.floor(lat.length * 0.5)]! / 20 - 1)).toBeLessThan(0.04);
    expect(Math.abs(lat[Math.floor(lat.length * 0.95)]! / quantile({ model: 'lognormal', p50_ms: 20, p95_ms: 55 }, 0.95) - 1)).toBeLessThan(0.05);
    expect(errors / n).toBeGreaterThan(0.09);
    expect(errors / n).toBeLessThan(0.11);
    expect(rest.stats()).toMatchObject({ requests: n, errors, ok: n - errors });
  });

  it('times out at timeout_ms with a TimeoutError when the latency is longer', async () => {
    const clock = new VirtualClock();
    const rest = createSimRestSource({ clock, market: market(), rest: { latency: { model: 'constant', ms: 800 }, error_rate: 0, timeout_ms: 300 }, seed: 1 });
    const p = rest.fetch('BTCUSDT', 5);
    const caught = p.catch((e) => e);
    await clock.advance(300);
    const e = await caught;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(clock.now()).toBe(300);
    expect(rest.stats().timeouts).toBe(1);
  });

  it('is abortable by the signal; unknown symbols fail with code -1121', async () => {
    const clock = new VirtualClock();
    const rest = createSimRestSource({ clock, market: market(), rest: { latency: { model: 'constant', ms: 50 }, error_rate: 0, timeout_ms: 300 }, seed: 1 });
    const ac = new AbortController();
    const p = rest.fetch('BTCUSDT', 5, ac.signal).catch((e) => e);
    await clock.advance(10);
    ac.abort();
    expect(((await p) as Error).name).toBe('AbortError');
    const q = rest.fetch('NOPE', 5).catch((e) => e);
    await clock.advance(50);
    expect(await q).toMatchObject({ name: 'RestError', status: 400, code: -1121 });
  });

  it('each path name has its own rng stream', async () => {
    const draws = async (streamName: string, other: boolean) => {
      const clock = new VirtualClock();
      const feed = market();
      const spec = { latency: { model: 'uniform' as const, min_ms: 1, max_ms: 100 }, error_rate: 0, timeout_ms: 1000 };
      const a = createSimRestSource({ clock, market: feed, rest: spec, seed: 3, streamName });
      const b = createSimRestSource({ clock, market: feed, rest: spec, seed: 3, streamName: 'rest/direct' });
      const out: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = clock.now();
        const p = a.fetch('BTCUSDT', 1);
        if (other) void b.fetch('BTCUSDT', 1);
        await clock.runUntilIdle();
        out.push((await p).takenAt - t0);
      }
      return out;
    };
    const alone = await draws('rest/cached', false);
    expect(await draws('rest/cached', true)).toEqual(alone);
    expect(await draws('rest/other', false)).not.toEqual(alone);
  });
});
