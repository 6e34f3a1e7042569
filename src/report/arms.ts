/** The side-by-side arms table (uncached and every arm of a multi-arm run) for the terminal and report.md (pure). */
import type { PathResult, Results, Verdict } from '../results/types.js';
import { fmtCount, fmtMs, fmtRatio } from './format.js';

export interface ArmsTable {
  head: string[];
  rows: string[][];
}

type Cell = (p: PathResult) => string;

const cache = (f: (c: NonNullable<PathResult['cache']>) => string): Cell => (p) => (p.cache ? f(p.cache) : '—');
const ticks = (v: number): string => (Number.isInteger(v) ? String(v) : fmtMs(v));

const ROWS: [string, Cell][] = [
  ['fetch_md p50 (ms)', (p) => fmtMs(p.fetch_md_ms.p50)],
  ['fetch_md p95 (ms)', (p) => fmtMs(p.fetch_md_ms.p95)],
  ['fetch_md p99 (ms)', (p) => fmtMs(p.fetch_md_ms.p99)],
  ['tick_total p95 (ms)', (p) => fmtMs(p.tick_total_ms.p95)],
  ['tick_total p99 (ms)', (p) => fmtMs(p.tick_total_ms.p99)],
  ['deadline miss', (p) => fmtRatio(p.deadline_miss_ratio)],
  ['hit ratio', cache((c) => fmtRatio(c.hit_ratio))],
  ['fresh ratio', cache((c) => fmtRatio(c.fresh_ratio))],
  ['staleness p50 (ms)', cache((c) => fmtMs(c.staleness_ms.p50))],
  ['staleness p99 (ms)', cache((c) => fmtMs(c.staleness_ms.p99))],
  ['top-of-book error p50 (ticks)', cache((c) => ticks(c.tob_error_ticks.p50))],
  ['top-of-book error p99 (ticks)', cache((c) => ticks(c.tob_error_ticks.p99))],
  ['refreshes', cache((c) => fmtCount(c.refreshes))],
];

/** The arms of a multi-arm run side by side; undefined for a plain uncached vs cached run. */
export function armsTable(results: Results, verdictText: (v: Verdict) => string = (v) => v): ArmsTable | undefined {
  const arms = results.arms;
  if (!arms || arms.length === 0) return undefined;
  const paths = arms.map((a) => results.paths[a.name]).filter((p): p is PathResult => p !== undefined);
  if (paths.length !== arms.length) return undefined;
  const head = ['metric', 'uncached', ...arms.map((a) => a.name)];
  const rows = ROWS.map(([label, cell]) => [label, ROWS_UNCACHED.has(label) ? cell(results.paths.uncached) : '—', ...paths.map(cell)]);
  if (arms.some((a) => a.verdict)) rows.push(['verdict', '', ...arms.map((a) => (a.verdict ? verdictText(a.verdict) : '—'))]);
  return { head, rows };
}

const ROWS_UNCACHED = new Set(ROWS.slice(0, 6).map(([l]) => l));

/** `passing: a, b; failing: c` for a multi-arm run's verdict line (undefined without arm verdicts). */
export function armsVerdictLine(results: Results): string | undefined {
  const arms = results.arms?.filter((a) => a.verdict);
  if (!arms || arms.length === 0) return undefined;
  const by = (v: Verdict): string[] => arms.filter((a) => a.verdict === v).map((a) => a.name);
  const parts: string[] = [];
  if (by('pass').length) parts.push(`arms passing: ${by('pass').join(', ')}`);
  if (by('fail').length) parts.push(`failing: ${by('fail').join(', ')}`);
  if (by('inconclusive').length) parts.push(`inconclusive: ${by('inconclusive').join(', ')}`);
  return parts.join('; ');
}
