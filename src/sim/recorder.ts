/** Records one path's ticks into windowed HDR histograms and per-window counters. */
import { WindowedHistogram, type SerializedWindows } from '../metrics/windowed.js';
import type { Fetched } from '../pipeline/fetch-md.js';
import type { Tick, TickObserver } from '../pipeline/tick-path.js';
import type { PathResult, WindowStats } from '../results/types.js';
import type { RestWeightStep } from '../market/rest-cost.js';
import { RestMeter } from './rest-meter.js';

interface WindowCounters {
  ticks: number;
  deadline_misses: number;
  dropped: number;
  gets: number;
  fresh: number;
  stale: number;
  misses: number;
}

const MS = 1000; // latencies are recorded in integer µs
const TICKS = 1; // top-of-book error is a whole number of ticks

export interface BookQuality<B> {
  /** Age of the book at use time (ms). */
  ageMs(book: B): number;
  /** |served − truth| of best bid / best ask at use time, in exchange ticks (the larger of the two). */
  tobErrorTicks(symbol: string, book: B): number;
}

/** A recorder's state in a structured-clonable form (a shard's result sent from a worker thread). */
export interface SerializedRecorder {
  fetchMd: SerializedWindows;
  tickTotal: SerializedWindows;
  stages: SerializedWindows[];
  staleness: SerializedWindows;
  tobError: SerializedWindows;
  counters: WindowCounters[];
  ticks: number;
  misses: number;
  dropped: number;
  fetchErrors: number;
  rest: ReturnType<RestMeter['serialize']>;
}

export class PathRecorder<B> implements TickObserver<B> {
  readonly fetchMd: WindowedHistogram;
  readonly tickTotal: WindowedHistogram;
  readonly stages: WindowedHistogram[];
  readonly staleness: WindowedHistogram;
  readonly tobError: WindowedHistogram;
  /** REST cost of this path's snapshot source (wrap the source with `meteredSource(source, rec.rest, clock)`). */
  readonly rest: RestMeter;
  private readonly counters: WindowCounters[] = [];
  private ticks = 0;
  private misses = 0;
  private droppedTotal = 0;
  private fetchErrors = 0;

  /** True for a cached path (an arm): it records gets, hits and misses per window. */
  readonly cachedPath: boolean;

  constructor(
    /** `uncached`, `cached` (the first arm) or another arm's name; names the histograms. */
    readonly path: string,
    readonly windowMs: number,
    private readonly deadlineMs: number,
    stageNames: readonly string[],
    private readonly quality: BookQuality<B>,
    cachedPath = path === 'cached',
    restWeights?: readonly RestWeightStep[],
  ) {
    this.cachedPath = cachedPath;
    this.rest = new RestMeter(windowMs, restWeights);
    this.fetchMd = new WindowedHistogram(`${path}.fetch_md`, windowMs, MS);
    this.tickTotal = new WindowedHistogram(`${path}.tick_total`, windowMs, MS);
    this.stages = stageNames.map((n) => new WindowedHistogram(`${path}.stage.${n}`, windowMs, MS));
    this.staleness = new WindowedHistogram(`${path}.staleness`, windowMs, MS);
    this.tobError = new WindowedHistogram(`${path}.tob_error_ticks`, windowMs, TICKS);
  }

  private window(t: number): WindowCounters {
    const i = Math.max(0, Math.floor(t / this.windowMs));
    for (let k = this.counters.length; k <= i; k++) this.counters[k] = { ticks: 0, deadline_misses: 0, dropped: 0, gets: 0, fresh: 0, stale: 0, misses: 0 };
    return this.counters[i]!;
  }

  fetched(tick: Tick, fetchMs: number, r: Fetched<B>): void {
    this.fetchMd.record(tick.scheduledAt, fetchMs);
    this.staleness.record(tick.scheduledAt, this.quality.ageMs(r.book));
    this.tobError.record(tick.scheduledAt, this.quality.tobErrorTicks(tick.symbol, r.book));
    if (r.status !== 'direct') {
      const w = this.window(tick.scheduledAt);
      w.gets++;
      if (r.status === 'fresh') w.fresh++;
      else if (r.status === 'stale') w.stale++;
      else w.misses++;
    }
  }

  fetchFailed(tick: Tick, fetchMs: number): void {
    this.fetchMd.record(tick.scheduledAt, fetchMs);
    this.fetchErrors++;
    if (this.cachedPath) {
      const w = this.window(tick.scheduledAt);
      w.gets++;
      w.misses++;
    }
  }

  stage(tick: Tick, index: number, ms: number): void {
    this.stages[index]!.record(tick.scheduledAt, ms);
  }

  done(tick: Tick, totalMs: number, ok: boolean): void {
    this.tickTotal.record(tick.scheduledAt, totalMs);
    const w = this.window(tick.scheduledAt);
    w.ticks++;
    this.ticks++;
    // A tick whose market data could not be fetched produced no quotes: it missed its deadline.
    if (!ok || totalMs > this.deadlineMs) {
      w.deadline_misses++;
      this.misses++;
    }
  }

  dropped(tick: Tick): void {
    this.window(tick.scheduledAt).dropped++;
    this.droppedTotal++;
  }

  serialize(): SerializedRecorder {
    return {
      fetchMd: this.fetchMd.serialize(),
      tickTotal: this.tickTotal.serialize(),
      stages: this.stages.map((s) => s.serialize()),
      staleness: this.staleness.serialize(),
      tobError: this.tobError.serialize(),
      counters: this.counters.map((c) => ({ ...c })),
      ticks: this.ticks,
      misses: this.misses,
      dropped: this.droppedTotal,
      fetchErrors: this.fetchErrors,
      rest: this.rest.serialize(),
    };
  }

  /** Adds another shard's recording of the same path (other symbols, same windows): exact for every figure. */
  absorb(s: SerializedRecorder): void {
    this.fetchMd.absorb(s.fetchMd);
    this.tickTotal.absorb(s.tickTotal);
    s.stages.forEach((st, i) => this.stages[i]!.absorb(st));
    this.staleness.absorb(s.staleness);
    this.tobError.absorb(s.tobError);
    s.counters.forEach((c, i) => {
      const w = this.window(i * this.windowMs);
      for (const k of Object.keys(c) as (keyof WindowCounters)[]) w[k] += c[k];
    });
    this.ticks += s.ticks;
    this.misses += s.misses;
    this.droppedTotal += s.dropped;
    this.fetchErrors += s.fetchErrors;
    this.rest.absorb(s.rest);
  }

  /** The path's figures over windows [from, to) (the whole run by default). */
  result(stageNames: readonly string[], from = 0, to = Infinity): PathResult {
    const stages: PathResult['stages'] = {};
    stageNames.forEach((n, i) => (stages[n] = this.stages[i]!.summary(from, to)));
    const whole = from === 0 && to === Infinity;
    let ticks = this.ticks;
    let misses = this.misses;
    let dropped = this.droppedTotal;
    if (!whole) {
      ticks = misses = dropped = 0;
      for (let i = from; i < Math.min(to, this.counters.length); i++) {
        const c = this.counters[i]!;
        ticks += c.ticks;
        misses += c.deadline_misses;
        dropped += c.dropped;
      }
    }
    return {
      fetch_md_ms: this.fetchMd.summary(from, to),
      tick_total_ms: this.tickTotal.summary(from, to),
      deadline_miss_ratio: ticks > 0 ? round6(misses / ticks) : 0,
      ticks,
      dropped,
      fetch_errors: whole ? this.fetchErrors : 0,
      stages,
      rest: this.rest.result(from, Math.min(to, this.windowCountHint())),
    };
  }

  /** Windows recorded so far (any histogram or counter), used when a range is open-ended. */
  private windowCountHint(): number {
    const end = this.rest.endMs;
    if (Number.isFinite(end)) return Math.max(1, Math.ceil(end / this.windowMs));
    return Math.max(1, this.counters.length, this.fetchMd.windowCount(), this.tickTotal.windowCount());
  }

  windows(count: number, from = 0): WindowStats[] {
    const out: WindowStats[] = [];
    for (let i = from; i < count; i++) {
      const c = this.counters[i] ?? { ticks: 0, deadline_misses: 0, dropped: 0, gets: 0, fresh: 0, stale: 0, misses: 0 };
      const f = this.fetchMd.windowSummary(i);
      const t = this.tickTotal.windowSummary(i);
      const w: WindowStats = {
        start_ms: i * this.windowMs,
        ticks: c.ticks,
        deadline_misses: c.deadline_misses,
        dropped: c.dropped,
        fetch_md_p50: f.p50,
        fetch_md_p95: f.p95,
        fetch_md_p99: f.p99,
        tick_total_p50: t.p50,
        tick_total_p95: t.p95,
        tick_total_p99: t.p99,
      };
      const r = this.rest.window(i);
      w.rest_requests = r.requests;
      w.rest_weight = r.weight;
      w.rest_throttled = r.throttled;
      if (this.rest.throttled + this.rest.refused > 0) {
        w.rest_rate_limited = r.rate_limited;
        w.rest_banned = r.banned;
        w.rest_refused = r.refused;
      }
      if (this.cachedPath) {
        w.gets = c.gets;
        w.hits = c.fresh + c.stale;
        w.fresh = c.fresh;
        w.stale = c.stale;
        w.misses = c.misses;
      }
      out.push(w);
    }
    return out;
  }
}

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
