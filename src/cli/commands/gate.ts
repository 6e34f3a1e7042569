/**
 * `mdcache gate RESULTS.json [--gates FILE] [--junit FILE]`: re-evaluates a saved run's gates.
 * Exit 0 pass, 1 fail or inconclusive, 2 bad input. Also registers `report` and `compare`.
 */
import type { Command } from 'commander';
import { loadResults } from '../../report/results-file.js';
import { armNames } from '../../results/types.js';
import { evaluateGates } from '../../gates/evaluate.js';
import { gatesFromScenario, loadGatesFile } from '../../gates/spec.js';
import { renderGateTable } from '../../report/terminal.js';
import { renderJUnit } from '../../report/junit.js';
import { renderStepSummary } from '../../report/markdown.js';
import { appendStepSummary } from '../../report/github.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { intFlag } from '../options.js';
import { formatDuration } from '../../core/duration.js';
import { EXIT, ExitCode } from '../exit.js';
import { registerReport, useColor } from './report.js';
import { registerCompare } from './compare.js';

export function registerGate(program: Command): void {
  program
    .command('gate')
    .argument('<results>', 'results.json written by mdcache bench')
    .option('--gates <file>', "YAML file with a gates: list (default: the run's scenario gates, else the defaults)")
    .option('--junit <file>', 'also write JUnit XML, one testcase per gate')
    .option('--json', 'print the evaluation as JSON instead of a table')
    .option('--min-windows <n>', 'fewer windows than this make a gate inconclusive', intFlag('--min-windows', 2, 100_000), 5)
    .description('re-evaluate the gates of a saved run; exit 0 pass, 1 fail or inconclusive, 2 bad input')
    .addHelpText('after', '\nExamples:\n  $ mdcache gate reports/steady/results.json\n  $ mdcache gate results.json --gates ci/gates.yaml --junit gates.xml')
    .action((file: string, opts: { gates?: string; junit?: string; json?: boolean; minWindows: number }) => {
      const results = loadResults(file);
      const gates = opts.gates ? loadGatesFile(opts.gates, armNames(results)) : gatesFromScenario(results.scenario, `scenario gates in ${file}`, armNames(results));
      const ev = evaluateGates(results, gates, { minWindows: opts.minWindows });
      if (opts.junit) writeFileAtomic(opts.junit, renderJUnit(results, ev));
      appendStepSummary(renderStepSummary(results, ev));
      process.stdout.write(opts.json ? JSON.stringify(ev, null, 2) + '\n' : renderGateTable(ev, { color: useColor() }));
      if (ev.verdict !== 'pass') throw new ExitCode(EXIT.gate);
      // An interrupted run never passes: its figures cover only part of the planned run.
      if (results.run.interrupted) throw new ExitCode(EXIT.gate, `mdcache: ${file} is an interrupted run (${formatDuration(results.duration_ms)} ran); its gates pass but an interrupted run is never a pass`);
    });
}

/** Registers gate, report and compare. */
export function registerGateCommands(program: Command): void {
  registerGate(program);
  registerReport(program);
  registerCompare(program);
}
