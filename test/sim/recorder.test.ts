import { describe, it, expect } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import { SPECTRUM_PERCENTILES, WindowedHistogram } from '../../src/metrics/windowed.js';
import { renderHlog } from '../../src/metrics/hlog.js';
import { rngStream } from '../../src/core/rng.js';
import type { Tick } from '../../src/pipeline/tick-path.js';
import { PathRecorder } from '../../src/sim/recorder.js';

/** Every interval histogram in an .hlog text, decoded with HdrHistogram's own reader. */
function readHlog(text: string): hdr.Histogram[] {
  const reader = new hdr.HistogramLogReader(text);
  const out: hdr.Histogram[] = [];
  for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) out.push(h);
  return out;
}

/** A seeded lognormal-ish latency sample (ms) with a heavy tail. */
function latencies(n: number, seed: number): number[] {
  const rng = rngStream(seed, 'recorder-test');
  return Array.from({ length: n }, () => Math.exp(3 + 0.6 * rng.normal()) + (rng.bernoulli(0.01) ? rng.uniform(100, 400) : 0));
}

describe('WindowedHistogram', () => {
  it('puts each value in the window of its time; summaries cover [from, to)', () => {
    const w = new WindowedHistogram('t', 1000, 1000);
    w.record(-5, 1); // before the start → window 0
    w.record(0, 2);
    w.record(999.9, 3);
    w.record(1000, 10);
    w.record(3500, 20);
    w.record(3999, 30);
    expect(w.windowCount()).toBe(4);
    expect([0, 1, 2, 3].map((i) => w.window(i)!.totalCount)).toEqual([3, 1, 0, 2]);
    expect(w.window(4)).toBeUndefined();

    expect(w.summary().count).toBe(6);
    expect(w.summary().max).toBe(30);
    expect(w.summary(0, 1)).toMatchObject({ count: 3, max: 3, p50: 2 });
    // a lone value: every percentile is that value (never above the max)
    expect(w.summary(1, 3)).toEqual({ p50: 10, p90: 10, p95: 10, p99: 10, p999: 10, max: 10, mean: expect.closeTo(10, 1) as unknown as number, count: 1 });
    expect(w.summary(3)).toMatchObject({ count: 2, max: 30 });
    expect(w.summary(2, 3)).toEqual({ p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 });
    expect(w.summary(0, 100).count).toBe(6); // past the end is fine
    expect(w.windowSummary(2).count).toBe(0);
    expect(w.windowSummary(17).count).toBe(0);
    expect(w.windowSummary(3)).toMatchObject({ count: 2, max: 30, p99: 30 });
    expect(w.windowSummary(3).p50).toBeCloseTo(20, 1); // HDR: 3 significant digits
    // the whole-run histogram is the exact sum of the windows
    expect(w.total().totalCount).toBe(6);
    expect(w.total(1, 4).totalCount).toBe(3);
  });

  it('keeps sub-millisecond resolution (µs) and clamps negative values to 0', () => {
    const w = new WindowedHistogram('t', 60_000, 1000);
    w.record(1, 0.25);
    w.record(2, 0.0004); // rounds to 0 µs
    w.record(3, -3);
    const s = w.summary();
    expect(s.count).toBe(3);
    expect(s.max).toBe(0.25);
    expect(s.p50).toBe(0);
  });

  it('summary percentiles are ordered and never exceed the max', () => {
    for (const seed of [1, 2, 3, 4]) {
      const w = new WindowedHistogram('t', 10_000, 1000);
      latencies(5000, seed).forEach((v, i) => w.record(i * 7, v));
      const s = w.summary();
      expect(s.count).toBe(5000);
      const seq = [s.p50, s.p90, s.p95, s.p99, s.p999, s.max];
      for (let i = 1; i < seq.length; i++) expect(seq[i]!, `seed ${seed}: ${seq.join(', ')}`).toBeGreaterThanOrEqual(seq[i - 1]!);
      for (let i = 0; i < w.windowCount(); i++) {
        const ws = w.windowSummary(i);
        expect(ws.p999).toBeLessThanOrEqual(ws.max);
      }
    }
  });

  it('spectrum: empty for no data; otherwise increasing percentiles from 0, ending with [100, max], values non-decreasing', () => {
    expect(new WindowedHistogram('t', 1000, 1000).spectrum()).toEqual([]);
    expect(SPECTRUM_PERCENTILES[0]).toBe(0);
    expect(SPECTRUM_PERCENTILES.at(-1)).toBe(99.99);
    for (const p of [50, 90, 95, 99, 99.9]) expect(SPECTRUM_PERCENTILES).toContain(p);
    for (const seed of [1, 2, 3]) {
      const w = new WindowedHistogram('t', 60_000, 1000);
      const xs = latencies(3000, seed);
      xs.forEach((v, i) => w.record(i * 20, v));
      const sp = w.spectrum();
      expect(sp).toHaveLength(SPECTRUM_PERCENTILES.length + 1);
      expect(sp.map((p) => p[0])).toEqual([...SPECTRUM_PERCENTILES, 100]);
      for (let i = 1; i < sp.length; i++) {
        expect(sp[i]![0]).toBeGreaterThan(sp[i - 1]![0]);
        expect(sp[i]![1], `seed ${seed}: p${sp[i]![0]} after p${sp[i - 1]![0]}`).toBeGreaterThanOrEqual(sp[i - 1]![1]);
      }
      const max = Math.max(...xs);
      expect(sp.at(-1)![0]).toBe(100);
      expect(sp.at(-1)![1]).toBeCloseTo(max, 2);
      expect(sp.at(-1)![1]).toBe(w.summary().max);
      // p0 is the smallest value (within HDR's 3 significant digits)
      expect(Math.abs(sp[0]![1] - Math.min(...xs)) / Math.min(...xs)).toBeLessThan(0.002);
    }
  });
});

describe('renderHlog', () => {
  it('parses back with HdrHistogram\'s log reader: one interval per non-empty window, counts preserved', () => {
    const w = new WindowedHistogram('uncached.fetch_md', 1000, 1000);
    const xs = latencies(4000, 9);
    // 4 s of data, then a gap (window 4 empty), then one value in window 5
    xs.forEach((v, i) => w.record(i, v));
    w.record(5200, 12.5);
    const text = renderHlog(w, 0, 'mdcache uncached.fetch_md: values in microseconds');
    expect(text.split('\n')[0]).toBe('#mdcache uncached.fetch_md: values in microseconds');
    expect(text).toContain('#[Histogram log format version 1.3]');
    expect(text).toContain('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"');

    const decoded = readHlog(text);
    expect(decoded).toHaveLength(5);
    expect(decoded.reduce((s, h) => s + h.totalCount, 0)).toBe(4001);
    expect(decoded.map((h) => h.totalCount)).toEqual([1000, 1000, 1000, 1000, 1]);
    expect(decoded.map((h) => h.startTimeStampMsec)).toEqual([0, 1000, 2000, 3000, 5000]);
    expect(decoded.map((h) => h.endTimeStampMsec)).toEqual([1000, 2000, 3000, 4000, 6000]);
    // values are in µs; each window's max survives the round trip
    for (let i = 0; i < 4; i++) {
      const exact = w.window(i)!.maxValue;
      expect(Math.abs(decoded[i]!.maxValue - exact) / exact).toBeLessThan(0.001);
    }
    expect(decoded[4]!.maxValue).toBeGreaterThanOrEqual(12_500);
    expect(decoded[4]!.maxValue).toBeLessThan(12_520);
    // the interval max column is in ms (µs / 1000)
    const firstLine = text.split('\n').find((l) => /^\d/.test(l))!;
    expect(Number(firstLine.split(',')[2])).toBeCloseTo(w.window(0)!.maxValue / 1000, 2);
    // summing the decoded intervals gives the same percentiles as the whole-run histogram
    const sum = hdr.build({ numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly: false });
    for (const h of decoded) sum.add(h);
    expect(sum.getValueAtPercentile(99)).toBe(w.total().getValueAtPercentile(99));
  });

  it('a histogram with no data has no intervals; the text is deterministic', () => {
    const empty = new WindowedHistogram('x', 1000, 1);
    expect(readHlog(renderHlog(empty))).toEqual([]);
    const a = new WindowedHistogram('tob', 1000, 1);
    const b = new WindowedHistogram('tob', 1000, 1);
    for (const h of [a, b]) [0, 0, 3, 1, 1_000_000].forEach((v, i) => h.record(i * 300, v));
    expect(renderHlog(a)).toBe(renderHlog(b));
    const d = readHlog(renderHlog(a));
    expect(d.reduce((s, h) => s + h.totalCount, 0)).toBe(5);
    expect(Math.max(...d.map((h) => h.maxValue))).toBeGreaterThanOrEqual(1_000_000);
  });
});

describe('PathRecorder', () => {
  const quality = { ageMs: (b: { age: number }) => b.age, tobErrorTicks: (_s: string, b: { age: number }) => (b.age > 100 ? 2 : 0) };
  const t = (at: number): Tick => ({ symbol: 'X', scheduledAt: at, stageMs: [] });

  it('counts ticks, misses, drops and cache outcomes per window; range results sum the windows', () => {
    const rec = new PathRecorder<{ age: number }>('cached', 1000, 100, ['s'], quality);
    rec.fetched(t(10), 0, { book: { age: 5 }, status: 'fresh', cacheAgeMs: 5 });
    rec.done(t(10), 50, true);
    rec.fetched(t(20), 0, { book: { age: 150 }, status: 'stale', cacheAgeMs: 150 });
    rec.done(t(20), 150, true); // over the 100 ms deadline
    rec.fetched(t(1200), 30, { book: { age: 0 }, status: 'miss', cacheAgeMs: 0 });
    rec.done(t(1200), 99, true);
    rec.fetchFailed(t(1300), 40);
    rec.done(t(1300), 40, false); // a failed fetch misses the deadline
    rec.dropped(t(2500));
    const w = rec.windows(3);
    expect(w.map((x) => [x.start_ms, x.ticks, x.deadline_misses, x.dropped, x.gets, x.hits, x.fresh, x.stale, x.misses])).toEqual([
      [0, 2, 1, 0, 2, 2, 1, 1, 0],
      [1000, 2, 1, 0, 2, 0, 0, 0, 2],
      [2000, 0, 0, 1, 0, 0, 0, 0, 0],
    ]);
    const all = rec.result(['s']);
    expect(all).toMatchObject({ ticks: 4, dropped: 1, fetch_errors: 1, deadline_miss_ratio: 0.5 });
    expect(all.fetch_md_ms.count).toBe(4);
    expect(all.tick_total_ms.max).toBe(150);
    expect(rec.result(['s'], 1, 2)).toMatchObject({ ticks: 2, dropped: 0, deadline_miss_ratio: 0.5 });
    expect(rec.result(['s'], 2, 3)).toMatchObject({ ticks: 0, dropped: 1, deadline_miss_ratio: 0 });
    expect(rec.staleness.summary().max).toBe(150);
    expect(rec.tobError.summary()).toMatchObject({ count: 3, max: 2 });
  });

  it('the uncached path has no cache counters', () => {
    const rec = new PathRecorder<{ age: number }>('uncached', 1000, 100, [], quality);
    rec.fetched(t(0), 20, { book: { age: 0 }, status: 'direct', cacheAgeMs: 0 });
    rec.done(t(0), 20, true);
    rec.fetchFailed(t(5), 20);
    rec.done(t(5), 20, false);
    const w = rec.windows(1)[0]!;
    expect(w.gets).toBeUndefined();
    expect(w.hits).toBeUndefined();
    expect(w.ticks).toBe(2);
  });
});
