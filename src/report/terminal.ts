/** Terminal output: cli-table3 tables, colour only when asked (pure: returns a string). */
import Table from 'cli-table3';
import { Chalk, type ChalkInstance } from 'chalk';
import type { GateResult, Results } from '../results/types.js';
import type { GateEvaluation } from '../gates/types.js';
import { evaluationFor } from './model.js';
import { armsTable, armsVerdictLine } from './arms.js';
import { PERCENTILE_ROWS, STATUS_MARK, isWarning, fmtCount, pathNames, pathResult, restBudget, fmtDelta, fmtInterval, fmtMs, fmtRatio, fmtThreshold, fmtUnit, gateUnit, scenarioName } from './format.js';

export interface TerminalOptions {
  color: boolean;
  /** The gate evaluation to show; `null` = gates were not evaluated (`--no-gate`): no gate table. */
  evaluation?: GateEvaluation | null;
  /** The command named in the heading (default `mdcache bench`). */
  command?: string;
}

/** No separator lines between body rows. */
export const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function chalkFor(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

function newTable(head: string[], c: ChalkInstance, colAligns?: ('left' | 'right' | 'center')[]): Table.Table {
  return new Table({ head: head.map((h) => c.bold(h)), style: { head: [], border: [] }, colAligns, chars: COMPACT });
}

function statusText(g: Pick<GateResult, 'status' | 'severity'>, c: ChalkInstance): string {
  const s = g.status;
  if (isWarning(g)) return c.yellow(`⚠ warn: ${s}`);
  const t = `${STATUS_MARK[s]} ${s}`;
  return s === 'pass' ? c.green(t) : s === 'fail' ? c.red(t) : c.yellow(t);
}

function verdictText(v: GateEvaluation['verdict'], c: ChalkInstance): string {
  const t = `verdict: ${v.toUpperCase()}`;
  return v === 'pass' ? c.bold.green(t) : v === 'fail' ? c.bold.red(t) : c.bold.yellow(t);
}

/** The gate table alone (used by `mdcache gate`): ✓/✗/? per gate, value, interval, threshold, note. */
export function renderGateTable(ev: GateEvaluation, opts: { color: boolean; notes?: boolean }): string {
  const c = chalkFor(opts.color);
  const t = newTable(['', 'gate', 'value', '95% interval', 'threshold'], c, ['left', 'left', 'right', 'right', 'right']);
  for (const g of ev.gates) {
    const u = gateUnit(g);
    t.push([statusText(g, c), g.severity === 'warn' ? `${g.name} (warn)` : g.name, fmtUnit(g.value, u), fmtInterval(g.ci, u), fmtThreshold(g)]);
  }
  const lines = [ev.gates.length ? t.toString() : '(no gates)'];
  if (opts.notes !== false) for (const g of ev.gates) if (g.note) lines.push(c.dim(`  ${isWarning(g) ? '⚠' : STATUS_MARK[g.status]} ${g.name}: ${g.note}`));
  const warnings = ev.gates.filter(isWarning);
  if (warnings.length > 0) lines.push(c.yellow(`⚠ ${warnings.length} warning(s) (warn gates do not change the verdict): ${warnings.map((g) => g.name).join('; ')}`));
  lines.push(verdictText(ev.verdict, c));
  return lines.join('\n') + '\n';
}

/** The full summary the bench prints: latency, deadline misses, cache behaviour, gates. */
export function renderTerminalSummary(results: Results, opts: TerminalOptions): string {
  const c = chalkFor(opts.color);
  const ev = opts.evaluation === null ? null : evaluationFor(results, opts.evaluation);
  const out: string[] = [];
  out.push(c.bold(`${opts.command ?? 'mdcache bench'}: ${scenarioName(results)} (seed ${results.seed})`));
  const lat = newTable(['latency (ms)', 'uncached', 'cached', 'Δ cached − uncached'], c, ['left', 'right', 'right', 'right']);
  const delta = (a: number, b: number, unit: 'ms' | 'ratio', better: 'lower' | 'higher'): string => {
    const s = fmtDelta(a, b, unit);
    const good = better === 'lower' ? b < a : b > a;
    return b === a ? s : good ? c.green(s) : c.red(s);
  };
  for (const [m, label] of [
    ['fetch_md_ms', 'fetch_md'],
    ['tick_total_ms', 'tick_total'],
  ] as const) {
    for (const [k, kl] of PERCENTILE_ROWS) {
      const u = results.paths.uncached[m][k];
      const v = results.paths.cached[m][k];
      lat.push([`${label} ${kl}`, fmtMs(u), fmtMs(v), delta(u, v, 'ms', 'lower')]);
    }
  }
  const du = results.paths.uncached.deadline_miss_ratio;
  const dc = results.paths.cached.deadline_miss_ratio;
  lat.push(['deadline miss', fmtRatio(du), fmtRatio(dc), delta(du, dc, 'ratio', 'lower')]);
  out.push(lat.toString());
  const cache = results.paths.cached.cache;
  if (cache) {
    const t = newTable(['cache', 'hit', 'fresh', 'stale', 'miss', 'refreshes', 'refresh failures'], c, ['left', 'right', 'right', 'right', 'right', 'right', 'right']);
    t.push(['ratio / count', fmtRatio(cache.hit_ratio), fmtRatio(cache.fresh_ratio), fmtRatio(cache.stale_ratio), fmtRatio(cache.miss_ratio), fmtCount(cache.refreshes), fmtCount(cache.refresh_failures)]);
    out.push(t.toString());
    const inv = Object.entries(cache.invalidations ?? {}).sort((a, b) => b[1] - a[1]);
    if (inv.length) out.push(`invalidations: ${inv.map(([k, v]) => `${k} ${fmtCount(v)}`).join(', ')}`);
  }
  const restPaths = pathNames(results).filter((p) => pathResult(results, p)?.rest);
  if (restPaths.length > 0) {
    const budget = restBudget(results);
    const t = newTable(['REST cost', 'requests', 'weight', 'weight/min mean', 'max window', 'of budget', 'throttled', 'saving'], c, ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right']);
    for (const p of restPaths) {
      const r = pathResult(results, p)!.rest!;
      const share = r.weight_per_min.max / budget;
      const shareText = fmtRatio(share);
      t.push([p, fmtCount(r.requests), fmtCount(r.weight), fmtCount(r.weight_per_min.mean), fmtCount(r.weight_per_min.max), share > 1 ? c.red(shareText) : share > 0.5 ? c.yellow(shareText) : shareText, r.throttled > 0 ? c.red(fmtCount(r.throttled)) : '0', r.saving === undefined ? '' : fmtRatio(r.saving)]);
    }
    out.push(t.toString());
    out.push(c.dim(`REST budget: ${fmtCount(budget)} weight per minute (rest.budget.weight_per_min)`));
  }
  const arms = armsTable(results);
  if (arms) {
    const t = newTable(arms.head, c, arms.head.map((_, i) => (i === 0 ? 'left' : 'right')));
    for (const r of arms.rows) t.push(r);
    out.push(c.bold(`arms (same workload; cached = ${results.arms![0]!.name})`), t.toString());
  }
  const l = results.scheduler_lateness_ms;
  if (l) {
    const atEnd = (n: number | undefined): string => fmtCount(n ?? 0);
    out.push(`scheduler lateness (ms): p50 ${fmtMs(l.p50)}, p99 ${fmtMs(l.p99)}, max ${fmtMs(l.max)}; dropped at end: uncached ${atEnd(results.paths.uncached.dropped_at_end)}, cached ${atEnd(results.paths.cached.dropped_at_end)}`);
  }
  out.push(ev ? renderGateTable(ev, { color: opts.color, notes: false }).trimEnd() : c.dim('gates: not evaluated (--no-gate)'));
  const line = ev ? armsVerdictLine(results) : undefined;
  if (line) out.push(line);
  return out.join('\n') + '\n';
}
