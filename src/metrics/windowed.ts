/**
 * A histogram recorded per time window (e.g. one minute of simulated time). The whole-run histogram is the
 * sum of the windows (HDR histograms add exactly; percentiles never average).
 */
import { createHistogram, hdr, recordScaled, summarize, type Histogram } from './hdr.js';
import type { Percentiles } from '../results/types.js';

/** One entry per window: null when empty, else its compressed counts and exact max / min non-zero value. */
export type SerializedWindows = ({ b64: string; max: number; min: number } | null)[];

export class WindowedHistogram {
  private readonly windows: Histogram[] = [];

  constructor(
    readonly name: string,
    readonly windowMs: number,
    /** Values are recorded as round(value × scale); 1000 turns milliseconds into integer microseconds. */
    readonly scale: number,
  ) {}

  record(atMs: number, value: number): void {
    const i = atMs <= 0 ? 0 : Math.floor(atMs / this.windowMs);
    let h = this.windows[i];
    if (h === undefined) {
      for (let k = this.windows.length; k <= i; k++) this.windows[k] = createHistogram();
      h = this.windows[i]!;
    }
    recordScaled(h, value, this.scale);
  }

  /** The windows in a structured-clonable form (worker → main thread); absorb() adds them back exactly. */
  serialize(): SerializedWindows {
    return this.windows.map((h) => (h.totalCount === 0 ? null : { b64: hdr().encodeIntoCompressedBase64(h), max: h.maxValue, min: h.minNonZeroValue }));
  }

  /** Adds serialized windows (from another shard of the same run) into this histogram, window by window. */
  absorb(s: SerializedWindows): void {
    s.forEach((w, i) => {
      for (let k = this.windows.length; k <= i; k++) this.windows[k] = createHistogram();
      if (!w) return;
      const h = hdr().decodeFromCompressedBase64(w.b64, 32, false) as Histogram & { maxValue: number; minNonZeroValue: number };
      // The encoding keeps counts only; restore the exact extremes (recorded values are integers).
      h.maxValue = w.max;
      h.minNonZeroValue = w.min;
      this.windows[i]!.add(h);
    });
  }

  windowCount(): number {
    return this.windows.length;
  }

  window(i: number): Histogram | undefined {
    return this.windows[i];
  }

  windowSummary(i: number): Percentiles {
    const h = this.windows[i];
    return h ? summarize(h, this.scale) : summarize(createHistogram(), this.scale);
  }

  /** Sum of windows [from, to). */
  total(from = 0, to = Infinity): Histogram {
    const t = createHistogram();
    const end = Math.min(to, this.windows.length);
    for (let i = Math.max(0, from); i < end; i++) {
      const h = this.windows[i];
      if (h) t.add(h);
    }
    return t;
  }

  summary(from = 0, to = Infinity): Percentiles {
    return summarize(this.total(from, to), this.scale);
  }

  /** Percentile spectrum points [percentile, value] for charts (HdrHistogram-style, to p99.99 and max). */
  spectrum(): [number, number][] {
    const t = this.total();
    if (t.totalCount === 0) return [];
    const pts: [number, number][] = [];
    // Clamped to the exact max (see summarize in hdr.ts) so the curve never dips at [100, max].
    for (const p of SPECTRUM_PERCENTILES) pts.push([p, round3(Math.min(t.getValueAtPercentile(p), t.maxValue) / this.scale)]);
    pts.push([100, round3(t.maxValue / this.scale)]);
    return pts;
  }
}

/** 0, 10, ... then halving the remaining distance (50, 75, 87.5, ...) up to 99.99. */
export const SPECTRUM_PERCENTILES: number[] = (() => {
  const ps = new Set<number>([0, 10, 20, 30, 40, 50]);
  let rest = 50;
  while (100 - rest < 99.99) {
    rest /= 2;
    ps.add(Math.min(99.99, round3(100 - rest)));
  }
  for (const p of [90, 95, 99, 99.5, 99.9, 99.95, 99.99]) ps.add(p);
  return [...ps].sort((a, b) => a - b);
})();

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
