/**
 * `mdcache import tardis`: streams Tardis-style CSV files (plain or gzip, detected by their magic bytes) through
 * the converter (src/market/tardis.ts) into an `mdcache-events/1` recording. Memory stays flat whatever the input
 * size: the body lines go to a hidden temp file beside the output as they are produced; the header (which needs
 * the duration and the quantity decimals seen) is written first when the body is copied into the output file,
 * atomically. Nothing is written when the input is bad (CsvError `FILE:LINE: …`, exit 2) or the import stopped.
 */
import { closeSync, createReadStream, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { UsageError } from '../core/errors.js';
import { EVENTS_FORMAT } from '../market/jsonl.js';
import { TardisConverter, type ConvertStats, type ImportSymbol } from '../market/tardis.js';
import { writeFileAtomicWithAsync } from './atomic.js';

export interface TardisImportOptions {
  /** An incremental_book_L2 CSV (.csv or .csv.gz). */
  incremental?: string;
  /** A book_snapshot_N CSV: the input itself when there is no incremental file; else the initial books. */
  snapshots?: string;
  symbols: readonly ImportSymbol[];
  /** Import at most this much data (ms from the first row). */
  durationMs?: number;
  out: string;
  /** Stops the import; nothing is written. */
  signal?: AbortSignal;
}

export interface TardisImportSummary extends ConvertStats {
  file: string;
  /** Lines written (header and end included). */
  lines: number;
  durationMs: number;
  /** True when --duration cut the input short. */
  cut: boolean;
  interrupted: boolean;
}

function checkInput(file: string, what: string): boolean {
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st) throw new UsageError(`${what} not found: ${file}`);
  if (st.isDirectory()) throw new UsageError(`${what} is a directory, not a file: ${file}`);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new UsageError(`${what} is not readable: ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const magic = Buffer.alloc(2);
  const n = readSync(fd, magic, 0, 2, 0);
  closeSync(fd);
  return n === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
}

/**
 * The lines of a text file, gunzipped when it is gzip, with their 1-based numbers. `stop()` in the callback's
 * return (false) ends reading early. Read errors (a truncated or corrupt gzip stream) are UsageErrors.
 */
export async function forEachLine(file: string, what: string, fn: (line: string, n: number) => boolean | void, signal?: AbortSignal): Promise<void> {
  const gz = checkInput(file, what);
  const src = createReadStream(file);
  let input: Readable = src;
  if (gz) {
    const gunzip = createGunzip();
    src.on('error', (e) => gunzip.destroy(e));
    input = src.pipe(gunzip);
  }
  input.setEncoding('utf8');
  let rest = '';
  let n = 0;
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      if (signal?.aborted) return;
      const text = rest + chunk;
      let pos = 0;
      for (let nl = text.indexOf('\n', pos); nl >= 0; nl = text.indexOf('\n', pos)) {
        const line = text.slice(pos, nl);
        pos = nl + 1;
        if (fn(line, ++n) === false) return;
      }
      rest = text.slice(pos);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (gz && (e.code?.startsWith('Z_') || /unexpected end of file|incorrect header/i.test(e.message))) throw new UsageError(`${file}: not a valid gzip stream (${e.message})`);
    throw new UsageError(`cannot read ${what} ${file}: ${e.code ?? e.message}`);
  } finally {
    src.destroy();
    input.destroy();
  }
  if (rest !== '' && !signal?.aborted) fn(rest, ++n);
}

/** Reads the first data row's local_timestamp of an incremental file (for picking the initial books). */
async function firstLocalTimestamp(file: string): Promise<number | undefined> {
  let col = -1;
  let ts: number | undefined;
  await forEachLine(file, 'incremental file', (line, n) => {
    if (line.trim() === '') return true;
    const f = line.replace(/\r$/, '').split(',');
    if (col < 0) {
      col = f.indexOf('local_timestamp');
      return col >= 0 && n === 1 ? true : false;
    }
    const v = f[col];
    if (v !== undefined && /^\d{1,16}$/.test(v)) ts = Number(v);
    return false;
  });
  return ts;
}

export async function importTardis(o: TardisImportOptions): Promise<TardisImportSummary> {
  if (!o.incremental && !o.snapshots) throw new UsageError('give --incremental FILE (incremental_book_L2) and/or --snapshots FILE (book_snapshot_N)');
  if (o.symbols.length === 0) throw new UsageError('--symbols: no symbols given');
  const dir = dirname(o.out);
  const bodyFile = join(dir, `.${basename(o.out)}.${process.pid}.body.tmp`);
  let fd: number | undefined;
  let pending: string[] = [];
  let size = 0;
  let lines = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    writeSync(fd!, pending.join(''));
    pending = [];
    size = 0;
  };
  const conv = new TardisConverter({
    symbols: o.symbols,
    durationMs: o.durationMs,
    emit: (l) => {
      pending.push(l, '\n');
      size += l.length + 1;
      lines++;
      if (size > 1 << 20) flush();
    },
  });
  // Check the inputs before creating anything.
  if (o.incremental) checkInput(o.incremental, 'incremental file');
  if (o.snapshots) checkInput(o.snapshots, 'snapshots file');
  try {
    try {
      fd = openSync(bodyFile, 'w');
    } catch (err) {
      throw new UsageError(`--out: cannot write in ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let stats: ConvertStats;
    if (o.incremental) {
      if (o.snapshots) {
        // The initial books: each symbol's last book_snapshot row at or before the first incremental row.
        const until = (await firstLocalTimestamp(o.incremental)) ?? Infinity;
        const snaps = o.snapshots;
        await forEachLine(snaps, 'snapshots file', (line, n) => conv.snapshotLine(snaps, n, line, true, until), o.signal);
        conv.nextFile();
      }
      const inc = o.incremental;
      await forEachLine(inc, 'incremental file', (line, n) => {
        conv.incrementalLine(inc, n, line);
        return !conv.done;
      }, o.signal);
      stats = conv.finish(inc);
    } else {
      const snaps = o.snapshots!;
      await forEachLine(snaps, 'snapshots file', (line, n) => conv.snapshotLine(snaps, n, line), o.signal);
      stats = conv.finish(snaps);
    }
    if (o.signal?.aborted) return { ...stats, file: o.out, lines: 0, durationMs: 0, cut: false, interrupted: true };
    flush();
    closeSync(fd);
    fd = undefined;
    const durationMs = conv.done && o.durationMs !== undefined ? o.durationMs : stats.lastT;
    if (!(durationMs > 0)) throw new UsageError(`${o.incremental ?? o.snapshots}: the rows imported cover no time (a snapshot and nothing after it): nothing to replay`);
    const header = {
      type: 'header',
      format: EVENTS_FORMAT,
      scenario: 'imported',
      seed: 0,
      start_ms: 0,
      duration_ms: durationMs,
      symbols: conv.symbols.map((s) => ({ symbol: s.symbol, tick_size: s.tickSize, price: s.price ?? '0', qty_decimals: stats.qtyDecimals })),
      source: {
        format: 'tardis',
        exchange: stats.exchange,
        incremental: o.incremental ? basename(o.incremental) : undefined,
        snapshots: o.snapshots ? basename(o.snapshots) : undefined,
        start_us: stats.firstTs,
        update_ids: 'synthesised: 1 per message per symbol; a reset skips one',
      },
    };
    await writeFileAtomicWithAsync(o.out, async (write) => {
      write(JSON.stringify(header) + '\n');
      for await (const chunk of createReadStream(bodyFile)) write(chunk as Buffer);
      write(JSON.stringify({ type: 'end', t: durationMs, events: stats.events, delivered: stats.delivered }) + '\n');
    });
    return { ...stats, file: o.out, lines: lines + 2, durationMs, cut: conv.done, interrupted: false };
  } finally {
    if (fd !== undefined) closeSync(fd);
    rmSync(bodyFile, { force: true });
  }
}
