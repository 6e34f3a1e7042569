/** Writes a run's files (results.json, .hlog, report.md + charts, JUnit, GitHub summary) and prints its summary. */
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Results } from '../results/types.js';
import { renderTerminalSummary } from '../report/terminal.js';
import { renderJUnit } from '../report/junit.js';
import { renderStepSummary } from '../report/markdown.js';
import { appendStepSummary } from '../report/github.js';
import { writeReport, type WriteReportOptions } from '../report/write.js';
import { EXIT, ExitCode } from './exit.js';
import { useColor } from './commands/report.js';

export interface RunOutputOptions {
  outDir: string;
  json?: boolean;
  junit?: string;
  report?: Omit<WriteReportOptions, 'evaluation' | 'reportName'>;
  /** The command named in the terminal heading (default `mdcache bench`). */
  command?: string;
  /** Extra terminal lines after the summary table. */
  extraSummary?: string;
}

/**
 * Each file is written atomically, and results.json is written LAST: a folder with results.json holds the
 * complete set (.hlog files, report.md, charts, JUnit); one without it is an incomplete run.
 */
export function writeRunOutput(results: Results, hlogs: Record<string, string>, o: RunOutputOptions): void {
  for (const [name, text] of Object.entries(hlogs)) writeFileAtomic(join(o.outDir, name), text);
  const ev = results.gates && results.verdict ? { gates: results.gates, verdict: results.verdict } : undefined;
  const written = writeReport(o.outDir, results, { ...o.report, evaluation: ev ?? null });
  if (o.junit && ev) writeFileAtomic(o.junit, renderJUnit(results, ev));
  writeFileAtomic(join(o.outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  if (ev) appendStepSummary(renderStepSummary(results, ev));
  const out = o.json ? process.stderr : process.stdout;
  out.write(renderTerminalSummary(results, { color: useColor(out), evaluation: ev ?? null, command: o.command }));
  if (o.extraSummary) out.write(o.extraSummary);
  // Paths as the user gave them (--out relative stays relative).
  out.write(`\nwrote ${join(o.outDir, 'results.json')}, ${join(o.outDir, basename(written.report))} (+${written.charts.length} charts, ${Object.keys(hlogs).length} .hlog files) in ${(results.run.wall_ms / 1000).toFixed(1)} s\n`);
  if (o.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}

/** Exit 1 with the failing gates named when the verdict is not pass. */
export function exitOnVerdict(results: Results): void {
  if (!results.verdict || results.verdict === 'pass' || !results.gates) return;
  const failing = results.gates.filter((g) => g.status !== 'pass' && g.severity !== 'warn').map((g) => `${g.name} (${g.status})`);
  throw new ExitCode(EXIT.gate, `mdcache: verdict ${results.verdict}: ${failing.join(', ')}`);
}
