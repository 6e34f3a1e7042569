/**
 * `mdcache record --rest-url URL --ws-url URL --symbols A,B --duration 10m --out FILE.jsonl [--depth N]`:
 * records a Binance-compatible venue's depth stream as `mdcache-events/1` JSONL (see src/net/record.ts).
 * SIGINT/SIGTERM stop it early and write what was recorded (well-formed); exit 0.
 */
import type { Command } from 'commander';
import { RealClock } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { ensureOutputDir } from '../../io/atomic.js';
import { dirname } from 'node:path';
import { recordMarket } from '../../net/record.js';
import { durationFlag, intFlag } from '../options.js';
import { progressBar } from '../progress.js';
import { stopOnSignals } from '../signals.js';

interface RecordFlags {
  restUrl?: string;
  wsUrl?: string;
  symbols?: string;
  duration: number;
  out?: string;
  depth: number;
  progress: boolean;
}

function urlFlag(flag: string, protocols: string[]) {
  return (v: string): string => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new UsageError(`${flag}: invalid URL '${v}', e.g. ${protocols[0]}//127.0.0.1:8080`);
    }
    if (!protocols.includes(u.protocol)) throw new UsageError(`${flag}: '${v}' must start with ${protocols.join(' or ')}//`);
    return v;
  };
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('record a Binance-compatible depth stream (REST snapshots + WebSocket diffs) as mdcache-events/1 JSONL for replay')
    .requiredOption('--rest-url <url>', 'REST base URL, e.g. http://127.0.0.1:8080', urlFlag('--rest-url', ['http:', 'https:']))
    .requiredOption('--ws-url <url>', 'WebSocket base URL, e.g. ws://127.0.0.1:8080', urlFlag('--ws-url', ['ws:', 'wss:']))
    .requiredOption('--symbols <list>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT')
    .option('--duration <dur>', 'how long to record (wall time), e.g. 90s, 10m', durationFlag('--duration'), 10 * 60_000)
    .requiredOption('--out <file.jsonl>', 'output file (written atomically when recording stops)')
    .option('--depth <n>', 'REST snapshot depth (levels per side)', intFlag('--depth', 1, 5000), 1000)
    .option('--no-progress', 'no progress line on stderr')
    .addHelpText('after', '\nExample:\n  $ mdcache exchange --scenario flaky-ws --port 8080 &\n  $ mdcache record --rest-url http://127.0.0.1:8080 --ws-url ws://127.0.0.1:8080 --symbols BTCUSDT,SOLUSDT --duration 10m --out rec.jsonl\n  $ mdcache bench --source replay:rec.jsonl --scenario flaky-ws')
    .action(async (f: RecordFlags) => {
      const symbols = f.symbols!.split(',').map((s) => s.trim()).filter(Boolean);
      if (symbols.length === 0) throw new UsageError(`--symbols: no symbols in '${f.symbols}', e.g. BTCUSDT,ETHUSDT`);
      ensureOutputDir(dirname(f.out!));
      const host = new RealClock();
      const stop = stopOnSignals((sig) => process.stderr.write(`\nmdcache record: ${sig}: writing what was recorded\n`));
      const progress = progressBar('record', f.duration, () => host.now(), f.progress);
      process.stderr.write(`mdcache record: ${symbols.join(', ')} from ${f.wsUrl} for ${formatDuration(f.duration)} (real time; Ctrl-C stops and writes what was recorded)\n`);
      try {
        const r = await recordMarket({ restUrl: f.restUrl!, wsUrl: f.wsUrl!, symbols, durationMs: f.duration, out: f.out!, clock: host, depth: f.depth, signal: stop.signal, onProgress: (ms) => progress.update(ms) });
        progress.done();
        const rs = Object.entries(r.resyncs).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
        process.stderr.write(`wrote ${r.file}: ${r.lines} lines, ${r.diffs} diffs over ${(r.durationMs / 1000).toFixed(1)} s; resyncs: ${rs}; disconnects ${r.disconnects}${r.interrupted ? ' (stopped early)' : ''}\n`);
      } finally {
        progress.done();
        stop.dispose();
      }
    });
}
