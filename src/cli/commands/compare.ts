/**
 * `mdcache compare A.json B.json [--out FILE] [--gate [--max-regression-pct 5] [--junit FILE]]`: side-by-side
 * table with significance (benchstat style); with --gate, exit 1 when B is significantly worse than A.
 */
import type { Command } from 'commander';
import { loadResults } from '../../report/results-file.js';
import { compareResults, gateComparison } from '../../gates/compare.js';
import { renderCompareGateVerdict, renderCompareJUnit, renderCompareMarkdown, renderCompareTerminal } from '../../report/compare.js';
import { EXIT, ExitCode } from '../exit.js';
import { appendStepSummary } from '../../report/github.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { UsageError } from '../../core/errors.js';
import { useColor } from './report.js';

function alphaFlag(v: string): number {
  const n = Number(v);
  if (!/^\d*\.?\d+$/.test(v.trim()) || !(n > 0 && n < 1)) throw new UsageError(`--alpha: invalid value '${v}', expected a number in (0, 1), e.g. 0.05`);
  return n;
}

function pctFlag(v: string): number {
  const n = Number(v);
  if (!/^\d*\.?\d+$/.test(v.trim()) || !(n >= 0 && Number.isFinite(n))) throw new UsageError(`--max-regression-pct: invalid value '${v}', expected a non-negative number (percent of A), e.g. 5`);
  return n;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .argument('<a>', 'baseline results.json (A)')
    .argument('<b>', 'candidate results.json (B)')
    .option('--out <file>', 'Markdown file to write', 'compare.md')
    .option('--alpha <p>', 'significance level of the Mann-Whitney U test', alphaFlag, 0.05)
    .option('--gate', 'exit 1 when B is significantly worse than A on any row by more than --max-regression-pct')
    .option('--max-regression-pct <pct>', 'with --gate: allowed significant worsening, in % of A', pctFlag, 5)
    .option('--junit <file>', 'with --gate: also write JUnit XML, one testcase per row')
    .description('compare two runs: per path p50/p95/p99 of fetch_md and tick_total, hit ratio, deadline miss; ~ when not significant')
    .addHelpText('after', '\nExamples:\n  $ mdcache compare reports/main/results.json reports/pr-42/results.json --out compare.md\n  $ mdcache compare base/results.json head/results.json --gate --max-regression-pct 5 --junit compare.xml')
    .action((a: string, b: string, opts: { out: string; alpha: number; gate?: boolean; maxRegressionPct: number; junit?: string }) => {
      if (opts.junit && !opts.gate) throw new UsageError('--junit: only with --gate (compare has no verdict without it)');
      const ra = loadResults(a);
      const rb = loadResults(b);
      const cmp = compareResults(ra, rb, { alpha: opts.alpha });
      const gate = opts.gate ? gateComparison(cmp, { maxRegressionPct: opts.maxRegressionPct }) : undefined;
      const names = { a, b };
      const md = renderCompareMarkdown(cmp, names, gate);
      writeFileAtomic(opts.out, md);
      if (gate && opts.junit) writeFileAtomic(opts.junit, renderCompareJUnit(gate, names));
      appendStepSummary(md);
      process.stdout.write(renderCompareTerminal(cmp, names, { color: useColor() }));
      if (gate) process.stdout.write(renderCompareGateVerdict(gate, { color: useColor() }));
      process.stderr.write(`wrote ${opts.out}${gate && opts.junit ? ` and ${opts.junit}` : ''}\n`);
      if (gate?.verdict === 'fail') throw new ExitCode(EXIT.gate);
    });
}
