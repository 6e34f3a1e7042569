/** report.md: readable on GitHub as is (pure). */
import type { GateResult, Percentiles, Results } from '../results/types.js';
import type { GateEvaluation } from '../gates/types.js';
import { CHART_FILES } from './charts.js';
import { evaluationFor } from './model.js';
import { armsTable, armsVerdictLine } from './arms.js';
import { keepUnitsTogether, PERCENTILE_ROWS, STATUS_ICON, gateIcon, isWarning, statusLabel, VERDICT_TEXT, fmtCount, pathNames, pathResult, restBudget, restRateLimit, fmtDelta, fmtInterval, fmtMs, fmtRatio, fmtThreshold, fmtUnit, gateUnit, mdCell, scenarioName } from './format.js';
import { formatDuration } from '../core/duration.js';
import { renderFleetSection } from './fleet.js';

export interface MarkdownOptions {
  /** The gate evaluation to show (default: see evaluationFor); `null` = not evaluated (`--no-gate`). */
  evaluation?: GateEvaluation | null;
  /** Prefix of chart links, e.g. `./` or `charts/` (default `./`). Pass `null` to omit the charts section. */
  chartPrefix?: string | null;
  /** Title after '# ' (default `mdcache bench: <scenario>`). */
  title?: string;
  /** Extra Markdown sections (e.g. shadow divergence), placed after the cache section. */
  extraSections?: readonly string[];
}

const PCTS = PERCENTILE_ROWS;

function table(head: string[], rows: string[][], align?: string[]): string {
  const a = align ?? head.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [`| ${head.join(' | ')} |`, `| ${a.join(' | ')} |`, ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n');
}

export function renderGatesTable(gates: readonly GateResult[]): string {
  if (gates.length === 0) return '_No gates configured._';
  return table(
    ['', 'Gate', 'Value', '95% interval', 'Threshold', 'Status', 'Note'],
    gates.map((g) => {
      const u = gateUnit(g);
      return [gateIcon(g), `${g.name}${g.severity === 'warn' ? ' _(warn)_' : ''}<br><sub>\`${g.metric}\`</sub>`, fmtUnit(g.value, u), fmtInterval(g.ci, u), fmtThreshold(g), statusLabel(g), g.note ?? ''];
    }),
    [':-:', ':--', '--:', '--:', '--:', ':--', ':--'],
  );
}

export function verdictLine(ev: GateEvaluation): string {
  const errors = ev.gates.filter((g) => g.severity !== 'warn');
  const n = (s: GateResult['status']): number => errors.filter((g) => g.status === s).length;
  const warns = ev.gates.filter((g) => g.severity === 'warn');
  const w = warns.length > 0 ? `; ${warns.length} warn gate(s): ${warns.filter(isWarning).length} ⚠️ warning(s)` : '';
  return `${errors.length} gate(s): ${n('pass')} passed, ${n('fail')} failed, ${n('inconclusive')} inconclusive${w}`;
}

export function renderLatencyTable(results: Results): string {
  const rows: string[][] = [];
  for (const [m, label] of [
    ['fetch_md_ms', 'fetch_md'],
    ['tick_total_ms', 'tick_total'],
  ] as const) {
    for (const [k, kl] of PCTS) {
      const u = results.paths.uncached[m][k];
      const c = results.paths.cached[m][k];
      rows.push([`${label} ${kl}`, fmtMs(u), fmtMs(c), fmtDelta(u, c, 'ms')]);
    }
  }
  const du = results.paths.uncached.deadline_miss_ratio;
  const dc = results.paths.cached.deadline_miss_ratio;
  rows.push(['deadline miss', fmtRatio(du), fmtRatio(dc), fmtDelta(du, dc, 'ratio')]);
  rows.push(['ticks', fmtCount(results.paths.uncached.ticks), fmtCount(results.paths.cached.ticks), '']);
  rows.push(['fetch errors', fmtCount(results.paths.uncached.fetch_errors ?? 0), fmtCount(results.paths.cached.fetch_errors ?? 0), '']);
  return table(['Metric (ms unless shown)', 'Uncached', 'Cached', 'Change (cached − uncached)'], rows);
}

function pctRow(label: string, p: Percentiles | undefined, f: (v: number) => string): string[] {
  if (!p) return [label, ...PCTS.map(() => 'n/a')];
  return [label, ...PCTS.map(([k]) => f(p[k]))];
}

export function renderCacheSection(results: Results): string {
  const c = results.paths.cached.cache;
  if (!c) return '_This run has no cache results._';
  const out: string[] = [];
  out.push(
    table(
      ['Hit ratio', 'Fresh', 'Stale', 'Miss', 'Gets', 'Refreshes', 'Refresh failures', 'Evictions'],
      [[fmtRatio(c.hit_ratio), fmtRatio(c.fresh_ratio), fmtRatio(c.stale_ratio), fmtRatio(c.miss_ratio), fmtCount(c.gets), fmtCount(c.refreshes), fmtCount(c.refresh_failures), fmtCount(c.evictions)]],
      Array(8).fill('--:'),
    ),
  );
  out.push('', '**Invalidations by reason**', '');
  const inv = Object.entries(c.invalidations ?? {}).sort((a, b) => b[1] - a[1]);
  const total = inv.reduce((s, [, v]) => s + v, 0);
  out.push(inv.length === 0 ? '_None._' : table(['Reason', 'Count', 'Share'], [...inv.map(([k, v]) => [`\`${k}\``, fmtCount(v), total ? fmtRatio(v / total) : '']), ['**total**', `**${fmtCount(total)}**`, '']]));
  out.push('', '**Distributions**', '');
  out.push(
    table(
      ['', ...PCTS.map(([, l]) => l)],
      [pctRow('staleness (ms): age of the book served', c.staleness_ms, fmtMs), pctRow('top-of-book error (exchange ticks)', c.tob_error_ticks, (v) => (Number.isInteger(v) ? String(v) : fmtMs(v))), pctRow('refresh latency (ms)', c.refresh_latency_ms, fmtMs)],
    ),
  );
  return out.join('\n');
}

/** The REST cost section: requests, weight and throttled responses per path, per-minute rates, the budget. */
export function renderRestSection(results: Results, chartPrefix: string | null = './'): string {
  const paths = pathNames(results).filter((p) => pathResult(results, p)?.rest);
  if (paths.length === 0) return '_This run has no REST cost results._';
  const budget = restBudget(results);
  const limit = restRateLimit(results);
  const rows = paths.map((p) => {
    const r = pathResult(results, p)!.rest!;
    const w = r.weight_per_min;
    return [
      p,
      fmtCount(r.requests),
      fmtCount(r.weight),
      fmtCount(r.requests_per_min.mean),
      fmtCount(w.mean),
      fmtCount(w.p50),
      fmtCount(w.max),
      fmtRatio(w.max / budget),
      fmtCount(r.throttled),
      r.saving === undefined ? '' : fmtRatio(r.saving),
    ];
  });
  const out: string[] = [];
  out.push(
    table(['Path', 'Requests', 'Weight', 'Requests / min', 'Weight / min (mean)', 'Weight / min p50', 'Weight / min (max window)', 'Max window / budget', 'Throttled (429/418)', 'Saving vs uncached'], rows),
  );
  const worst = Math.max(...paths.map((p) => pathResult(results, p)!.rest!.weight_per_min.max));
  out.push(
    '',
    `Budget: **${fmtCount(budget)} weight per minute** (\`rest.budget.weight_per_min\`; Binance spot allows 6,000 per minute per IP). ` +
      `The busiest window used ${fmtRatio(worst / budget)} of it${worst > budget ? ' — **over budget**: a venue enforcing it would answer 429 and then ban (418)' : ''}. ` +
      (limit !== undefined ? enforcedSentence(results, paths, limit) : 'No limit was enforced in this run (`rest.rate_limit` unset): the figures are what the venue would have charged.'),
  );
  if (chartPrefix !== null) out.push('', `![REST weight per minute per window](${chartPrefix}${CHART_FILES.restWeightWindows})`);
  return out.join('\n');
}

/** What an enforced `rest.rate_limit` did to each path: 429s, 418s and calls the client held back. */
function enforcedSentence(results: Results, paths: readonly string[], limit: number): string {
  const per = paths.map((p) => {
    const r = pathResult(results, p)!.rest!;
    const parts = [`${fmtCount(r.rate_limited ?? r.throttled)} × 429`];
    if (r.banned !== undefined) parts.push(`${fmtCount(r.banned)} × 418`);
    if (r.refused !== undefined) parts.push(`${fmtCount(r.refused)} calls refused by the client during a Retry-After`);
    return `${p}: ${parts.join(', ')}`;
  });
  const windowMs = results.windows?.window_ms;
  const short = typeof windowMs === 'number' && windowMs < 60_000 ? ` Windows here are ${fmtCount(windowMs / 1000)} s, so a window's rate per minute can exceed the limit although no rolling minute did.` : '';
  return (
    `The endpoint enforced a limit of ${fmtCount(limit)} weight per rolling minute (\`rest.rate_limit\`; each path is its own client): ` +
    `a request over it was answered 429 with Retry-After, one sent during that Retry-After 418 (banned 2 min, doubling per repeat). ${per.join('; ')}.${short}`
  );
}

export function renderReproduce(results: Results): string {
  const r = results.run;
  const out = [
    table(
      ['', ''],
      [
        ['Scenario', `\`${scenarioName(results)}\``],
        ['Seed', `\`${results.seed}\``],
        ['Duration', formatDuration(results.duration_ms)],
        ['Windows', `${results.windows?.cached?.length ?? 0} × ${formatDuration(results.windows?.window_ms ?? 60_000)}`],
        ['Clock', r.clock],
        ['Run', `\`${r.id}\` started ${r.started_at} on ${r.host}, mdcache ${r.version}, ${fmtCount(Math.round(r.wall_ms))} ms wall`],
      ],
      [':--', ':--'],
    ),
    '',
    '```sh',
    r.command,
    '```',
  ];
  return out.join('\n');
}

/** Real-clock runs: how late the scheduler started ticks, and ticks dropped at the end; '' for virtual runs. */
export function renderSchedulingSection(results: Results): string {
  const l = results.scheduler_lateness_ms;
  if (!l) return '';
  const { uncached, cached } = results.paths;
  const lines = [
    `Ticks start at their scheduled time on the real clock (catch-up scheduler: every due arrival starts when its timer fires). Lateness = start − scheduled time over ${fmtCount(l.count)} arrivals:`,
    '',
    `| p50 | p90 | p99 | p99.9 | max | mean |`,
    `| --: | --: | --: | --: | --: | --: |`,
    `| ${fmtMs(l.p50)} ms | ${fmtMs(l.p90)} ms | ${fmtMs(l.p99)} ms | ${fmtMs(l.p999)} ms | ${fmtMs(l.max)} ms | ${fmtMs(l.mean)} ms |`,
  ];
  if (uncached.dropped_at_end !== undefined || cached.dropped_at_end !== undefined) {
    lines.push('', `Ticks still queued when the run ended (dropped at end, not run): uncached ${fmtCount(uncached.dropped_at_end ?? 0)}, cached ${fmtCount(cached.dropped_at_end ?? 0)}.`);
  }
  return lines.join('\n');
}

export function renderMarkdownReport(results: Results, opts: MarkdownOptions = {}): string {
  const ev = opts.evaluation === null ? null : evaluationFor(results, opts.evaluation);
  const prefix = opts.chartPrefix === undefined ? './' : opts.chartPrefix;
  const desc = typeof results.scenario?.description === 'string' ? results.scenario.description : '';
  const out: string[] = [];
  out.push(`# ${opts.title ?? `mdcache bench: ${scenarioName(results)}`}`, '');
  if (results.run.interrupted) out.push(`> ⏹️ **Interrupted** after ${formatDuration(results.duration_ms)} of ${results.run.clock === 'real' ? 'real' : 'simulated'} time; the figures cover what ran.`, '');
  if (ev) {
    out.push(`## ${VERDICT_TEXT[ev.verdict]}`, '');
    out.push(`> **Verdict: ${ev.verdict}** — ${verdictLine(ev)}. Uncached and cached paths ran the same workload (seed ${results.seed}${desc ? `, ${desc}` : ''}).`);
    out.push(`> A gate passes only when its whole 95% interval clears the threshold, fails when the whole interval misses it, and is inconclusive otherwise.`, '');
    const armsLine = armsVerdictLine(results);
    if (armsLine) out.push(`> **Arms:** ${armsLine}.`, '');
    out.push('## Gates', '', renderGatesTable(ev.gates), '');
  } else {
    out.push('> Gates were not evaluated (`--no-gate`). Uncached and cached paths ran the same workload' + ` (seed ${results.seed}${desc ? `, ${desc}` : ''}).`, '');
  }
  const arms = armsTable(results, (v) => VERDICT_TEXT[v]);
  if (arms) out.push(`## Arms: every cached path on the same workload`, '', `\`cached\` below is the first arm, \`${results.arms![0]!.name}\`.`, '', table(arms.head, arms.rows), '');
  out.push('## Latency: uncached vs cached', '', renderLatencyTable(results), '');
  out.push('## Cache behaviour', '', renderCacheSection(results), '');
  out.push('## REST cost', '', renderRestSection(results, prefix), '');
  const fleet = renderFleetSection(results);
  if (fleet) out.push('## Fleet: REST weight with and without the shared tier', '', fleet, '');
  const scheduling = renderSchedulingSection(results);
  if (scheduling) out.push('## Real-time scheduling', '', scheduling, '');
  for (const section of opts.extraSections ?? []) out.push(section, '');
  if (prefix !== null) {
    out.push('## Charts', '');
    out.push(`![fetch_md latency by percentile](${prefix}${CHART_FILES.fetchSpectrum})`, '');
    out.push(`![tick_total latency by percentile](${prefix}${CHART_FILES.tickSpectrum})`, '');
    out.push(`![fetch_md p95 per window](${prefix}${CHART_FILES.fetchP95Windows})`, '');
    out.push(`![cache hit ratio per window](${prefix}${CHART_FILES.hitRatioWindows})`, '');
  }
  out.push('## Reproduce', '', renderReproduce(results), '');
  return keepUnitsTogether(out.join('\n'));
}

/** A shorter summary for `$GITHUB_STEP_SUMMARY`: verdict, gates, latency table, reproduce command. */
export function renderStepSummary(results: Results, evaluation?: GateEvaluation): string {
  const ev = evaluationFor(results, evaluation);
  return keepUnitsTogether([
    `### mdcache gates: ${scenarioName(results)} — ${VERDICT_TEXT[ev.verdict]}`,
    '',
    verdictLine(ev) + '.',
    '',
    renderGatesTable(ev.gates),
    '',
    '<details><summary>Latency: uncached vs cached</summary>',
    '',
    renderLatencyTable(results),
    '',
    '</details>',
    '',
    `Reproduce: \`${results.run.command}\``,
    '',
  ].join('\n'));
}
