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
import { loadGatesFile } from '../../gates/spec.js';
import { loadBenchScenario } from '../../sim/bench-scenario.js';
import { runBench } from '../../sim/bench.js';
import { durationFlag, intFlag } from '../options.js';
import { progressBar } from '../progress.js';
import { exitOnVerdict, writeRunOutput } from '../run-output.js';
import { VERSION } from '../version.js';

interface BenchFlags {
  scenario: string;
  duration?: number;
  seed?: number;
  symbols?: number;
  out?: string;
  json?: boolean;
  realtime?: boolean;
  progress: boolean;
  gate: boolean;
  gates?: string;
  junit?: string;
  source: string;
  window?: number;
}

export function runId(scenario: string, seed: number): string {
  const ts = wallClockIso().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${ts}-${scenario.replace(/[^A-Za-z0-9_.-]/g, '_')}-s${seed}`;
}

/** The command line that reproduces a run (flags normalised, paths as given). */
function reproduceCommand(f: BenchFlags, durationMs: number, seed: number): string {
  const parts = ['mdcache bench', `--scenario ${f.scenario}`, `--duration ${formatDuration(durationMs)}`, `--seed ${seed}`];
  if (f.symbols) parts.push(`--symbols ${f.symbols}`);
  if (f.source !== 'synthetic') parts.push(`--source ${f.source}`);
  if (f.window) parts.push(`--window ${formatDuration(f.window)}`);
  if (f.realtime) parts.push('--realtime');
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
    .option('--symbols <n>', 'override the number of symbols', intFlag('--symbols', 1, 100_000))
    .option('--source <src>', 'market source: synthetic, or replay:FILE.jsonl (from mdcache generate)', 'synthetic')
    .option('--out <dir>', 'output directory (default: reports/<run-id>/)')
    .option('--json', 'print results JSON to stdout (the summary table goes to stderr)')
    .option('--realtime', 'run on the real clock instead of virtual time (use short durations)')
    .option('--no-progress', 'no progress bar (it only shows when stderr is a TTY anyway)')
    .option('--no-gate', 'do not evaluate gates (exit 0 whatever the numbers)')
    .option('--gates <file>', "YAML file with a gates: list (default: the scenario's gates, else the defaults)")
    .option('--junit <file>', 'also write JUnit XML, one testcase per gate')
    .option('--window <d>', 'window length for per-window statistics (default 1m)', durationFlag('--window'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ mdcache bench --duration 30m\n  $ mdcache bench --scenario flaky-ws --duration 10m --seed 7 --out reports/flaky\n  $ mdcache bench --scenario many-symbols --symbols 1000 --no-gate --json > results.json',
    )
    .action(async (f: BenchFlags) => {
      const bench = loadBenchScenario(f.scenario);
      const gates = f.gates ? loadGatesFile(f.gates) : undefined;
      const seed = f.seed ?? bench.scenario.seed;
      const durationMs = f.duration ?? bench.scenario.duration_ms ?? 30 * 60_000;
      const windowMs = f.window;
      if (windowMs !== undefined && windowMs > durationMs) throw new UsageError(`--window: ${formatDuration(windowMs)} is longer than the run (${formatDuration(durationMs)})`);
      let feed;
      if (f.source.startsWith('replay:')) feed = openReplay(f.source.slice('replay:'.length));
      else if (f.source !== 'synthetic') throw new UsageError(`--source: invalid value '${f.source}', use synthetic or replay:FILE.jsonl`);
      if (f.realtime && durationMs > 60 * 60_000) throw new UsageError(`--duration: ${formatDuration(durationMs)} on the real clock is too long; use at most 1h with --realtime (virtual time runs 30m in seconds)`);

      const id = runId(bench.scenario.name, seed);
      const outDir = f.out ?? join('reports', id);
      const host = new RealClock();
      const progress = progressBar(`bench ${bench.scenario.name}`, durationMs, () => host.now(), f.progress);
      const { results, hlogs } = await runBench({
        bench,
        durationMs,
        seed,
        symbols: f.symbols,
        realtime: f.realtime,
        windowMs,
        feed,
        gates: f.gate ? gates : null,
        run: { id, command: reproduceCommand(f, durationMs, seed), version: VERSION, host: hostname() },
        onProgress: (t) => progress.update(t),
      });
      progress.done();

      writeRunOutput(results, hlogs, { outDir, json: f.json, junit: f.junit });
      exitOnVerdict(results);
    });
}
