/**
 * Shadow comparison (GitHub Scientist style): for every tick both paths completed, how the candidate's
 * (cached) book differs from the control's (uncached) book: top of book in ticks, depth levels, staleness.
 * The three distributions are recorded per window of the ticks' scheduled times (written as `.hlog` files
 * beside the run's), so runs of several processes merge exactly (src/sim/merge-shadow.ts).
 */
import type { OrderBook } from '../market/book.js';
import { ticksToPrice } from '../market/ticks.js';
import { WindowedHistogram } from '../metrics/windowed.js';
import type { Fetched } from '../pipeline/fetch-md.js';
import type { Tick, TickObserver } from '../pipeline/tick-path.js';
import type { MismatchExample, ShadowResult } from '../results/types.js';
import { round6 } from './recorder.js';

interface Used {
  book: OrderBook;
  status: string;
  ageMs: number;
}

export interface DivergenceListener {
  (m: { symbol: string; tobTicks: number; depthMismatches: number; candidateAgeMs: number }): void;
}

export class DivergenceTracker {
  private readonly pending = new Map<Tick, { control?: Used; candidate?: Used }>();
  /** Ticks one path gave up on (failed or dropped) before the other path's book arrived. */
  private readonly abandoned = new WeakSet<Tick>();
  private readonly tob: WindowedHistogram;
  private readonly depthLv: WindowedHistogram;
  private readonly staleness: WindowedHistogram;
  private compared = 0;
  private tobMismatches = 0;
  private depthMismatchTicks = 0;
  private worst: MismatchExample[] = [];

  constructor(
    private readonly now: () => number,
    /** Levels per side compared for depth mismatches. */
    readonly depth = 10,
    private readonly keepWorst = 10,
    private readonly listener?: DivergenceListener,
    /** The run's statistics window (the histograms' intervals). */
    windowMs = 60_000,
    /** A served book's age (default: now − takenAt; a live market's books are stamped on the host clock: its quality.ageMs). */
    private readonly ageOf: (book: OrderBook) => number = (b) => this.now() - b.takenAt,
  ) {
    this.tob = new WindowedHistogram(SHADOW_HISTOGRAMS.tob, windowMs, 1);
    this.depthLv = new WindowedHistogram(SHADOW_HISTOGRAMS.depth, windowMs, 1);
    this.staleness = new WindowedHistogram(SHADOW_HISTOGRAMS.staleness, windowMs, 1000);
  }

  /** The divergence histograms (one `.hlog` file each). */
  histograms(): WindowedHistogram[] {
    return [this.tob, this.depthLv, this.staleness];
  }

  private observer(role: 'control' | 'candidate'): TickObserver<OrderBook> {
    return {
      fetched: (tick: Tick, _ms: number, r: Fetched<OrderBook>) => {
        if (this.abandoned.has(tick)) {
          this.abandoned.delete(tick);
          return;
        }
        const used: Used = { book: r.book, status: r.status, ageMs: this.ageOf(r.book) };
        const slot = this.pending.get(tick) ?? {};
        slot[role] = used;
        if (slot.control && slot.candidate) {
          this.pending.delete(tick);
          this.compare(tick, slot.control, slot.candidate);
        } else this.pending.set(tick, slot);
      },
      // A tick one path could not serve has nothing to compare; forget its other half (also when it comes later).
      fetchFailed: (tick: Tick) => this.abandon(tick),
      stage: () => {},
      done: () => {},
      dropped: (tick: Tick) => this.abandon(tick),
    };
  }

  private abandon(tick: Tick): void {
    if (!this.pending.delete(tick)) this.abandoned.add(tick);
  }

  readonly control = this.observer('control');
  readonly candidate = this.observer('candidate');

  private compare(tick: Tick, control: Used, candidate: Used): void {
    const c = control.book;
    const k = candidate.book;
    const tobTicks = Math.max(diff(c.bestBid(), k.bestBid()), diff(c.bestAsk(), k.bestAsk()));
    let depthMismatches = 0;
    for (let i = 0; i < this.depth; i++) {
      if (levelDiffers(i < c.bidCount, i < k.bidCount, () => c.bidTicks(i) !== k.bidTicks(i) || c.bidQty(i) !== k.bidQty(i))) depthMismatches++;
      if (levelDiffers(i < c.askCount, i < k.askCount, () => c.askTicks(i) !== k.askTicks(i) || c.askQty(i) !== k.askQty(i))) depthMismatches++;
    }
    this.compared++;
    if (tobTicks > 0) this.tobMismatches++;
    if (depthMismatches > 0) this.depthMismatchTicks++;
    const at = tick.scheduledAt;
    this.tob.record(at, tobTicks);
    this.depthLv.record(at, depthMismatches);
    this.staleness.record(at, candidate.ageMs);
    this.listener?.({ symbol: tick.symbol, tobTicks, depthMismatches, candidateAgeMs: candidate.ageMs });
    if (tobTicks > 0 && this.keepWorst > 0 && (this.worst.length < this.keepWorst || worseFirst({ tob_mismatch_ticks: tobTicks, at_ms: Math.round(tick.scheduledAt * 1000) / 1000, symbol: tick.symbol }, this.worst[this.worst.length - 1]!) < 0)) {
      this.worst.push({
        symbol: tick.symbol,
        tick_size: ticksToPrice(1, c.tick),
        at_ms: Math.round(tick.scheduledAt * 1000) / 1000,
        tob_mismatch_ticks: tobTicks,
        depth_mismatches: depthMismatches,
        control: { bid: c.bestBid() ?? null, ask: c.bestAsk() ?? null, update_id: c.lastUpdateId },
        candidate: { bid: k.bestBid() ?? null, ask: k.bestAsk() ?? null, update_id: k.lastUpdateId, age_ms: Math.round(candidate.ageMs * 1000) / 1000, status: candidate.status },
      });
      // Largest first; ties: the earlier tick, then the symbol (a total order, so merged runs keep the same list).
      this.worst.sort(worseFirst);
      if (this.worst.length > this.keepWorst) this.worst.length = this.keepWorst;
    }
  }

  result(): ShadowResult {
    const n = this.compared;
    return {
      compared: n,
      tob_mismatch_ratio: n > 0 ? round6(this.tobMismatches / n) : 0,
      depth_mismatch_ratio: n > 0 ? round6(this.depthMismatchTicks / n) : 0,
      compared_depth: this.depth,
      tob_mismatched: this.tobMismatches,
      depth_mismatched: this.depthMismatchTicks,
      tob_mismatch_ticks: this.tob.summary(),
      depth_mismatch_levels: this.depthLv.summary(),
      candidate_staleness_ms: this.staleness.summary(),
      worst: this.worst,
      worst_limit: this.keepWorst,
    };
  }
}

/** The shadow histograms' names (their `.hlog` files and keys in results.histograms). */
export const SHADOW_HISTOGRAMS = { tob: 'shadow.tob_mismatch_ticks', depth: 'shadow.depth_mismatch_levels', staleness: 'shadow.candidate_staleness' } as const;

/** The worst-mismatch order: largest top-of-book difference first, then the earlier tick, then the symbol. */
export function worseFirst(a: Pick<MismatchExample, 'tob_mismatch_ticks' | 'at_ms' | 'symbol'>, b: Pick<MismatchExample, 'tob_mismatch_ticks' | 'at_ms' | 'symbol'>): number {
  return b.tob_mismatch_ticks - a.tob_mismatch_ticks || a.at_ms - b.at_ms || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
}

function diff(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : MISSING_SIDE_TICKS;
  return Math.abs(a - b);
}

function levelDiffers(inA: boolean, inB: boolean, differs: () => boolean): boolean {
  if (inA !== inB) return true;
  return inA && differs();
}

/** Counted when one book has a side the other lacks (an empty side is as wrong as it gets). */
const MISSING_SIDE_TICKS = 1_000_000;
