/** The one IO helper of the report: writes report.md and its SVG charts atomically. */
import { basename, dirname, join, resolve } from 'node:path';
import type { Results } from '../results/types.js';
import type { GateEvaluation } from '../gates/types.js';
import { writeFileAtomic } from '../io/atomic.js';
import { renderCharts } from './charts.js';
import { renderMarkdownReport } from './markdown.js';
import { evaluationFor } from './model.js';
import { renderShadowSections } from './shadow.js';

export interface WriteReportOptions {
  /** `null` = gates were not evaluated (`--no-gate`). */
  evaluation?: GateEvaluation | null;
  /** Report file name inside outDir (default `report.md`). */
  reportName?: string;
  title?: string;
  extraSections?: readonly string[];
  /** Extra SVG charts (file name → SVG) written beside the report. */
  extraCharts?: Record<string, string>;
}

export interface WrittenReport {
  /** Absolute path of report.md. */
  report: string;
  /** Absolute paths of the SVG charts. */
  charts: string[];
}

/** Writes `<outDir>/report.md` and the SVG charts beside it (each file atomically). */
export function writeReport(outDir: string, results: Results, opts: WriteReportOptions = {}): WrittenReport {
  const dir = resolve(outDir);
  const evaluation = opts.evaluation === null ? null : evaluationFor(results, opts.evaluation);
  const charts: string[] = [];
  for (const [name, svg] of Object.entries({ ...renderCharts(results, { evaluation: evaluation ?? undefined }), ...(opts.extraCharts ?? {}) })) {
    const f = join(dir, name);
    writeFileAtomic(f, svg);
    charts.push(f);
  }
  const report = join(dir, opts.reportName ?? 'report.md');
  // A shadow run's divergence sections are part of its report however it is rendered (shadow, merge, report).
  const extraSections = opts.extraSections ?? (results.shadow ? [renderShadowSections(results.shadow)] : undefined);
  writeFileAtomic(report, renderMarkdownReport(results, { evaluation, chartPrefix: './', title: opts.title, extraSections }));
  return { report, charts };
}

/** writeReport for a report file path (`--out FILE`): charts go in the file's directory. */
export function writeReportFile(file: string, results: Results, opts: Omit<WriteReportOptions, 'reportName'> = {}): WrittenReport {
  return writeReport(dirname(resolve(file)), results, { ...opts, reportName: basename(file) });
}
