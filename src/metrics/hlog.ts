/** Writes HdrHistogram interval logs (`.hlog`, format 1.3) readable by HdrHistogram's own tools. */
import { createHistogram, hdr } from './hdr.js';
import type { WindowedHistogram } from './windowed.js';

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
