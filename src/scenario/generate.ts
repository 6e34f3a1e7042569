/** Writes a scenario's event stream as JSONL (see src/market/jsonl.ts), atomically: temp file + rename. */
import { abortError } from '../core/clock.js';
import { writeFileAtomicWith, writeFileAtomicWithAsync } from '../io/atomic.js';
import { headerLine, snapshotLine, recordLine, endLine } from '../market/jsonl.js';
import type { FeedStats } from '../market/feed.js';
import { createMarket, resolveSymbols, type Scenario } from './scenario.js';

export interface GenerateOptions {
  scenario: Scenario;
  /** Overrides scenario.seed. */
  seed?: number;
  durationMs: number;
  /** Called about every simulated second with the fraction done. */
  onProgress?: (fraction: number, stats: FeedStats) => void;
}

/** The JSONL text in chunks, one chunk per simulated second (the header and snapshots first); returns the stats. */
function* generateChunks(opts: GenerateOptions): Generator<string, FeedStats, void> {
  const sc = opts.scenario;
  const seed = opts.seed ?? sc.seed;
  const feed = createMarket(sc, { seed });
  const symbols = resolveSymbols(sc);
  yield headerLine({ scenario: sc.name, seed, start_ms: 0, duration_ms: opts.durationMs, symbols: symbols.map((s) => ({ symbol: s.symbol, tick_size: s.tick_size, price: feed.info(s.symbol)!.price, qty_decimals: s.qty_decimals })) }) + '\n';
  for (const s of feed.instruments) yield snapshotLine(0, feed.snapshot(s.symbol)) + '\n';
  let buf = '';
  feed.onRecord((rec) => {
    buf += recordLine(rec) + '\n';
  });
  const step = 1000;
  for (let t = 0; t < opts.durationMs; ) {
    t = Math.min(opts.durationMs, t + step);
    feed.advanceTo(t);
    if (buf.length > 0) {
      yield buf;
      buf = '';
    }
    opts.onProgress?.(t / opts.durationMs, feed.stats());
  }
  const stats = feed.stats();
  yield endLine(opts.durationMs, stats) + '\n';
  return stats;
}

/** Streams the JSONL lines to `write` (no trailing newline handling needed: each call is one line + '\n'). */
export function generateLines(opts: GenerateOptions, write: (chunk: string) => void): FeedStats {
  const it = generateChunks(opts);
  for (;;) {
    const n = it.next();
    if (n.done) return n.value;
    write(n.value);
  }
}

/** Generates into `file` atomically. Returns the feed stats. */
export function generateToFile(opts: GenerateOptions, file: string): FeedStats {
  return writeFileAtomicWith(file, (write) => generateLines(opts, write));
}

export interface GenerateControl {
  /** Called between chunks; a returned promise is awaited (the CLI yields to the event loop so signals run). */
  pause?: () => Promise<void> | undefined;
  /** Aborting stops the generation: nothing is written and the temp file is removed. */
  signal?: AbortSignal;
}

/** generateToFile that can be stopped: between chunks it awaits `pause()` and checks `signal`. */
export async function generateToFileAsync(opts: GenerateOptions, file: string, ctl: GenerateControl): Promise<FeedStats> {
  return writeFileAtomicWithAsync(file, async (write) => {
    const it = generateChunks(opts);
    for (;;) {
      const wait = ctl.pause?.();
      if (wait) await wait;
      if (ctl.signal?.aborted) throw abortError(ctl.signal);
      const n = it.next();
      if (n.done) return n.value;
      write(n.value);
    }
  });
}
