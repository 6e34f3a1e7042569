/** `mdcache compare A.json B.json [--out FILE]`: side-by-side table with significance (benchstat style). */
import type { Command } from 'commander';
import { loadResults } from '../../report/results-file.js';
import { compareResults } from '../../gates/compare.js';
import { renderCompareMarkdown, renderCompareTerminal } from '../../report/compare.js';
import { appendStepSummary } from '../../report/github.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { UsageError } from '../../core/errors.js';
import { useColor } from './report.js';

function alphaFlag(v: string): number {
  const n = Number(v);
  if (!/^\d*\.?\d+$/.test(v.trim()) || !(n > 0 && n < 1)) throw new UsageError(`--alpha: invalid value '${v}', expected a number in (0, 1), e.g. 0.05`);
  return n;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .argument('<a>', 'baseline results.json (A)')
    .argument('<b>', 'candidate results.json (B)')
    .option('--out <file>', 'Markdown file to write', 'compare.md')
    .option('--alpha <p>', 'significance level of the Mann-Whitney U test', alphaFlag, 0.05)
    .description('compare two runs: per path p50/p95/p99 of fetch_md and tick_total, hit ratio, deadline miss; ~ when not significant')
    .addHelpText('after', '\nExample:\n  $ mdcache compare reports/main/results.json reports/pr-42/results.json --out compare.md')
    .action((a: string, b: string, opts: { out: string; alpha: number }) => {
      const ra = loadResults(a);
      const rb = loadResults(b);
      const cmp = compareResults(ra, rb, { alpha: opts.alpha });
      const names = { a, b };
      const md = renderCompareMarkdown(cmp, names);
      writeFileAtomic(opts.out, md);
      appendStepSummary(md);
      process.stdout.write(renderCompareTerminal(cmp, names, { color: useColor() }));
      process.stderr.write(`wrote ${opts.out}\n`);
    });
}
