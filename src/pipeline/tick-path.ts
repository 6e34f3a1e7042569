/**
 * One path (uncached or cached) of the tick pipeline: per symbol, ticks are processed one at a time in
 * arrival order. Latency is measured from each tick's *scheduled* arrival (open loop), so time spent queued
 * behind a slow tick counts — no coordinated omission.
 */
import type { Clock } from '../core/clock.js';
import type { FetchMD, Fetched } from './fetch-md.js';
import type { OnBusy } from './config.js';

export interface Tick {
  symbol: string;
  scheduledAt: number;
  /** Pre-drawn stage latencies (ms), identical for both paths. */
  stageMs: readonly number[];
}

/** What a path reports as ticks progress; the recorder implements it. */
export interface TickObserver<B> {
  fetched(tick: Tick, fetchMs: number, result: Fetched<B>): void;
  fetchFailed(tick: Tick, fetchMs: number, error: unknown): void;
  stage(tick: Tick, index: number, ms: number): void;
  done(tick: Tick, totalMs: number, ok: boolean): void;
  dropped(tick: Tick): void;
}

interface SymbolQueue {
  busy: boolean;
  queue: Tick[];
}

export class TickPath<B> {
  private readonly symbols = new Map<string, SymbolQueue>();
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly fetchMd: FetchMD<B>,
    private readonly depth: number,
    private readonly onBusy: OnBusy,
    private readonly observer: TickObserver<B>,
  ) {}

  /** Ticks queued or running. */
  get pending(): number {
    return this.inflight;
  }

  /** Resolves once no tick is queued or running, or a tick has failed (see `failure`). */
  settled(): Promise<void> {
    if (this.inflight === 0 || this.failure !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private wake(): void {
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }

  arrive(tick: Tick): void {
    let q = this.symbols.get(tick.symbol);
    if (!q) {
      q = { busy: false, queue: [] };
      this.symbols.set(tick.symbol, q);
    }
    if (q.busy) {
      if (this.onBusy === 'drop') {
        this.observer.dropped(tick);
        return;
      }
      q.queue.push(tick);
      this.inflight++;
      return;
    }
    q.busy = true;
    this.inflight++;
    this.drain(q, tick).catch((err: unknown) => {
      this.failure ??= err;
      this.wake();
    });
  }

  /** Removes every tick still waiting in a symbol's queue (not started) and returns how many there were. */
  dropQueued(): number {
    let n = 0;
    for (const q of this.symbols.values()) {
      n += q.queue.length;
      q.queue.length = 0;
    }
    this.inflight -= n;
    if (this.inflight === 0) this.wake();
    return n;
  }

  /** The first internal error a tick hit (an observer bug); the run rethrows it when it finishes. */
  failure: unknown;

  private async drain(q: SymbolQueue, first: Tick): Promise<void> {
    let tick: Tick | undefined = first;
    while (tick) {
      await this.process(tick);
      this.inflight--;
      if (this.inflight === 0) this.wake();
      tick = q.queue.shift();
    }
    q.busy = false;
  }

  private async process(tick: Tick): Promise<void> {
    const start = this.clock.now();
    // Only the fetch itself may fail a tick; an observer that throws is a bug and must surface, not be
    // counted as a fetch error.
    let result: Fetched<B> | undefined;
    let error: unknown;
    try {
      result = await this.fetchMd(tick.symbol, this.depth);
    } catch (err) {
      error = err;
    }
    if (result !== undefined) this.observer.fetched(tick, this.clock.now() - start, result);
    else this.observer.fetchFailed(tick, this.clock.now() - start, error);
    const ok = result !== undefined;
    if (ok) {
      // Stages run back to back; their latencies were drawn at arrival so both paths see the same draws.
      let total = 0;
      for (let i = 0; i < tick.stageMs.length; i++) {
        const ms = tick.stageMs[i]!;
        this.observer.stage(tick, i, ms);
        total += ms;
      }
      if (total > 0) await this.clock.sleep(total);
    }
    this.observer.done(tick, this.clock.now() - tick.scheduledAt, ok);
  }
}
