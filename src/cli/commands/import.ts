/**
 * `mdcache import tardis --incremental FILE.csv[.gz] [--snapshots FILE.csv[.gz]] --symbols A[,B] --tick-size T
 * [--duration D] --out FILE.jsonl`: converts Tardis-style CSV into an `mdcache-events/1` recording that
 * `bench --source replay:` and `shadow` replay (see src/market/tardis.ts for the mapping).
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { importTardis } from '../../io/import-tardis.js';
import type { ImportSymbol } from '../../market/tardis.js';
import { ExitCode } from '../exit.js';
import { durationFlag } from '../options.js';
import { stopOnSignals } from '../signals.js';

interface ImportFlags {
  incremental?: string;
  snapshots?: string;
  symbols: string;
  tickSize: string;
  duration?: number;
  out: string;
}

/** `--symbols A,B` with `--tick-size 0.01` (all) or `--tick-size A=0.01,B=0.001` (each). */
export function importSymbols(symbolsFlag: string, tickFlag: string): ImportSymbol[] {
  const symbols = symbolsFlag.split(',').map((s) => s.trim()).filter(Boolean);
  if (symbols.length === 0) throw new UsageError(`--symbols: no symbols in '${symbolsFlag}', e.g. BTCUSDT`);
  if (new Set(symbols).size !== symbols.length) throw new UsageError(`--symbols: a symbol is listed twice in '${symbolsFlag}'`);
  const parts = tickFlag.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 1 && !parts[0]!.includes('=')) return symbols.map((symbol) => ({ symbol, tickSize: parts[0]! }));
  const ticks = new Map<string, string>();
  for (const p of parts) {
    const m = /^([^=]+)=(.+)$/.exec(p);
    if (!m) throw new UsageError(`--tick-size: '${p}' is not SYMBOL=TICK (use one tick size for all symbols, e.g. 0.01, or BTCUSDT=0.01,ETHUSDT=0.01)`);
    if (!symbols.includes(m[1]!)) throw new UsageError(`--tick-size: ${m[1]} is not in --symbols ${symbols.join(',')}`);
    ticks.set(m[1]!, m[2]!);
  }
  const missing = symbols.filter((s) => !ticks.has(s));
  if (missing.length > 0) throw new UsageError(`--tick-size: no tick size for ${missing.join(', ')}`);
  return symbols.map((symbol) => ({ symbol, tickSize: ticks.get(symbol)! }));
}

export function registerImport(program: Command): void {
  const cmd = program.command('import').description('convert market data recorded elsewhere into an mdcache-events/1 recording for replay');
  cmd
    .command('tardis')
    .description('Tardis-style CSV (incremental_book_L2, book_snapshot_N; plain or .gz) → mdcache-events/1 JSONL')
    .option('--incremental <file>', 'an incremental_book_L2 CSV (exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount)')
    .option('--snapshots <file>', 'a book_snapshot_N CSV: with --incremental, the initial books (the last row at or before the first update); alone, the input (each row a diff of the top N levels)')
    .requiredOption('--symbols <list>', 'the symbols to import, e.g. BTCUSDT or BTCUSDT,ETHUSDT (a row of another symbol is an error)')
    .requiredOption('--tick-size <t>', 'price tick size, e.g. 0.01, or one per symbol: BTCUSDT=0.01,ETHUSDT=0.01 (prices off the grid are an error)')
    .option('--duration <dur>', 'import at most this much data from the first row, e.g. 10m (default: all)', durationFlag('--duration'))
    .requiredOption('--out <file.jsonl>', 'output recording (written atomically)')
    .addHelpText('after', '\nExamples:\n  $ mdcache import tardis --incremental binance_incremental_book_L2_2024-03-01_BTCUSDT.csv.gz --symbols BTCUSDT --tick-size 0.01 --duration 10m --out btc.jsonl\n  $ mdcache bench --source replay:btc.jsonl')
    .action(async (f: ImportFlags) => {
      if (!f.incremental && !f.snapshots) throw new UsageError('give --incremental FILE (incremental_book_L2) and/or --snapshots FILE (book_snapshot_N)');
      if (f.duration !== undefined && !(f.duration > 0)) throw new UsageError('--duration: must be greater than 0');
      const symbols = importSymbols(f.symbols, f.tickSize);
      const stop = stopOnSignals((sig) => process.stderr.write(`\nmdcache import: ${sig}: stopping; nothing is written\n`));
      try {
        const r = await importTardis({ incremental: f.incremental, snapshots: f.snapshots, symbols, durationMs: f.duration, out: f.out, signal: stop.signal });
        if (r.interrupted) throw new ExitCode(130, `mdcache import: stopped by ${stop.stoppedBy()}; ${f.out} not written`);
        const resets = r.resets > 0 ? `, ${r.resets} reset${r.resets > 1 ? 's' : ''} (mid-file snapshots → not-delivered catch-ups, so a replay sees the gap)` : '';
        process.stderr.write(
          `wrote ${r.file}: ${r.lines} lines from ${r.rows} rows: ${symbols.map((s) => s.symbol).join(', ')}${r.exchange ? ` (${r.exchange})` : ''}, ${r.delivered} messages${resets} over ${(r.durationMs / 1000).toFixed(1)} s${r.cut ? ' (cut by --duration)' : ''}, quantities to ${r.qtyDecimals} decimals\n`,
        );
      } finally {
        stop.dispose();
      }
    });
}
