import { describe, it, expect } from 'vitest';
import { VirtualClock, type Clock, type TimerHandle } from '../../src/core/clock.js';
import { CatchUpScheduler, TimerChainScheduler, type ArrivalScheduler } from '../../src/pipeline/scheduler.js';
import { TickPath, type Tick, type TickObserver } from '../../src/pipeline/tick-path.js';
import { loadBenchScenario } from '../../src/sim/bench-scenario.js';
import { Simulation } from '../../src/sim/simulate.js';
import { buildResults } from '../../src/sim/results.js';
import { feedMarket } from '../../src/sim/synthetic-market.js';
import { createMarket } from '../../src/scenario/scenario.js';
import { renderMarkdownReport } from '../../src/report/markdown.js';

/**
 * A host-like clock on virtual time: like Node's timers, a timeout fires no sooner than 1 ms after it was
 * armed (fractions rounded up to whole ms) and `wakeMs` later still (the event loop's wake-up cost). Time is
 * still virtual: the test drives it with `inner.advanceTo`.
 */
class HostLikeClock implements Clock {
  constructor(readonly inner: VirtualClock, private readonly wakeMs = 0.25) {}
  now(): number {
    return this.inner.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.inner.setTimeout(fn, Math.max(1, Math.ceil(ms)) + this.wakeMs);
  }
  clearTimeout(h: TimerHandle | undefined): void {
    this.inner.clearTimeout(h);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      this.setTimeout(resolve, ms);
    });
  }
}

/** `chains` fixed-rate chains of `hz` each until `endMs`; returns every (chain, scheduled, started) start. */
function drive(s: ArrivalScheduler, clock: Clock, chains: number, hz: number, endMs: number): { chain: number; at: number; started: number }[] {
  const starts: { chain: number; at: number; started: number }[] = [];
  for (let c = 0; c < chains; c++) {
    const step = 1000 / hz;
    const first = step * (1 + c / chains);
    s.add(first, (at) => {
      starts.push({ chain: c, at, started: clock.now() });
      const next = at + step;
      return next < endMs ? next : undefined;
    });
  }
  return starts;
}

describe('arrival schedulers', () => {
  it('with host-like timers, one timer per tick falls behind at 1,000 ticks/s (the problem)', async () => {
    const inner = new VirtualClock();
    const clock = new HostLikeClock(inner);
    const starts = drive(new TimerChainScheduler(clock), clock, 1, 1000, 1000);
    await inner.advanceTo(1000);
    // every re-armed timer costs ≥ 1.25 ms, so a 1 ms schedule slips further behind with each tick
    expect(starts.length).toBeLessThan(850);
    expect(starts.at(-1)!.started - starts.at(-1)!.at).toBeGreaterThan(150);
  });

  it('the catch-up scheduler starts every due arrival, in time order, with lateness below the timer granularity', async () => {
    const inner = new VirtualClock();
    const clock = new HostLikeClock(inner);
    const s = new CatchUpScheduler(clock);
    const starts = drive(s, clock, 10, 100, 60_000); // 10 chains × 100 Hz = 1,000 ticks/s for 60 s
    await inner.advanceTo(60_010);
    expect(starts.length).toBe(10 * 6000 - 10); // every arrival before 60 s (the first tick of each chain is at 10–19 ms)
    for (let i = 1; i < starts.length; i++) {
      expect(starts[i]!.at).toBeGreaterThanOrEqual(starts[i - 1]!.at);
      expect(starts[i]!.started).toBeGreaterThanOrEqual(starts[i]!.at);
    }
    const maxLate = Math.max(...starts.map((x) => x.started - x.at));
    expect(maxLate).toBeLessThanOrEqual(1.25 + 1e-9);
    const l = s.lateness();
    expect(l.count).toBe(starts.length);
    expect(l.max).toBeCloseTo(maxLate, 2);
    expect(l.p99).toBeLessThanOrEqual(2);
  });

  it('on an exact clock both schedulers start every arrival on time; ties start in the order the chains were added', async () => {
    for (const make of [(c: Clock) => new TimerChainScheduler(c), (c: Clock) => new CatchUpScheduler(c)]) {
      const clock = new VirtualClock();
      const s = make(clock);
      const order: string[] = [];
      for (const name of ['a', 'b', 'c']) s.add(5, (at) => (order.push(`${name}@${at}@${clock.now()}`), at < 15 ? at + 5 : undefined));
      await clock.runUntilIdle();
      expect(order).toEqual(['a@5@5', 'b@5@5', 'c@5@5', 'a@10@10', 'b@10@10', 'c@10@10', 'a@15@15', 'b@15@15', 'c@15@15']);
      if (s instanceof CatchUpScheduler) expect(s.lateness()).toMatchObject({ count: 9, max: 0 });
    }
  });

  it('stop(stopAt) starts the arrivals already due before stopAt, then nothing more', async () => {
    const inner = new VirtualClock();
    const clock = new HostLikeClock(inner, 3); // timers 3 ms late: arrivals pile up between wakes
    const s = new CatchUpScheduler(clock);
    const starts = drive(s, clock, 1, 1000, 1_000_000);
    await inner.advanceTo(50);
    expect(starts.length).toBeLessThan(50); // the last wake was before 50 ms: some due arrivals wait
    s.stop(1000); // the run's end at 50 ms: every arrival due by now starts, in order, then nothing more
    expect(starts.map((x) => x.at)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await inner.advanceTo(200);
    expect(starts.length).toBe(50);

    const s2 = new CatchUpScheduler(new HostLikeClock(inner, 20)); // its first wake is at 320 ms
    const ats2: number[] = [];
    s2.add(300, (at) => (ats2.push(at), at + 1)); // arrivals at 300, 301, … every 1 ms
    await inner.advanceTo(319);
    expect(ats2).toEqual([]);
    s2.stop(310); // due arrivals before 310 start; those at ≥ 310 never start, even though due
    expect(ats2).toEqual(Array.from({ length: 10 }, (_, i) => 300 + i));
    await inner.advanceTo(400);
    expect(ats2.length).toBe(10);
  });
});

describe('TickPath.dropQueued (the end of a real-time run)', () => {
  it('removes the ticks waiting behind a busy symbol; the running one finishes', async () => {
    const clock = new VirtualClock();
    const done: Tick[] = [];
    const obs: TickObserver<number> = { fetched: () => {}, fetchFailed: () => {}, stage: () => {}, done: (t) => done.push(t), dropped: () => {} };
    const path = new TickPath<number>('p', clock, async () => (await clock.sleep(10), { book: 1, status: 'direct', cacheAgeMs: 0 }), 5, 'queue', obs);
    for (let i = 0; i < 5; i++) path.arrive({ symbol: 'X', scheduledAt: i, stageMs: [] });
    path.arrive({ symbol: 'Y', scheduledAt: 0, stageMs: [] });
    expect(path.pending).toBe(6);
    expect(path.dropQueued()).toBe(4);
    expect(path.pending).toBe(2);
    await clock.runUntilIdle();
    expect(path.pending).toBe(0);
    expect(done.map((t) => `${t.symbol}${t.scheduledAt}`)).toEqual(['X0', 'Y0']);
  });
});

describe('a simulation on a host-like clock (real-time path, driven virtually)', () => {
  it('uses the catch-up scheduler: lateness in the results and the report, queued ticks dropped at the end', async () => {
    const bench = loadBenchScenario('baseline');
    const inner = new VirtualClock();
    const clock = new HostLikeClock(inner);
    const pipeline = { ...bench.pipeline, ticks: { arrival: 'fixed' as const, rate_hz: 200, jitter_pct: 0 }, on_busy: 'queue' as const };
    const market = feedMarket({ clock, feed: createMarket(bench.scenario, { seed: 1 }), rest: bench.scenario.rest, seed: 1 });
    const sim = new Simulation({ clock, market, pipeline, mdCache: bench.mdCache, seed: 1, durationMs: 2000, windowMs: 1000 });
    const run = (async () => {
      await sim.runUntil(2000);
      return sim.finish();
    })();
    let out: Awaited<typeof run> | undefined;
    void run.then((o) => (out = o));
    while (!out) await inner.advance(50);
    expect(out.schedulerLatenessMs!.count).toBe(399); // 200 Hz × 2 s, arrivals at 5 … 1995 ms
    expect(out.schedulerLatenessMs!.max).toBeLessThanOrEqual(1.25);
    // the uncached path takes ~100 ms a tick (REST + stages) against one arrival every 5 ms: most queue up
    expect(out.droppedAtEnd!.uncached).toBeGreaterThan(300);
    const results = buildResults({ run: { id: 'x', started_at: '', wall_ms: 0, host: 'h', version: 'v', command: 'c', clock: 'real' }, scenario: { name: 'baseline' }, seed: 1, durationMs: 2000, windowMs: 1000, stageNames: pipeline.stages.map((s) => s.name), sim: out });
    expect(results.scheduler_lateness_ms).toEqual(out.schedulerLatenessMs);
    expect(results.paths.uncached.dropped_at_end).toBe(out.droppedAtEnd!.uncached);
    expect(results.paths.uncached.ticks + results.paths.uncached.dropped_at_end!).toBe(399);
    const md = renderMarkdownReport(results, { evaluation: null, chartPrefix: null });
    expect(md).toContain('## Real-time scheduling');
    expect(md).toMatch(/dropped at end, not run\): uncached \d/);
  });

  it('a virtual-time run has no scheduler_lateness_ms and no dropped_at_end (its results are unchanged)', async () => {
    const bench = loadBenchScenario('baseline');
    const clock = new VirtualClock();
    const market = feedMarket({ clock, feed: createMarket(bench.scenario, { seed: 1 }), rest: bench.scenario.rest, seed: 1 });
    const sim = new Simulation({ clock, market, pipeline: bench.pipeline, mdCache: bench.mdCache, seed: 1, durationMs: 5000, windowMs: 1000 });
    await sim.runUntil(5000);
    const out = await sim.finish();
    expect(out.schedulerLatenessMs).toBeUndefined();
    expect(out.droppedAtEnd).toBeUndefined();
  });
});
