/**
 * Tick arrival schedulers: they start each scheduled arrival (open loop — an arrival never waits for the
 * previous tick) at its time on the injected clock.
 *
 * - `TimerChainScheduler` arms one clock timer per arrival. On a VirtualClock timers fire exactly on time and
 *   interleave with every other timer in (time, scheduling order): the deterministic simulator uses it, so its
 *   results are those of every earlier version.
 * - `CatchUpScheduler` is for real clocks. Host timers fire late (Node's timers have 1 ms granularity and a
 *   re-armed timeout is clamped to ≥ 1 ms), so one timer per tick falls behind for good at high rates. It keeps
 *   every chain's next arrival in a min-heap and arms a single timer for the earliest; when the timer fires it
 *   starts *every* arrival already due (catching up, in time order) and re-arms for the next. The lateness of
 *   each start (start time − scheduled time) is recorded in its own histogram.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { WindowedHistogram } from '../metrics/windowed.js';
import type { Percentiles } from '../results/types.js';

/** Starts one arrival scheduled at `at`; returns the next arrival's time, or undefined when the chain ends. */
export type Arrive = (at: number) => number | undefined;

export interface ArrivalScheduler {
  /** Adds a chain whose first arrival is at `firstAt` (absolute clock time). */
  add(firstAt: number, arrive: Arrive): void;
  /** Starts every arrival due by now with a time before `stopAt`, then starts nothing more. */
  stop(stopAt: number): void;
  /** Lateness of the arrivals started (ms), when the scheduler measures it. */
  lateness(): Percentiles | undefined;
  /** The same, per window of the arrivals' scheduled times (written as `scheduler.lateness.hlog`, merged exactly). */
  latenessWindows(): WindowedHistogram | undefined;
}

/** The lateness histogram's name (its `.hlog` file and key in results.histograms). */
export const LATENESS_HISTOGRAM = 'scheduler.lateness';

/**
 * One clock timer per arrival (exact on a VirtualClock; the simulator's scheduler). Chains end when `arrive`
 * returns undefined; `stop` leaves timers armed (each then starts nothing), as the simulator always did.
 */
export class TimerChainScheduler implements ArrivalScheduler {
  constructor(private readonly clock: Clock) {}

  add(firstAt: number, arrive: Arrive): void {
    const arm = (at: number, delay: number): void => {
      this.clock.setTimeout(() => {
        const next = arrive(at);
        if (next !== undefined) arm(next, next - this.clock.now());
      }, delay);
    };
    arm(firstAt, firstAt - this.clock.now());
  }

  stop(): void {}

  lateness(): undefined {
    return undefined;
  }

  latenessWindows(): undefined {
    return undefined;
  }
}

interface Due {
  at: number;
  seq: number;
  arrive: Arrive;
}

/** Catch-up scheduler for real clocks: one timer, every due arrival started when it fires, lateness recorded. */
export class CatchUpScheduler implements ArrivalScheduler {
  private readonly heap: Due[] = [];
  private seq = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private stopped = false;
  private readonly late: WindowedHistogram;
  private readonly onWake = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.runDue(Infinity);
    this.arm();
  };

  constructor(
    private readonly clock: Clock,
    /** Lateness is recorded per window of the arrivals' scheduled times (the run's statistics windows). */
    windowMs = 60_000,
  ) {
    this.late = new WindowedHistogram(LATENESS_HISTOGRAM, windowMs, 1000);
  }

  add(firstAt: number, arrive: Arrive): void {
    if (this.stopped) return;
    this.push({ at: firstAt, seq: this.seq++, arrive });
    this.arm();
  }

  stop(stopAt: number): void {
    if (this.stopped) return;
    this.runDue(stopAt);
    this.stopped = true;
    this.heap.length = 0;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  lateness(): Percentiles {
    return this.late.summary();
  }

  latenessWindows(): WindowedHistogram {
    return this.late;
  }

  /** Starts, in time order, every arrival due by now (re-reading the clock as it goes) and before `limit`. */
  private runDue(limit: number): void {
    let now = this.clock.now();
    while (!this.stopped && this.heap.length > 0) {
      const top = this.heap[0]!;
      if (top.at > now) {
        now = this.clock.now();
        if (top.at > now) break;
      }
      this.pop();
      if (top.at >= limit) continue;
      this.late.record(top.at, now - top.at);
      const next = top.arrive(top.at);
      if (next !== undefined) this.push({ at: next, seq: this.seq++, arrive: top.arrive });
    }
  }

  private arm(): void {
    if (this.stopped || this.heap.length === 0) return;
    const at = this.heap[0]!.at;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(this.onWake, at - this.clock.now());
  }

  private less(a: Due, b: Due): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(d: Due): void {
    const h = this.heap;
    let i = h.length;
    h.push(d);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
