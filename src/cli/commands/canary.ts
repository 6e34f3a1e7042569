/**
 * `mdcache canary --config prod.yaml [--steps 10,50,100] [--step-duration 10m]`: a staged rollout with
 * rollback conditions per step. Exit 0 promoted, 1 rolled back or halted, 2 bad input.
 */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '../../core/clock.js';
import { formatDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { ensureOutputDir, writeFileAtomic } from '../../io/atomic.js';
import { CANARY_UNITS, loadProdConfig, validateSteps, type CanaryUnit } from '../../ops/prod-config.js';
import { MAX_PROCESSES } from '../../sim/fleet-config.js';
import { checkCanaryLength } from '../limits.js';
import { runCanary } from '../../ops/canary.js';
import { renderCanaryCharts, renderCanaryMarkdown } from '../../report/canary.js';
import { appendStepSummary } from '../../report/github.js';
import { durationFlag, intFlag } from '../options.js';
import { progressBar } from '../progress.js';
import { stopOnSignals } from '../signals.js';
import { EXIT, ExitCode } from '../exit.js';
import { VERSION } from '../version.js';
import { runId } from './bench.js';

interface CanaryFlags {
  config: string;
  steps?: number[];
  stepDuration?: number;
  out?: string;
  realtime?: boolean;
  json?: boolean;
  progress: boolean;
  processes?: number;
  unit?: string;
}

function stepsFlag(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map((p) => (/^\d+(\.\d+)?$/.test(p) ? Number(p) : Number.NaN));
  let problem = '';
  const steps = validateSteps(
    nums.map((n, i) => (Number.isNaN(n) ? parts[i] : n)),
    (m) => (problem = m),
  );
  if (!steps) throw new UsageError(`--steps: ${problem}`);
  return steps;
}

export function registerCanary(program: Command): void {
  program
    .command('canary')
    .description('staged rollout of the cache (e.g. 10 % → 50 % → 100 % of symbols) with rollback conditions per step; exit 0 promoted, 1 rolled back/halted')
    .requiredOption('--config <file>', 'operations config (see examples/prod.yaml)')
    .option('--steps <list>', 'traffic shares in whole percent, increasing, ending at 100 (default: canary.steps, 10,50,100)', stepsFlag)
    .option('--step-duration <d>', 'length of each step (default: canary.step_duration, 10m)', durationFlag('--step-duration'))
    .option('--out <dir>', 'output directory (default: reports/<run-id>/)')
    .option('--realtime', 'run on the real clock')
    .option('--json', 'print the canary results JSON to stdout')
    .option('--no-progress', 'no progress bar')
    .option('--processes <n>', "processes quoting the symbols (overrides prod.yaml's fleet.processes; with more than one the default unit is process)", intFlag('--processes', 1, MAX_PROCESSES))
    .option('--unit <unit>', "what a step's share is a share of: process or symbol (overrides canary.unit)")
    .addHelpText('after', '\nExamples:\n  $ mdcache canary --config examples/prod.yaml\n  $ mdcache canary --config prod.yaml --steps 5,25,50,100 --step-duration 15m')
    .action(async (f: CanaryFlags) => {
      const config = loadProdConfig(f.config);
      if (f.unit !== undefined) {
        if (!(CANARY_UNITS as readonly string[]).includes(f.unit)) throw new UsageError(`--unit: invalid value '${f.unit}', use ${CANARY_UNITS.join(' or ')}`);
        config.canary = { ...config.canary, unit: f.unit as CanaryUnit };
      }
      if (f.processes !== undefined) config.fleet = { processes: f.processes, shared: config.fleet?.shared };
      const steps = f.steps ?? config.canary.steps;
      const stepMs = f.stepDuration ?? config.canary.step_duration_ms;
      const total = steps.length * stepMs;
      checkCanaryLength(stepMs, steps.length, Math.min(config.canary.window_ms, stepMs / 5), Boolean(f.realtime || config.source.type === 'binance'));
      const label = config.source.type === 'binance' ? 'binance' : config.source.scenario;
      const id = runId(`canary-${label}`, config.source.type === 'binance' ? 0 : config.source.seed ?? 0);
      const outDir = f.out ?? join('reports', id);
      const removeIfEmpty = ensureOutputDir(outDir);
      const stop = stopOnSignals((sig) => process.stderr.write(`\n${sig}: stopping; writing the report of what ran...\n`));
      const host = new RealClock();
      const progress = progressBar('canary', total, () => host.now(), f.progress);
      if (f.realtime || config.source.type === 'binance') process.stderr.write(`mdcache canary: running ${steps.length} steps of ${formatDuration(stepMs)} on the real clock (Ctrl-C stops it and writes what ran)\n`);
      try {
        const c = await runCanary({
          config,
          steps,
          stepDurationMs: stepMs,
          realtime: f.realtime,
          signal: stop.signal,
          run: { id, command: `mdcache canary --config ${f.config} --steps ${steps.join(',')} --step-duration ${formatDuration(stepMs)}${f.processes !== undefined ? ` --processes ${f.processes}` : ''}${f.unit !== undefined ? ` --unit ${f.unit}` : ''}${f.realtime ? ' --realtime' : ''}`, version: VERSION, host: hostname() },
          onProgress: (t) => progress.update(t),
        }).catch((err: unknown) => {
          removeIfEmpty();
          throw err;
        });
        progress.done();
        for (const n of c.notices) process.stderr.write(`mdcache canary: note: ${n}\n`);
        const md = renderCanaryMarkdown(c);
        for (const [name, svg] of Object.entries(renderCanaryCharts(c))) writeFileAtomic(join(outDir, name), svg);
        writeFileAtomic(join(outDir, 'report.md'), md);
        // canary.json last: a folder with canary.json holds the complete set.
        writeFileAtomic(join(outDir, 'canary.json'), JSON.stringify(c, null, 2) + '\n');
        appendStepSummary(md);
        const out = f.json ? process.stderr : process.stdout;
        for (const s of c.steps) {
          out.write(
            `step ${s.index} ${String(s.share_pct).padStart(3)} %${s.canary_processes ? `  processes ${s.canary_processes.length}/${c.processes}` : ''}  hit ${(s.metrics.hit_ratio * 100).toFixed(1)} %  fetch_md p95 canary ${s.metrics.canary_fetch_md_p95} ms vs control ${s.metrics.control_fetch_md_p95} ms  → ${s.decision}\n`,
          );
        }
        out.write(`${c.outcome.toUpperCase().replace('_', ' ')}: ${c.reason}\nwrote ${join(outDir, 'report.md')} and canary.json\n`);
        if (f.json) process.stdout.write(JSON.stringify(c, null, 2) + '\n');
        // Only a promotion exits 0: rolled back, halted and interrupted runs exit 1 (an interrupted canary is halted).
        if (c.outcome !== 'promoted' || c.run.interrupted) throw new ExitCode(EXIT.gate, `mdcache: canary ${c.outcome.replace('_', ' ')}: ${c.reason}`);
      } finally {
        stop.dispose();
      }
    });
}
