/**
 * `mdcache sweep`: runs a grid of md_cache configurations, each as a bench of uncached vs that configuration
 * on the same seeded workload, in parallel on worker threads; writes sweep.json, sweep.md and two charts,
 * recommends the best passing point. Exit 0 when a point passes all its gates, 1 when none does, 2 on bad input.
 */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RealClock, wallClockIso } from '../../core/clock.js';
import { ConfigError, type Problem } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { ensureOutputDir, writeFileAtomic } from '../../io/atomic.js';
import { loadGatesFile } from '../../gates/spec.js';
import { loadBenchScenario } from '../../sim/bench-scenario.js';
import { defaultJobs } from '../../sim/pool.js';
import { OBJECTIVES, gridPoints, parseSweepParams, runSweep, type Objective, type SweepDoc } from '../../sim/sweep.js';
import { renderSweepCharts, renderSweepMarkdown, renderSweepTerminal } from '../../report/sweep.js';
import { durationFlag, intFlag } from '../options.js';
import { stopOnSignals } from '../signals.js';
import { EXIT, ExitCode } from '../exit.js';
import { VERSION } from '../version.js';
import { runId } from './bench.js';

interface SweepFlags {
  scenario: string;
  duration: number;
  seed?: number;
  param: string[];
  objective: string;
  jobs?: string;
  out?: string;
  json?: boolean;
  progress: boolean;
  gates?: string;
  window?: number;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function reproduce(f: SweepFlags, seed: number): string {
  const parts = ['mdcache sweep', `--scenario ${f.scenario}`, `--duration ${formatDuration(f.duration)}`, `--seed ${seed}`];
  for (const p of f.param) parts.push(`--param ${p}`);
  parts.push(`--objective ${f.objective}`);
  if (f.window) parts.push(`--window ${formatDuration(f.window)}`);
  if (f.gates) parts.push(`--gates ${f.gates}`);
  return parts.join(' ');
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('run a grid of md_cache configurations (each vs uncached on the same workload) in parallel and recommend one; exit 0 when a point passes, 1 when none does')
    .option('--scenario <name|file>', 'shipped scenario name or a YAML file', 'baseline')
    .option('--duration <d>', 'simulated run length of each point', durationFlag('--duration'), 10 * 60_000)
    .option('--seed <n>', "seed (default: the scenario's); every point runs the same workload", intFlag('--seed', 0, Number.MAX_SAFE_INTEGER))
    .option('--param <KEY=V1,V2,...>', 'an md_cache key and its values, e.g. md_cache.ttl_ms=25,50,100 (repeat for a grid)', collect, [])
    .option('--objective <o>', `what the recommendation minimises among passing points: ${OBJECTIVES.join(', ')}`, 'tob_error')
    .option('--jobs <n>', 'worker threads (default: the number of cores); results are identical for any value')
    .option('--gates <file>', "YAML file with a gates: list (default: the scenario's gates, else the defaults)")
    .option('--window <d>', 'window length for per-window statistics (default: a tenth of the run, between 1s and 1m)', durationFlag('--window'))
    .option('--out <dir>', 'output directory (default: reports/<run-id>-sweep/)')
    .option('--json', 'print sweep.json to stdout (the table goes to stderr)')
    .option('--no-progress', 'no progress line (it only shows when stderr is a TTY anyway)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ mdcache sweep --param md_cache.ttl_ms=25,50,100,200,400\n  $ mdcache sweep --duration 10m --param md_cache.policy=ttl,refresh_ahead,ws_book --param md_cache.ttl_ms=50,100,200 --objective tob_error --out reports/sweep',
    )
    .action(async (f: SweepFlags) => {
      const bench = loadBenchScenario(f.scenario);
      const problems: Problem[] = [];
      if (!(OBJECTIVES as readonly string[]).includes(f.objective)) problems.push({ path: '--objective', message: `invalid value '${f.objective}', use one of: ${OBJECTIVES.join(', ')}` });
      let params;
      try {
        params = parseSweepParams(f.param, bench.mdCacheRaw, f.jobs);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(...err.problems);
      }
      if (f.window !== undefined && f.window > f.duration) problems.push({ path: '--window', message: `${formatDuration(f.window)} is longer than a point's run (${formatDuration(f.duration)})` });
      if (problems.length > 0 || !params) throw new ConfigError(problems, 'sweep');
      const gates = f.gates ? loadGatesFile(f.gates) : undefined;
      const jobs = f.jobs !== undefined ? Number(f.jobs) : defaultJobs();
      const seed = f.seed ?? bench.scenario.seed;
      const id = `${runId(bench.scenario.name, seed)}-sweep`;
      const outDir = f.out ?? join('reports', id);
      ensureOutputDir(outDir);
      const host = new RealClock();
      const total = gridPoints(params).length;
      const tty = f.progress && process.stderr.isTTY;
      const t0 = host.now();
      const progress = (done: number): void => {
        if (tty) process.stderr.write(`\r\x1b[2Ksweep ${bench.scenario.name}: ${done}/${total} points done (${jobs} job(s), ${((host.now() - t0) / 1000).toFixed(0)} s)`);
      };
      progress(0);
      const stop = stopOnSignals((sig) => process.stderr.write(`\n${sig}: stopping the sweep after the running points...\n`));
      let doc: SweepDoc;
      try {
        doc = await runSweep({
          scenario: f.scenario,
          params,
          durationMs: f.duration,
          seed,
          objective: f.objective as Objective,
          windowMs: f.window,
          gates,
          jobs,
          signal: stop.signal,
          hostNow: () => host.now(),
          run: { id, command: reproduce(f, seed), version: VERSION, host: hostname(), started_at: wallClockIso() },
          onDone: (done) => progress(done),
        });
      } catch (err) {
        if (stop.signal.aborted) throw new ExitCode(EXIT.gate, `mdcache: sweep interrupted; nothing written`);
        throw err;
      } finally {
        if (tty) process.stderr.write('\r\x1b[2K');
        stop.dispose();
      }
      writeFileAtomic(join(outDir, 'sweep.json'), JSON.stringify(doc, null, 2) + '\n');
      writeFileAtomic(join(outDir, 'sweep.md'), renderSweepMarkdown(doc));
      const charts = renderSweepCharts(doc);
      for (const [name, svg] of Object.entries(charts)) writeFileAtomic(join(outDir, name), svg);
      const out = f.json ? process.stderr : process.stdout;
      out.write(renderSweepTerminal(doc));
      out.write(`\nwrote ${join(outDir, 'sweep.json')}, ${join(outDir, 'sweep.md')} (+${Object.keys(charts).length} charts) in ${(doc.run.wall_ms / 1000).toFixed(1)} s on ${doc.run.workers || 1} thread(s)\n`);
      if (f.json) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      if (doc.recommended === null) throw new ExitCode(EXIT.gate, `mdcache: sweep: ${doc.reason}`);
    });
}
