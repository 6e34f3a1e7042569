/**
 * `mdcache bench`: the main job. Runs a scenario through the uncached and the cached path on the same
 * seeded workload (virtual time by default), writes results.json, .hlog files, report.md and charts,
 * prints the comparison and exits 1 when the gates do not pass.
 */
import { getHeapStatistics } from 'node:v8';
import { Option, type Command } from 'commander';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RealClock, wallClockIso } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { openReplay } from '../../market/jsonl.js';
import { checkOutputFile, ensureOutputDir } from '../../io/atomic.js';
import { loadGatesFile } from '../../gates/spec.js';
import { loadBenchScenario } from '../../sim/bench-scenario.js';
import { runBench } from '../../sim/bench.js';
import { checkRunLength } from '../limits.js';
import { armsFromPolicies } from '../../sim/arms.js';
import { defaultJobs } from '../../sim/pool.js';
import { FLEET_SHARED_DEFAULTS, MAX_PROCESSES } from '../../sim/fleet-config.js';
import { binanceMarketFactory, symbolsFlag } from '../../net/bench-source.js';
import { durationFlag, intFlag } from '../options.js';
import { progressBar } from '../progress.js';
import { exitOnVerdict, writeRunOutput } from '../run-output.js';
import { stopOnSignals } from '../signals.js';
import { EXIT, ExitCode } from '../exit.js';
import { VERSION } from '../version.js';
import { afterBarrier, joinFleet, workerRoleFlag, workerStreamPrefix, type WorkerRole } from '../fleet-worker.js';
import { checkRedisReachable, checkWorkerProcesses, redisTierFactory, sharedFlag, withShared, writeWorkerOutput } from '../live-shared.js';
import { dropFlags } from '../fleet-procs.js';
import { runLiveFleet } from '../fleet-run.js';

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
  processes?: number;
  shared?: string;
  fleetWorker?: WorkerRole;
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

/** Flag combinations that make no sense: exit 2 naming the conflict (before anything is loaded or run). */
export function checkBenchFlags(f: Pick<BenchFlags, 'source' | 'symbols' | 'restUrl' | 'wsUrl' | 'junit' | 'gate' | 'realtime'>): void {
  const binance = f.source === 'binance';
  const replay = f.source.startsWith('replay:');
  if (!binance && !replay && f.source !== 'synthetic') throw new UsageError(`--source: invalid value '${f.source}', use synthetic, replay:FILE.jsonl or binance`);
  if (!binance) {
    for (const [flag, v] of [['--rest-url', f.restUrl], ['--ws-url', f.wsUrl]] as const) {
      if (v !== undefined) throw new UsageError(`${flag} only applies to --source binance (the source is ${f.source})`);
    }
    if (Array.isArray(f.symbols)) throw new UsageError('--symbols: a symbol list needs --source binance; synthetic and replay sources take a count');
  }
  if (replay && f.symbols !== undefined) throw new UsageError(`--symbols conflicts with --source ${f.source}: a replay's symbols are the file's`);
  if (f.junit !== undefined && !f.gate) throw new UsageError('--junit conflicts with --no-gate: the JUnit file has one testcase per gate, and --no-gate evaluates none');
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('compare the uncached and the cached fetch path on the same seeded workload; exit 1 when a gate does not pass')
    .option('--scenario <name|file>', 'shipped scenario name or a YAML file', 'baseline')
    .option('--duration <d>', "simulated run length, e.g. 90s, 30m, 1h; at most 24h (default: a replay's length, else the scenario's duration, else 30m)", durationFlag('--duration'))
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
    .option('--processes <n>', "a fleet of n processes on the same symbols: simulated with and without a shared (L2) tier in virtual time (overrides the scenario's fleet.processes); with --source binance, n real worker processes (at most 64)", intFlag('--processes', 1, MAX_PROCESSES))
    .option('--shared <url>', 'with --source binance: the Redis shared tier under the cached path (md_cache.shared.url), e.g. redis://127.0.0.1:6379; checked before the run (unreachable: exit 2)', sharedFlag)
    .addOption(new Option('--fleet-worker <i/N>', 'internal: this process is worker i of a fleet started by --processes').argParser(workerRoleFlag).hideHelp())
    .option('--window <d>', 'window length for per-window statistics (default: a tenth of the run, between 1s and 1m)', durationFlag('--window'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ mdcache bench --duration 30m\n  $ mdcache bench --scenario flaky-ws --duration 10m --seed 7 --out reports/flaky\n  $ mdcache bench --scenario many-symbols --symbols 1000 --no-gate --json > results.json',
    )
    .action(async (f: BenchFlags) => {
      checkBenchFlags(f);
      const bench = loadBenchScenario(f.scenario);
      if (f.policies) bench.arms = armsFromPolicies(f.policies, bench.mdCacheRaw);
      const live = f.source === 'binance';
      // Real worker processes (--source binance): --processes, else the scenario's fleet.processes; a worker runs one process' pipeline.
      let workers: number | undefined;
      const sharedSource = f.shared !== undefined ? '--shared' : 'md_cache.shared';
      if (live) {
        if (f.shared === undefined && f.fleetWorker === undefined && bench.mdCache.shared) f.shared = bench.mdCache.shared.url;
        bench.mdCache = withShared(bench.mdCache, f.shared);
        workers = f.fleetWorker ? undefined : f.processes ?? bench.fleet?.processes;
        delete bench.fleet;
        if (workers !== undefined) {
          checkWorkerProcesses(workers, f.processes !== undefined ? '--processes' : 'fleet.processes');
          if (bench.arms && bench.arms.length > 0) throw new UsageError('--processes with arms (--policies or the scenario\'s arms:): each worker process runs one cached path; run the arms without --processes');
        }
      } else {
        if (f.shared !== undefined) throw new UsageError(`--shared needs --source binance (real time, a real Redis); the virtual-time fleet (--processes) simulates its shared tier (fleet.shared in the scenario)`);
        if (f.fleetWorker !== undefined) throw new UsageError('--fleet-worker is internal: it is set by --source binance --processes N on its workers');
        if (f.processes !== undefined) bench.fleet = { processes: f.processes, shared: bench.fleet?.shared ?? { ...FLEET_SHARED_DEFAULTS } };
        if (bench.fleet && f.realtime) throw new UsageError('--processes / fleet: the fleet is simulated in virtual time (not with --realtime); real worker processes run with --source binance');
      }
      if (f.fleetWorker) joinFleet();
      const gates = f.gates ? loadGatesFile(f.gates, bench.arms?.map((a) => a.name)) : undefined;
      const seed = f.seed ?? bench.scenario.seed;
      const windowMs = f.window;
      let feed;
      let market;
      if (f.source === 'binance') market = binanceMarketFactory({ ...f, restTimeoutMs: bench.scenario.rest.timeout_ms, silenceMs: bench.mdCache.invalidate_on_ws_gap_ms });
      if (f.source.startsWith('replay:')) feed = openReplay(f.source.slice('replay:'.length));
      // A replay runs for its recording's length by default, and never longer (past its end the market would stand still).
      const durationMs = f.duration ?? feed?.header.duration_ms ?? bench.scenario.duration_ms ?? 30 * 60_000;
      if (feed && durationMs > feed.header.duration_ms) throw new UsageError(`--duration: ${formatDuration(durationMs)} is longer than the replay (${formatDuration(feed.header.duration_ms)} recorded in ${f.source.slice('replay:'.length)}); use --duration ${formatDuration(feed.header.duration_ms)} or less`);
      for (const w of feed?.warnings ?? []) process.stderr.write(`mdcache bench: warning: replay ${f.source.slice('replay:'.length)}: ${w}\n`);
      checkRunLength(durationMs, windowMs, Boolean(f.realtime || market));
      if (f.junit) checkOutputFile('--junit', f.junit);

      const id = runId(bench.scenario.name, seed);
      const outDir = f.out ?? join('reports', id);
      // With a shared tier, an unreachable Redis is refused before anything runs (the library would fall back).
      if (bench.mdCache.shared && !f.fleetWorker) await checkRedisReachable(bench.mdCache.shared, sharedSource);
      const removeIfEmpty = ensureOutputDir(outDir);
      if (workers !== undefined) {
        const workerArgs = [...dropFlags(process.argv.slice(2), ['--processes', '--out', '--junit', '--gates', '--jobs'], ['--json', '--no-gate', '--progress', '--no-progress']), '--no-gate', '--no-progress'];
        if (f.shared !== undefined && !workerArgs.some((a) => a === '--shared' || a.startsWith('--shared='))) workerArgs.push('--shared', f.shared);
        try {
          await runLiveFleet({
            label: 'mdcache bench',
            processes: workers,
            outDir,
            workerArgs,
            bench,
            shared: bench.mdCache.shared,
            run: { id, command: `${reproduceCommand(f, durationMs, seed)} --processes ${workers}${f.shared ? ` --shared ${f.shared}` : ''}`, version: VERSION, host: hostname() },
            gates: f.gate ? gates : null,
            durationMs,
            json: f.json,
            junit: f.junit,
          });
        } finally {
          removeIfEmpty();
        }
        return;
      }
      const host = new RealClock();
      let peakHeap = 0;
      const progress = progressBar(`bench ${bench.scenario.name}`, durationMs, () => host.now(), f.progress);
      const stop = stopOnSignals((sig) => process.stderr.write(`\n${sig}: stopping; writing the results of what ran...\n`));
      if (f.realtime || market) process.stderr.write(`mdcache bench: running ${bench.scenario.name} for ${formatDuration(durationMs)} on the real clock (Ctrl-C stops it and writes what ran)\n`);
      else if (durationMs >= 60 * 60_000) process.stderr.write(`mdcache bench: simulating ${formatDuration(durationMs)} of ${bench.scenario.name} (Ctrl-C stops it and writes what ran)\n`);
      // A live exchange's books are stamped on the host clock: so are the ones read from L2 (their ages agree).
      const shared = await redisTierFactory(bench.mdCache, (line) => process.stderr.write(`mdcache bench: shared tier: ${line}\n`), null, market ? host : undefined);
      const ran = await runBench({
        signal: stop.signal,
        bench,
        durationMs,
        seed,
        symbols: typeof f.symbols === 'number' ? f.symbols : undefined,
        realtime: f.realtime,
        market: market && f.fleetWorker ? afterBarrier(market, stop.signal) : market,
        ...(shared ? { shared } : {}),
        ...(f.fleetWorker ? { streamPrefix: workerStreamPrefix(f.fleetWorker) } : {}),
        windowMs,
        feed,
        jobs: f.jobs ?? defaultJobs(),
        gates: f.gate ? gates : null,
        run: { id, command: reproduceCommand(f, durationMs, seed), version: VERSION, host: hostname() },
        onProgress: (t) => {
          peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
          progress.update(t);
        },
      }).catch((err: unknown) => {
        stop.dispose();
        removeIfEmpty();
        throw err;
      });
      const { results, hlogs } = ran;
      progress.done();
      results.run.peak_heap_mb = Math.round(Math.max(peakHeap, getHeapStatistics().used_heap_size) / 1e5) / 10;
      if (f.fleetWorker) {
        // A worker of a fleet: its own files only (the parent merges them and renders the report).
        results.run.fleet_worker = { index: f.fleetWorker.index, of: f.fleetWorker.of };
        try {
          writeWorkerOutput(results, hlogs, outDir);
        } finally {
          stop.dispose();
        }
        if (results.run.interrupted) throw new ExitCode(EXIT.gate, `mdcache: worker ${f.fleetWorker.index} interrupted after ${formatDuration(results.duration_ms)}`);
        return;
      }

      // The signal handlers stay installed while the files are written: a signal then waits for the (synchronous)
      // write phase to end instead of killing the process half-way through the set of files.
      try {
        writeRunOutput(results, hlogs, { outDir, json: f.json, junit: f.junit });
      } finally {
        stop.dispose();
      }
      // A stopped bench never passes a gate: its figures cover only part of the run.
      if (results.run.interrupted && f.gate) throw new ExitCode(EXIT.gate, `mdcache: interrupted after ${formatDuration(results.duration_ms)} of ${formatDuration(durationMs)}; the results cover what ran and are not a pass`);
      exitOnVerdict(results);
    });
}
