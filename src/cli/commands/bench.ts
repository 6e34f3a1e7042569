/**
 * `mdcache bench`: the main job. Runs a scenario through the uncached and the cached path on the same
 * seeded workload (virtual time by default), writes results.json, .hlog files, report.md and charts,
 * prints the comparison and exits 1 when the gates do not pass.
 */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RealClock, wallClockIso } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { openReplay } from '../../market/jsonl.js';
import { ensureOutputDir } from '../../io/atomic.js';
import { loadGatesFile } from '../../gates/spec.js';
import { loadBenchScenario } from '../../sim/bench-scenario.js';
import { runBench } from '../../sim/bench.js';
import { armsFromPolicies } from '../../sim/arms.js';
import { defaultJobs } from '../../sim/pool.js';
import { binanceMarketFactory, symbolsFlag } from '../../net/bench-source.js';
import { durationFlag, intFlag } from '../options.js';
import { progressBar } from '../progress.js';
import { exitOnVerdict, writeRunOutput } from '../run-output.js';
import { stopOnSignals } from '../signals.js';
import { EXIT, ExitCode } from '../exit.js';
import { VERSION } from '../version.js';

interface BenchFlags {
  scenario: string;
  duration?: number;
  seed?: number;
  symbols?: number | string[];
  restUrl?: string;
  wsUrl?: string;
  out?: string;
  json?: boolean;
  realtime?: boolean;
  progress: boolean;
  gate: boolean;
  gates?: string;
  junit?: string;
  source: string;
  window?: number;
  policies?: string[];
  jobs?: number;
}

export function runId(scenario: string, seed: number): string {
  const ts = wallClockIso().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${ts}-${scenario.replace(/[^A-Za-z0-9_.-]/g, '_')}-s${seed}`;
}

/** The command line that reproduces a run (flags normalised, paths as given). */
/** A comma-separated list flag (`a,b,c`); empty items are dropped (an empty list is reported by its reader). */
function listFlag(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function reproduceCommand(f: BenchFlags, durationMs: number, seed: number): string {
  const parts = ['mdcache bench', `--scenario ${f.scenario}`, `--duration ${formatDuration(durationMs)}`, `--seed ${seed}`];
  if (f.symbols) parts.push(`--symbols ${f.symbols}`);
  if (f.source !== 'synthetic') parts.push(`--source ${f.source}`);
  if (f.source === 'binance') parts.push(`--rest-url ${f.restUrl}`, `--ws-url ${f.wsUrl}`);
  if (f.window) parts.push(`--window ${formatDuration(f.window)}`);
  if (f.realtime) parts.push('--realtime');
  if (f.policies) parts.push(`--policies ${f.policies.join(',')}`);
  if (f.gates) parts.push(`--gates ${f.gates}`);
  return parts.join(' ');
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('compare the uncached and the cached fetch path on the same seeded workload; exit 1 when a gate does not pass')
    .option('--scenario <name|file>', 'shipped scenario name or a YAML file', 'baseline')
    .option('--duration <d>', "simulated run length, e.g. 90s, 30m, 1h (default: the scenario's duration, else 30m)", durationFlag('--duration'))
    .option('--seed <n>', "seed (default: the scenario's)", intFlag('--seed', 0, Number.MAX_SAFE_INTEGER))
    .option('--symbols <n|list>', 'override the number of symbols; with --source binance: a comma-separated list (BTCUSDT,ETHUSDT)', symbolsFlag)
    .option('--source <src>', 'market source: synthetic, replay:FILE.jsonl (from mdcache generate), or binance (a live exchange: --rest-url, --ws-url, real time)', 'synthetic')
    .option('--rest-url <url>', 'with --source binance: REST base URL, e.g. http://127.0.0.1:8080')
    .option('--ws-url <url>', 'with --source binance: WebSocket base URL, e.g. ws://127.0.0.1:8080')
    .option('--out <dir>', 'output directory (default: reports/<run-id>/)')
    .option('--json', 'print results JSON to stdout (the summary table goes to stderr)')
    .option('--realtime', 'run on the real clock instead of virtual time (use short durations)')
    .option('--no-progress', 'no progress bar (it only shows when stderr is a TTY anyway)')
    .option('--no-gate', 'do not evaluate gates (exit 0 whatever the numbers)')
    .option('--policies <list>', "run one cached path (arm) per cache policy on the same workload, e.g. ttl,refresh_ahead,ws_book (overrides the scenario's arms:)", listFlag)
    .option('--jobs <n>', 'worker threads to shard the symbols across (default: the number of cores); results are identical for any value', intFlag('--jobs', 1, 1024))
    .option('--gates <file>', "YAML file with a gates: list (default: the scenario's gates, else the defaults)")
    .option('--junit <file>', 'also write JUnit XML, one testcase per gate')
    .option('--window <d>', 'window length for per-window statistics (default: a tenth of the run, between 1s and 1m)', durationFlag('--window'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ mdcache bench --duration 30m\n  $ mdcache bench --scenario flaky-ws --duration 10m --seed 7 --out reports/flaky\n  $ mdcache bench --scenario many-symbols --symbols 1000 --no-gate --json > results.json',
    )
    .action(async (f: BenchFlags) => {
      const bench = loadBenchScenario(f.scenario);
      if (f.policies) bench.arms = armsFromPolicies(f.policies, bench.mdCacheRaw);
      const gates = f.gates ? loadGatesFile(f.gates, bench.arms?.map((a) => a.name)) : undefined;
      const seed = f.seed ?? bench.scenario.seed;
      const durationMs = f.duration ?? bench.scenario.duration_ms ?? 30 * 60_000;
      const windowMs = f.window;
      if (windowMs !== undefined && windowMs > durationMs) throw new UsageError(`--window: ${formatDuration(windowMs)} is longer than the run (${formatDuration(durationMs)})`);
      let feed;
      let market;
      if (f.source === 'binance') market = binanceMarketFactory({ ...f, restTimeoutMs: bench.scenario.rest.timeout_ms, silenceMs: bench.mdCache.invalidate_on_ws_gap_ms });
      else if (Array.isArray(f.symbols)) throw new UsageError('--symbols: a symbol list needs --source binance; synthetic and replay sources take a count');
      if (f.source.startsWith('replay:')) feed = openReplay(f.source.slice('replay:'.length));
      else if (f.source !== 'synthetic' && f.source !== 'binance') throw new UsageError(`--source: invalid value '${f.source}', use synthetic, replay:FILE.jsonl or binance`);
      if ((f.realtime || market) && durationMs > 60 * 60_000) throw new UsageError(`--duration: ${formatDuration(durationMs)} on the real clock is too long; use at most 1h with --realtime (virtual time runs 30m in seconds)`);

      const id = runId(bench.scenario.name, seed);
      const outDir = f.out ?? join('reports', id);
      ensureOutputDir(outDir);
      const host = new RealClock();
      let peakHeap = 0;
      const progress = progressBar(`bench ${bench.scenario.name}`, durationMs, () => host.now(), f.progress);
      const stop = stopOnSignals((sig) => process.stderr.write(`\n${sig}: stopping; writing the results of what ran...\n`));
      if (f.realtime || market) process.stderr.write(`mdcache bench: running ${bench.scenario.name} for ${formatDuration(durationMs)} on the real clock (Ctrl-C stops it and writes what ran)\n`);
      const { results, hlogs } = await runBench({
        signal: stop.signal,
        bench,
        durationMs,
        seed,
        symbols: typeof f.symbols === 'number' ? f.symbols : undefined,
        realtime: f.realtime,
        market,
        windowMs,
        feed,
        jobs: f.jobs ?? defaultJobs(),
        gates: f.gate ? gates : null,
        run: { id, command: reproduceCommand(f, durationMs, seed), version: VERSION, host: hostname() },
        onProgress: (t) => {
          peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
          progress.update(t);
        },
      });
      progress.done();
      results.run.peak_heap_mb = Math.round(Math.max(peakHeap, process.memoryUsage().heapUsed) / 1e5) / 10;

      stop.dispose();
      writeRunOutput(results, hlogs, { outDir, json: f.json, junit: f.junit });
      // A stopped bench never passes a gate: its figures cover only part of the run.
      if (results.run.interrupted && f.gate) throw new ExitCode(EXIT.gate, `mdcache: interrupted after ${formatDuration(results.duration_ms)} of ${formatDuration(durationMs)}; the results cover what ran and are not a pass`);
      exitOnVerdict(results);
    });
}
