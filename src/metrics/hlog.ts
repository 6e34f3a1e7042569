/** Writes HdrHistogram interval logs (`.hlog`, format 1.3) readable by HdrHistogram's own tools. */
import { createHistogram, hdr, type Histogram } from './hdr.js';
import type { SerializedWindows, WindowedHistogram } from './windowed.js';

/**
 * One interval line per window, values in the histogram's recorded unit (µs for latencies); the max column
 * is divided by `maxValueUnitRatio` (1000 ⇒ shown in ms, as HdrHistogram's tools expect for µs data).
 * `startTimeSec` is the log's StartTime; virtual runs use 0 so the files are deterministic.
 */
export function renderHlog(h: WindowedHistogram, startTimeSec = 0, comment?: string): string {
  let out = '';
  const writer = new (hdr().HistogramLogWriter)((c: string) => {
    out += c;
  });
  if (comment) writer.outputComment(comment);
  writer.outputLogFormatVersion();
  writer.outputStartTime(startTimeSec * 1000);
  writer.outputComment(`[BaseTime: ${startTimeSec.toFixed(3)} (seconds since epoch)]`);
  writer.outputLegend();
  const windowSec = h.windowMs / 1000;
  for (let i = 0; i < h.windowCount(); i++) {
    const w = h.window(i);
    if (!w || w.totalCount === 0) continue;
    // Written from a fresh copy: the encoding then depends only on the counts, not on how the histogram
    // grew (a run sharded across threads adds its shards' windows; the log is byte-identical either way).
    const copy = createHistogram();
    copy.add(w);
    writer.outputIntervalHistogram(copy, i * windowSec, (i + 1) * windowSec, h.scale);
  }
  return out;
}

/** One `.hlog` file read back: its StartTime and, per window index, the interval's counts (as `absorb` takes them). */
export interface ParsedHlog {
  /** `#[StartTime: …]` in seconds since the epoch (0 for virtual-time runs). */
  startTimeSec: number;
  /** Window index (interval start / window length) → encoded counts with the exact max restored; null = empty. */
  windows: SerializedWindows;
  /** Total count over every interval. */
  totalCount: number;
  /** Count per window index (0 for windows without an interval). */
  counts: number[];
}

/**
 * Parses an interval log written by renderHlog: every interval must be `windowMs` long and start on a window
 * boundary. `scale` is the unit ratio the max column was divided by (1000 for µs latencies, 1 for ticks), so
 * the exact integer max comes back. Throws an Error with a one-line reason on anything malformed.
 */
export function parseHlog(text: string, windowMs: number, scale: number): ParsedHlog {
  const windowSec = windowMs / 1000;
  const windows: SerializedWindows = [];
  let startTimeSec = 0;
  let totalCount = 0;
  const counts: number[] = [];
  let sawLegend = false;
  const lines = text.split(/\r\n|\r|\n/);
  for (const [n, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#[StartTime:')) {
      const v = Number.parseFloat(line.slice('#[StartTime:'.length));
      if (!Number.isFinite(v)) throw new Error(`line ${n + 1}: bad StartTime`);
      startTimeSec = v;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line.startsWith('"StartTimestamp"')) {
      sawLegend = true;
      continue;
    }
    const tokens = line.split(',');
    if (tokens[0]!.startsWith('Tag=')) tokens.shift();
    if (tokens.length !== 4) throw new Error(`line ${n + 1}: expected start,length,max,histogram`);
    const [s, len, max, b64] = tokens as [string, string, string, string];
    const start = Number(s);
    const length = Number(len);
    const maxCol = Number(max);
    if (![start, length, maxCol].every(Number.isFinite) || start < 0 || maxCol < 0) throw new Error(`line ${n + 1}: start, length and max must be non-negative numbers`);
    if (Math.abs(length - windowSec) > 0.0005) throw new Error(`line ${n + 1}: an interval of ${length} s, but the run's windows are ${windowSec} s`);
    const index = Math.round(start / windowSec);
    if (Math.abs(index * windowSec - start) > 0.0005) throw new Error(`line ${n + 1}: interval start ${start} s is not on a ${windowSec} s window boundary`);
    if (windows[index]) throw new Error(`line ${n + 1}: a second interval for the window starting at ${start} s`);
    let h: Histogram;
    try {
      h = hdr().decodeFromCompressedBase64(b64, 32, false) as Histogram;
    } catch (err) {
      throw new Error(`line ${n + 1}: the histogram does not decode (${(err as Error).message})`);
    }
    const exactMax = Math.round(maxCol * scale);
    // The max column is exact (renderHlog writes max / scale with 3 decimals); it must fall in the top bucket.
    const eq = h as unknown as { lowestEquivalentValue(v: number): number; highestEquivalentValue(v: number): number };
    if (!(h.totalCount > 0) || !Number.isFinite(h.totalCount) || eq.lowestEquivalentValue(h.maxValue) > exactMax || eq.highestEquivalentValue(exactMax) < h.maxValue) {
      throw new Error(`line ${n + 1}: the histogram does not match its max column (corrupt data)`);
    }
    for (let k = windows.length; k < index; k++) windows[k] = null;
    for (let k = counts.length; k < index; k++) counts[k] = 0;
    windows[index] = { b64, max: exactMax, min: h.minNonZeroValue };
    counts[index] = h.totalCount;
    totalCount += h.totalCount;
  }
  if (!sawLegend) throw new Error('not an HdrHistogram interval log (no "StartTimestamp" legend line)');
  return { startTimeSec, windows, totalCount, counts };
}
