/**
 * Prometheus alerting rules generated from the gates and the canary rollback conditions (pure; returns the
 * YAML text of a rules file, as `promtool check rules` reads it).
 *
 * A gate states what must hold (`hit_ratio >= 0.7`), so its alert fires when the opposite holds for `for`
 * (severity `warning`). A rollback condition states what must *not* happen (`hit_ratio < 0.5`), so its alert
 * fires when the condition itself holds (severity `critical`: roll the cache back). Gates on metrics a live
 * process does not expose (tick_total, deadline misses, top-of-book error) are listed as skipped.
 *
 * A third group watches the REST weight against the venue's budget (`mm_md_rest_*`): the weight this process
 * sends per minute, and the used weight the venue reports (`X-MBX-USED-WEIGHT-1M`), each above a share of
 * `rest.budget.weight_per_min` (default 80 %) for `for` (severity `warning`: 429s and 418 bans come next).
 */
import type { GateSpec, Op } from '../gates/types.js';
import { gateName } from '../gates/spec.js';
import { M, gateExpr, restWeightPerMinExpr } from './promql.js';

export interface AlertOptions {
  /** How long the condition must hold before the alert fires (Prometheus duration, default 5m). */
  forDuration?: string;
  /** Range of the rate() windows (default 5m). */
  range?: string;
  /** Share of the REST weight budget above which the REST alerts fire (default 0.8). */
  restBudgetShare?: number;
}

export interface AlertRulesOutput {
  yaml: string;
  rules: { alert: string; expr: string; severity: 'warning' | 'critical'; source: string }[];
  /** Gates that cannot be watched live, with the reason. */
  skipped: { gate: string; reason: string }[];
}

const NEGATE: Record<Op, Op> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==' };

function alertName(prefix: string, name: string, used: Set<string>): string {
  const words = name
    .replace(/%/g, ' pct ')
    .replace(/>=/g, ' ge ').replace(/<=/g, ' le ').replace(/>/g, ' gt ').replace(/</g, ' lt ').replace(/!=/g, ' ne ').replace(/==/g, ' eq ')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  let n = `${prefix}${words.join('')}`;
  for (let i = 2; used.has(n); i++) n = `${prefix}${words.join('')}${i}`;
  used.add(n);
  return n;
}

const q = (s: string): string => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar

export function alertRules(gates: readonly GateSpec[], rollback: readonly GateSpec[], opts: AlertOptions = {}): AlertRulesOutput {
  const forDuration = opts.forDuration ?? '5m';
  const range = opts.range ?? '5m';
  const used = new Set<string>();
  const rules: AlertRulesOutput['rules'] = [];
  const skipped: AlertRulesOutput['skipped'] = [];
  const groups: { name: string; lines: string[] }[] = [];
  for (const [group, list, kind] of [['mdcache-gates', gates, 'gate'], ['mdcache-rollback', rollback, 'rollback']] as const) {
    const lines: string[] = [];
    for (const g of list) {
      const name = gateName(g);
      const value = gateExpr(g, range);
      if (!value) {
        skipped.push({ gate: name, reason: `${g.metric} is not exposed by a live process (/metrics)` });
        continue;
      }
      const op = kind === 'gate' ? NEGATE[g.op] : g.op;
      const expr = `(${value}) ${op} ${g.value}`;
      const severity = kind === 'gate' ? 'warning' : 'critical';
      const alert = alertName(kind === 'gate' ? 'MdCacheGate' : 'MdCacheRollback', name.replace(/^rollback:\s*/, ''), used);
      rules.push({ alert, expr, severity, source: name });
      const summary = kind === 'gate' ? `mdcache gate breached: ${name}` : `mdcache rollback condition met: ${name.replace(/^rollback:\s*/, '')}`;
      const description =
        kind === 'gate'
          ? `The gate '${name}' has not held for ${forDuration} (value {{ $value }}).`
          : `The canary rollback condition '${name.replace(/^rollback:\s*/, '')}' has held for ${forDuration} (value {{ $value }}): roll the cache back (md_cache.enabled: false).`;
      lines.push(
        `      - alert: ${alert}`,
        `        expr: |-`,
        `          ${expr}`,
        `        for: ${forDuration}`,
        `        labels:`,
        `          severity: ${severity}`,
        `          mdcache_${kind}: ${q(name)}`,
        `        annotations:`,
        `          summary: ${q(summary)}`,
        `          description: ${q(description)}`,
      );
    }
    groups.push({ name: group, lines });
  }
  const share = opts.restBudgetShare ?? 0.8;
  const pct = `${Math.round(share * 1000) / 10} %`;
  const budget = `max(${M.restBudget})`;
  const restLines: string[] = [];
  for (const [alert, value, what] of [
    ['MdCacheRestWeightHigh', restWeightPerMinExpr(range), 'REST weight sent per minute'],
    ['MdCacheRestUsedWeightHigh', `max(${M.restUsedWeight})`, 'venue-reported used weight (X-MBX-USED-WEIGHT-1M)'],
  ] as const) {
    const source = `${what} > ${pct} of rest.budget.weight_per_min`;
    const expr = `(${value}) > ${share} * ${budget}`;
    used.add(alert);
    rules.push({ alert, expr, severity: 'warning', source });
    restLines.push(
      `      - alert: ${alert}`,
      `        expr: |-`,
      `          ${expr}`,
      `        for: ${forDuration}`,
      `        labels:`,
      `          severity: warning`,
      `          mdcache_rest: ${q(source)}`,
      `        annotations:`,
      `          summary: ${q(`mdcache REST weight near the venue's limit: ${source}`)}`,
      `          description: ${q(`${what[0]!.toUpperCase()}${what.slice(1)} has been above ${pct} of the budget for ${forDuration} (value {{ $value }}): the venue answers 429 and then bans (418) past its limit; lower the refresh rate or the snapshot depth.`)}`,
    );
  }
  groups.push({ name: 'mdcache-rest', lines: restLines });
  const out: string[] = [
    '# Prometheus alerting rules for the mdcache order-book cache, generated by `mdcache export alerts`.',
    '# Gates (severity warning) fire when the gate does not hold; rollback conditions (severity critical) fire when they hold.',
  ];
  for (const s of skipped) out.push(`# skipped: ${s.gate} — ${s.reason}`);
  out.push('groups:');
  for (const g of groups) {
    if (g.lines.length === 0) continue;
    out.push(`  - name: ${g.name}`, `    rules:`, ...g.lines);
  }
  if (groups.every((g) => g.lines.length === 0)) out.push('  []');
  return { yaml: out.join('\n') + '\n', rules, skipped };
}
