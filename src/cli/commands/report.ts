/** `mdcache report RESULTS.json [--out FILE] [--gates FILE]`: re-renders report.md and its SVG charts. */
import type { Command } from 'commander';
import { dirname, join } from 'node:path';
import { loadResults } from '../../report/results-file.js';
import { armNames } from '../../results/types.js';
import { writeReportFile } from '../../report/write.js';
import { evaluationFor } from '../../report/model.js';
import { evaluateGates } from '../../gates/evaluate.js';
import { loadGatesFile } from '../../gates/spec.js';

/** Colour on a TTY unless NO_COLOR (or --no-color, which sets it) is given. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('<results>', 'results.json written by mdcache bench')
    .option('--out <file>', 'report file to write (default: report.md beside results.json); SVG charts go beside it')
    .option('--gates <file>', 'YAML file with a gates: list to re-evaluate (default: the gates stored in the results)')
    .description('re-render report.md and its SVG charts from a saved run')
    .addHelpText('after', '\nExamples:\n  $ mdcache report reports/steady/results.json\n  $ mdcache report results.json --out /tmp/review/report.md --gates ci/gates.yaml')
    .action((file: string, opts: { out?: string; gates?: string }) => {
      const results = loadResults(file);
      const evaluation = opts.gates ? evaluateGates(results, loadGatesFile(opts.gates, armNames(results))) : evaluationFor(results);
      const written = writeReportFile(opts.out ?? join(dirname(file), 'report.md'), results, { evaluation });
      process.stdout.write([written.report, ...written.charts].join('\n') + '\n');
    });
}
