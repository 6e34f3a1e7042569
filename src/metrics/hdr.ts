/**
 * HDR histograms (hdr-histogram-js, 3 significant digits, pure JS). Latencies are recorded as integer
 * microseconds so sub-millisecond values keep their resolution; summaries are reported in milliseconds.
 */
import { createRequire } from 'node:module';
import type * as HdrLib from 'hdr-histogram-js';
import type { Percentiles } from '../results/types.js';

export type Histogram = HdrLib.Histogram;

// Loaded on the first histogram, not at import: the package root (the cache engine) imports this module and
// must not pull hdr-histogram-js in until a cache is built.
let hdrLib: typeof HdrLib | undefined;
/** The hdr-histogram-js module (loaded on first use). */
export function hdr(): typeof HdrLib {
  return (hdrLib ??= createRequire(import.meta.url)('hdr-histogram-js') as typeof HdrLib);
}

/** Unit scale: values recorded are `x * scale` rounded (1000 ⇒ µs for ms inputs). */
export interface ScaledHistogram {
  readonly hist: Histogram;
  readonly scale: number;
}

export function createHistogram(): Histogram {
  return hdr().build({ numberOfSignificantValueDigits: 3, autoResize: true, bitBucketSize: 32, useWebAssembly: false });
}

/** Records a value (ms, ticks, ...) scaled into an integer; negative values are clamped to 0. */
export function recordScaled(h: Histogram, value: number, scale: number): void {
  const v = Math.round(value * scale);
  h.recordValue(v > 0 ? v : 0);
}

/** Percentile summary of a histogram whose values were recorded with `scale` (e.g. 1000 for ms→µs). */
export function summarize(h: Histogram, scale: number): Percentiles {
  const count = h.totalCount;
  if (count === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 };
  // hdr-histogram-js reports a percentile as its bucket's highest equivalent value but maxValue exactly, so a
  // high percentile could exceed the max; no percentile of the data is above its max.
  const at = (p: number): number => round3(Math.min(h.getValueAtPercentile(p), h.maxValue) / scale);
  return {
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: round3(h.maxValue / scale),
    mean: round3(h.mean / scale),
    count,
  };
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

