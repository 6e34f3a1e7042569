/**
 * Time is injected everywhere: this file is the only place in src/ that touches the host's clocks or timers.
 * VirtualClock is a discrete-event clock for simulation and tests; RealClock drives live runs.
 */
import { performance } from 'node:perf_hooks';
import type { AbortLike } from './abort.js';

export interface TimerHandle {
  readonly __timer: true;
}

export interface Clock {
  /** Monotonic milliseconds (fractional allowed). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(h: TimerHandle | undefined): void;
  /** Resolves after `ms`; rejects with an AbortError when `signal` aborts first. */
  sleep(ms: number, signal?: AbortLike): Promise<void>;
}

export function abortError(signal?: AbortLike): Error {
  const reason = signal?.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(typeof reason === 'string' ? reason : 'The operation was aborted');
  err.name = 'AbortError';
  return err;
}

function sleepOn(clock: Clock, ms: number, signal?: AbortLike): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(h);
      reject(abortError(signal));
    };
    const h = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface RealHandle extends TimerHandle {
  t: ReturnType<typeof globalThis.setTimeout>;
}

export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const h = { __timer: true, t: globalThis.setTimeout(fn, Math.max(0, ms)) } as RealHandle;
    return h;
  }
  clearTimeout(h: TimerHandle | undefined): void {
    if (h) globalThis.clearTimeout((h as RealHandle).t);
  }
  sleep(ms: number, signal?: AbortLike): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

interface VirtualTimer extends TimerHandle {
  at: number;
  seq: number;
  fn: (() => void) | null;
  index: number;
}

/**
 * Lets promise continuations (microtasks and chained then()s) run before the next timer fires, and the host
 * serve I/O, signals, host timers and port messages: a full event-loop turn (setImmediate runs after the poll
 * phase; every microtask drains before it). Not a MessageChannel round trip, though it is cheaper (~1 µs
 * against ~3 µs): Node drains a port's queue without a full event-loop turn, up to ~1000 messages, so a run
 * taking one such yield per simulated second went ~1000 simulated seconds without reading a pool worker's stop
 * request. Taken at the start of every advance and every YIELD_EVERY timers within one.
 */
function settle(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * The same guarantee between two timers of one run, cheaper: a `process.nextTick` callback queued from a
 * microtask runs only once the microtask queue is empty (Node runs the tick queue, then drains every
 * microtask — including those queued while draining — and only then looks at the tick queue again), so the
 * promise it resolves lets the loop go on after all the promise work the previous timer started. Every
 * `YIELD_EVERY` timers the loop takes a full event-loop turn (`settle`), so I/O, signals, host timers and
 * port messages are served during a long run.
 */
function drainMicrotasks(): Promise<void> {
  return new Promise<void>(tickResolve);
}
function tickResolve(resolve: () => void): void {
  process.nextTick(resolve);
}
const YIELD_EVERY = 1024;

/**
 * Discrete-event clock. Timers fire in time order, ties in scheduling order; between timers the microtask
 * queue drains so async code observes a consistent "now".
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private heap: VirtualTimer[] = [];
  private running = false;

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: VirtualTimer = { __timer: true, at: this.t + delay, seq: this.seq++, fn, index: -1 };
    this.push(timer);
    return timer;
  }

  clearTimeout(h: TimerHandle | undefined): void {
    const timer = h as VirtualTimer | undefined;
    if (!timer || timer.index < 0) return;
    timer.fn = null;
    this.removeAt(timer.index);
  }

  sleep(ms: number, signal?: AbortLike): Promise<void> {
    // Without a signal the timer resolves the promise itself (no abort closures; same timer, same order).
    if (signal === undefined) return new Promise<void>((resolve) => void this.setTimeout(resolve, ms));
    return sleepOn(this, ms, signal);
  }

  /** Number of pending timers. */
  pending(): number {
    return this.heap.length;
  }

  /** Time of the next pending timer, or undefined. */
  nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Runs every timer due up to now+ms, in order, then sets now to now+ms. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.t + Math.max(0, ms));
  }

  async advanceTo(target: number): Promise<void> {
    await this.runTo(target, Infinity);
  }

  /** Runs timers until none is left (or `maxTimers` have run, which guards against self-rescheduling loops). */
  async runUntilIdle(maxTimers = 1_000_000): Promise<void> {
    let budget = maxTimers;
    await settle();
    while (this.heap.length > 0) {
      if (budget <= 0) throw new Error(`VirtualClock.runUntilIdle: still busy after ${maxTimers} timers`);
      // The budget is passed down: timers that keep rescheduling themselves at the same instant (delay 0)
      // would otherwise never let runTo return.
      budget -= await this.runTo(this.heap[0]!.at, budget);
    }
  }

  /** Fires due timers up to `target` (at most `budget` of them); returns how many fired. */
  private async runTo(target: number, budget: number): Promise<number> {
    if (this.running) throw new Error('VirtualClock.advance is not re-entrant');
    this.running = true;
    let fired = 0;
    try {
      await settle();
      for (;;) {
        const next = this.heap[0];
        if (!next || next.at > target) break;
        if (fired >= budget) return fired; // out of budget: leave the clock at the last timer's time
        this.removeAt(0);
        if (next.at > this.t) this.t = next.at;
        const fn = next.fn;
        next.fn = null;
        fired++;
        fn?.();
        if (fired % YIELD_EVERY === 0) await settle();
        else await drainMicrotasks();
      }
      if (target > this.t) this.t = target;
      return fired;
    } finally {
      this.running = false;
    }
  }

  // --- binary heap ordered by (at, seq) ---
  private less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  private push(x: VirtualTimer): void {
    x.index = this.heap.length;
    this.heap.push(x);
    this.up(x.index);
  }
  private removeAt(i: number): void {
    const h = this.heap;
    const removed = h[i]!;
    const last = h.pop()!;
    removed.index = -1;
    if (i < h.length) {
      h[i] = last;
      last.index = i;
      this.down(i);
      this.up(i);
    }
  }
  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }
  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
  private swap(i: number, j: number): void {
    const h = this.heap;
    const a = h[i]!;
    const b = h[j]!;
    h[i] = b;
    h[j] = a;
    a.index = j;
    b.index = i;
  }
}

/** Wall-clock timestamp for run metadata only (never for measurement). */
export function wallClockIso(): string {
  return new Date().toISOString();
}

/** Epoch milliseconds of the wall clock, for timestamps a protocol shows (the loopback exchange's `E`); never for measurement. */
export function wallClockEpochMs(): number {
  return Date.now();
}

/** Wall-clock milliseconds for measuring how long a whole run took on the host. */
export function hostElapsedMs(): number {
  return performance.now();
}

/** A clock that wraps another: timers and sleeps go to the inner clock; subclasses define now(). */
export abstract class WrappedClock implements Clock {
  constructor(protected readonly inner: Clock) {}
  abstract now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.inner.setTimeout(fn, ms);
  }
  clearTimeout(h: TimerHandle | undefined): void {
    this.inner.clearTimeout(h);
  }
  sleep(ms: number, signal?: AbortLike): Promise<void> {
    return this.inner.sleep(ms, signal);
  }
}

/** A view of another clock whose time starts at 0 when created (runs measure from their own start). */
export class ZeroedClock extends WrappedClock {
  private origin: number;
  constructor(inner: Clock) {
    super(inner);
    this.origin = inner.now();
  }
  /**
   * Moves time 0 to now. A real-time run calls it when its setup is done and it schedules the first tick, so
   * the setup (building the market, the cache, the recorders) is not counted as ticks starting late.
   */
  restart(): void {
    this.origin = this.inner.now();
  }
  now(): number {
    return this.inner.now() - this.origin;
  }
}
