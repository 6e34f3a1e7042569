import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { rngStream } from '../../src/core/rng.js';
import { arrivalIntervals } from '../../src/pipeline/arrivals.js';
import type { FetchMD, Fetched } from '../../src/pipeline/fetch-md.js';
import type { OnBusy, TicksConfig } from '../../src/pipeline/config.js';
import { TickPath, type Tick, type TickObserver } from '../../src/pipeline/tick-path.js';
import { PathRecorder, type BookQuality } from '../../src/sim/recorder.js';

interface FakeBook {
  symbol: string;
  n: number;
}

/** A FetchMD whose latency (and failure) per call the test decides; it sleeps on the virtual clock. */
class FakeFetch {
  calls: { symbol: string; depth: number; at: number }[] = [];
  constructor(
    private readonly clock: VirtualClock,
    /** Latency of call i (0-based); a negative value means "fail after |ms|". */
    private readonly latency: (i: number, symbol: string) => number,
  ) {}
  readonly fn: FetchMD<FakeBook> = async (symbol, depth) => {
    const i = this.calls.length;
    this.calls.push({ symbol, depth, at: this.clock.now() });
    const ms = this.latency(i, symbol);
    await this.clock.sleep(Math.abs(ms));
    if (ms < 0) throw new Error(`rest down (call ${i})`);
    return { book: { symbol, n: i }, status: 'direct', cacheAgeMs: 0 };
  };
}

type Ev =
  | { e: 'fetched'; tick: Tick; ms: number; result: Fetched<FakeBook>; at: number }
  | { e: 'fetchFailed'; tick: Tick; ms: number; error: unknown; at: number }
  | { e: 'stage'; tick: Tick; index: number; ms: number; at: number }
  | { e: 'done'; tick: Tick; total: number; ok: boolean; at: number }
  | { e: 'dropped'; tick: Tick; at: number };

class Log implements TickObserver<FakeBook> {
  events: Ev[] = [];
  constructor(private readonly clock: VirtualClock) {}
  fetched(tick: Tick, ms: number, result: Fetched<FakeBook>): void {
    this.events.push({ e: 'fetched', tick, ms, result, at: this.clock.now() });
  }
  fetchFailed(tick: Tick, ms: number, error: unknown): void {
    this.events.push({ e: 'fetchFailed', tick, ms, error, at: this.clock.now() });
  }
  stage(tick: Tick, index: number, ms: number): void {
    this.events.push({ e: 'stage', tick, index, ms, at: this.clock.now() });
  }
  done(tick: Tick, total: number, ok: boolean): void {
    this.events.push({ e: 'done', tick, total, ok, at: this.clock.now() });
  }
  dropped(tick: Tick): void {
    this.events.push({ e: 'dropped', tick, at: this.clock.now() });
  }
  of<K extends Ev['e']>(kind: K): Extract<Ev, { e: K }>[] {
    return this.events.filter((x): x is Extract<Ev, { e: K }> => x.e === kind);
  }
}

const QUALITY: BookQuality<FakeBook> = { ageMs: () => 0, tobErrorTicks: () => 0 };

/** Schedules arrivals the way the simulation does: each tick arrives at its scheduled time. */
function schedule(clock: VirtualClock, path: TickPath<FakeBook>, ticks: Tick[]): void {
  for (const t of ticks) clock.setTimeout(() => path.arrive(t), t.scheduledAt - clock.now());
}

function tick(scheduledAt: number, stageMs: number[] = [], symbol = 'BTCUSDT'): Tick {
  return { symbol, scheduledAt, stageMs };
}

function setup(latency: (i: number, symbol: string) => number, onBusy: OnBusy = 'queue', depth = 20) {
  const clock = new VirtualClock(0);
  const fetch = new FakeFetch(clock, latency);
  const log = new Log(clock);
  const path = new TickPath<FakeBook>('uncached', clock, fetch.fn, depth, onBusy, log);
  return { clock, fetch, log, path };
}

describe('TickPath', () => {
  it('measures latency from the scheduled arrival: a tick queued behind a slow one includes its wait', async () => {
    const { clock, fetch, log, path } = setup(() => 300);
    schedule(clock, path, [tick(0), tick(100), tick(200)]);
    await clock.advance(150);
    // tick 0 is fetching, tick 1 waits in the queue
    expect(path.pending).toBe(2);
    expect(fetch.calls).toHaveLength(1);
    await clock.runUntilIdle();
    expect(path.pending).toBe(0);

    const done = log.of('done');
    expect(done.map((d) => d.tick.scheduledAt)).toEqual([0, 100, 200]);
    // fetch_md is the fetch alone (300 ms each), the total counts the queueing from the scheduled time
    expect(log.of('fetched').map((f) => f.ms)).toEqual([300, 300, 300]);
    expect(done.map((d) => d.total)).toEqual([300, 500, 700]);
    expect(done[1]!.total - done[0]!.total).toBeGreaterThanOrEqual(200);
    expect(done.every((d) => d.ok)).toBe(true);
    // processed one at a time, in arrival order
    expect(fetch.calls.map((c) => c.at)).toEqual([0, 300, 600]);
    expect(fetch.calls.every((c) => c.depth === 20)).toBe(true);
    expect(log.of('dropped')).toEqual([]);
  });

  it('symbols have independent queues: a slow symbol does not delay another', async () => {
    const { clock, log, path } = setup((_i, s) => (s === 'SLOW' ? 500 : 10));
    schedule(clock, path, [tick(0, [], 'SLOW'), tick(50, [], 'FAST'), tick(100, [], 'SLOW'), tick(120, [], 'FAST')]);
    await clock.runUntilIdle();
    const totals = Object.fromEntries(log.of('done').map((d) => [`${d.tick.symbol}@${d.tick.scheduledAt}`, d.total]));
    expect(totals).toEqual({ 'SLOW@0': 500, 'FAST@50': 10, 'FAST@120': 10, 'SLOW@100': 900 });
  });

  it('on_busy: drop drops ticks arriving while the symbol is busy, and the recorder counts them', async () => {
    const clock = new VirtualClock(0);
    const fetch = new FakeFetch(clock, () => 300);
    const log = new Log(clock);
    const rec = new PathRecorder<FakeBook>('uncached', 1000, 200, [], QUALITY);
    const both: TickObserver<FakeBook> = {
      fetched: (t, ms, r) => (rec.fetched(t, ms, r), log.fetched(t, ms, r)),
      fetchFailed: (t, ms, e) => (rec.fetchFailed(t, ms), log.fetchFailed(t, ms, e)),
      stage: (t, i, ms) => (rec.stage(t, i, ms), log.stage(t, i, ms)),
      done: (t, ms, ok) => (rec.done(t, ms, ok), log.done(t, ms, ok)),
      dropped: (t) => (rec.dropped(t), log.dropped(t)),
    };
    const path = new TickPath<FakeBook>('uncached', clock, fetch.fn, 10, 'drop', both);
    schedule(clock, path, [tick(0), tick(100), tick(200), tick(400), tick(1100)]);
    await clock.advance(250);
    expect(path.pending).toBe(1); // dropped ticks are not pending
    await clock.runUntilIdle();
    expect(log.of('dropped').map((d) => d.tick.scheduledAt)).toEqual([100, 200]);
    expect(log.of('done').map((d) => [d.tick.scheduledAt, d.total])).toEqual([
      [0, 300],
      [400, 300],
      [1100, 300],
    ]);
    expect(fetch.calls).toHaveLength(3);
    const r = rec.result([]);
    expect(r.dropped).toBe(2);
    expect(r.ticks).toBe(3);
    expect(r.deadline_miss_ratio).toBeCloseTo(1, 6); // 300 ms > 200 ms deadline each time
    const w = rec.windows(2);
    expect(w.map((x) => [x.ticks, x.dropped])).toEqual([
      [2, 2],
      [1, 0],
    ]);
  });

  it('a failed fetch is a deadline miss and skips the stages; the next tick proceeds', async () => {
    const { clock, fetch, log } = setup((i) => (i === 0 ? -50 : 20));
    const rec = new PathRecorder<FakeBook>('cached', 1000, 200, ['a', 'b'], QUALITY);
    const tee: TickObserver<FakeBook> = {
      fetched: (t, ms, r) => (rec.fetched(t, ms, { ...r, status: 'fresh' }), log.fetched(t, ms, r)),
      fetchFailed: (t, ms, e) => (rec.fetchFailed(t, ms), log.fetchFailed(t, ms, e)),
      stage: (t, i, ms) => (rec.stage(t, i, ms), log.stage(t, i, ms)),
      done: (t, ms, ok) => (rec.done(t, ms, ok), log.done(t, ms, ok)),
      dropped: (t) => (rec.dropped(t), log.dropped(t)),
    };
    const p2 = new TickPath<FakeBook>('cached', clock, fetch.fn, 5, 'queue', tee);
    schedule(clock, p2, [tick(0, [10, 20]), tick(10, [10, 20])]);
    await clock.runUntilIdle();
    const failed = log.of('fetchFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.ms).toBe(50);
    expect((failed[0]!.error as Error).message).toBe('rest down (call 0)');
    // no stage ran for the failed tick
    expect(log.of('stage').every((s) => s.tick.scheduledAt === 10)).toBe(true);
    expect(log.of('stage')).toHaveLength(2);
    const done = log.of('done');
    expect(done.map((d) => [d.tick.scheduledAt, d.ok, d.total])).toEqual([
      [0, false, 50],
      // tick 2 waited 40 ms for tick 1, then fetch 20 + stages 30
      [10, true, 90],
    ]);
    const r = rec.result(['a', 'b']);
    expect(r.ticks).toBe(2);
    expect(r.fetch_errors).toBe(1);
    expect(r.deadline_miss_ratio).toBe(0.5); // the failed tick counts as a miss though it took 50 ms
    expect(r.fetch_md_ms.count).toBe(2); // the failed attempt's latency still counts
    expect(r.stages.a!.count).toBe(1);
    // on the cached path a failed get is a miss
    const w = rec.windows(1)[0]!;
    expect([w.gets, w.fresh, w.misses]).toEqual([2, 1, 1]);
  });

  it('records the stage latencies exactly as drawn, and sleeps their sum', async () => {
    const { clock, fetch, log } = setup(() => 7);
    const rec = new PathRecorder<FakeBook>('uncached', 60_000, 200, ['compute', 'risk', 'place'], QUALITY);
    const tee: TickObserver<FakeBook> = {
      fetched: (t, ms, r) => (rec.fetched(t, ms, r), log.fetched(t, ms, r)),
      fetchFailed: (t, ms, e) => (rec.fetchFailed(t, ms), log.fetchFailed(t, ms, e)),
      stage: (t, i, ms) => (rec.stage(t, i, ms), log.stage(t, i, ms)),
      done: (t, ms, ok) => (rec.done(t, ms, ok), log.done(t, ms, ok)),
      dropped: (t) => (rec.dropped(t), log.dropped(t)),
    };
    const p = new TickPath<FakeBook>('uncached', clock, fetch.fn, 5, 'queue', tee);
    const draws = [12.5, 3.25, 40.125];
    schedule(clock, p, [tick(1000, draws)]);
    await clock.runUntilIdle();
    expect(log.of('stage').map((s) => [s.index, s.ms])).toEqual([
      [0, 12.5],
      [1, 3.25],
      [2, 40.125],
    ]);
    const done = log.of('done')[0]!;
    expect(done.total).toBeCloseTo(7 + 12.5 + 3.25 + 40.125, 9);
    expect(done.at).toBeCloseTo(1000 + done.total, 9);
    const r = rec.result(['compute', 'risk', 'place']);
    // HDR histograms at 3 significant digits in µs: exact for these values
    expect(r.stages.compute!.max).toBe(12.5);
    expect(r.stages.risk!.max).toBe(3.25);
    expect(r.stages.place!.max).toBeCloseTo(40.125, 1);
    expect(r.tick_total_ms.max).toBeCloseTo(62.875, 1);
    expect(r.fetch_md_ms.max).toBe(7);
    expect(r.deadline_miss_ratio).toBe(0);
  });

  it('a tick over the deadline counts as a miss; one exactly at it does not', async () => {
    const clock = new VirtualClock(0);
    const lat = [100, 150, 151];
    const f = new FakeFetch(clock, (i) => lat[i]!);
    const rec = new PathRecorder<FakeBook>('uncached', 60_000, 200, ['s'], QUALITY);
    const p = new TickPath<FakeBook>('uncached', clock, f.fn, 5, 'queue', rec);
    schedule(clock, p, [tick(0, [100], 'A'), tick(0, [50], 'B'), tick(0, [50], 'C')]);
    await clock.runUntilIdle();
    const r = rec.result(['s']);
    expect(r.ticks).toBe(3);
    expect(r.deadline_miss_ratio).toBeCloseTo(1 / 3, 6); // 200 (A), 200 (B) meet it; 201 (C) misses
  });
});

describe('arrivalIntervals', () => {
  const N = 20_000;
  const sample = (cfg: TicksConfig, seed: number): number[] => {
    const next = arrivalIntervals(cfg, rngStream(seed, 'ticks/TEST'));
    return Array.from({ length: N }, () => next());
  };
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = (xs: number[]): number => {
    const m = mean(xs);
    return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
  };

  it('fixed: exactly 1/rate every time', () => {
    const xs = sample({ arrival: 'fixed', rate_hz: 4, jitter_pct: 50 }, 1);
    expect(new Set(xs)).toEqual(new Set([250]));
  });

  it.each([1, 2, 3])('jitter: within mean·(1 ± j), mean 1/rate, spread of a uniform (seed %i)', (seed) => {
    const xs = sample({ arrival: 'jitter', rate_hz: 5, jitter_pct: 20 }, seed);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(160);
    expect(Math.max(...xs)).toBeLessThanOrEqual(240);
    // uses the band: values near both edges occur
    expect(Math.min(...xs)).toBeLessThan(162);
    expect(Math.max(...xs)).toBeGreaterThan(238);
    expect(mean(xs)).toBeGreaterThan(199);
    expect(mean(xs)).toBeLessThan(201);
    // uniform on [160, 240]: sd = 80 / sqrt(12) ≈ 23.09
    expect(sd(xs)).toBeGreaterThan(22.5);
    expect(sd(xs)).toBeLessThan(23.7);
  });

  it.each([1, 2, 3])('poisson: exponential intervals, positive, mean 1/rate, cv ≈ 1 (seed %i)', (seed) => {
    const xs = sample({ arrival: 'poisson', rate_hz: 10, jitter_pct: 10 }, seed);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(xs.every(Number.isFinite)).toBe(true);
    expect(mean(xs)).toBeGreaterThan(97);
    expect(mean(xs)).toBeLessThan(103);
    expect(sd(xs) / mean(xs)).toBeGreaterThan(0.95);
    expect(sd(xs) / mean(xs)).toBeLessThan(1.05);
    // P(X > 3·mean) = e^-3 ≈ 4.98 %
    const tail = xs.filter((x) => x > 300).length / N;
    expect(tail).toBeGreaterThan(0.043);
    expect(tail).toBeLessThan(0.057);
  });

  it('seeded: the same stream gives the same intervals, another seed different ones', () => {
    const cfg: TicksConfig = { arrival: 'poisson', rate_hz: 10, jitter_pct: 10 };
    expect(sample(cfg, 7).slice(0, 50)).toEqual(sample(cfg, 7).slice(0, 50));
    expect(sample(cfg, 7).slice(0, 50)).not.toEqual(sample(cfg, 8).slice(0, 50));
  });
});

describe('TickPath: an observer bug is not a fetch error', () => {
  it('records the error as the path failure and never reports fetchFailed for it', async () => {
    const clock = new VirtualClock(0);
    const fetch = new FakeFetch(clock, () => 10);
    const calls: string[] = [];
    const observer: TickObserver<FakeBook> = {
      fetched: () => {
        calls.push('fetched');
        throw new Error('observer bug');
      },
      fetchFailed: () => void calls.push('fetchFailed'),
      stage: () => {},
      done: () => void calls.push('done'),
      dropped: () => {},
    };
    const path = new TickPath<FakeBook>('uncached', clock, fetch.fn, 10, 'queue', observer);
    path.arrive({ symbol: 'A', scheduledAt: 0, stageMs: [] });
    await clock.runUntilIdle();
    expect(calls).toEqual(['fetched']);
    expect((path.failure as Error).message).toBe('observer bug');
  });
});

describe('TickPath.settled', () => {
  it('resolves when the last queued or running tick is done — not before — and at once when idle', async () => {
    const { clock, path } = setup(() => 30);
    await path.settled(); // idle
    path.arrive(tick(0));
    path.arrive(tick(0)); // queued behind the first
    let settledAt: number | undefined;
    void path.settled().then(() => (settledAt = clock.now()));
    await clock.advance(30);
    expect(settledAt).toBeUndefined(); // one tick still queued
    await clock.advance(30);
    expect(settledAt).toBe(60);
    expect(path.pending).toBe(0);
  });

  it('resolves when the queued ticks are dropped, and when a tick fails inside the path', async () => {
    const { clock, path } = setup(() => 30);
    path.arrive(tick(0));
    path.arrive(tick(0));
    let settled = false;
    void path.settled().then(() => (settled = true));
    expect(path.dropQueued()).toBe(1);
    await clock.advance(30);
    expect(settled).toBe(true);

    const clock2 = new VirtualClock(0);
    const broken = new TickPath<FakeBook>('uncached', clock2, new FakeFetch(clock2, () => 10).fn, 20, 'queue', {
      fetched: () => {
        throw new Error('observer bug');
      },
      fetchFailed: () => undefined,
      stage: () => undefined,
      done: () => undefined,
      dropped: () => undefined,
    });
    broken.arrive(tick(0));
    let woke = false;
    void broken.settled().then(() => (woke = true));
    await clock2.advance(10);
    expect(woke).toBe(true);
    expect((broken.failure as Error).message).toBe('observer bug');
    expect(broken.pending).toBe(1); // the failed tick never finished
  });
});
