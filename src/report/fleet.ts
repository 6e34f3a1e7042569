/** The report's fleet section: the fleet's REST weight with and without the shared tier, against the budget. */
import type { Results } from '../results/types.js';
import { fmtCount, fmtRatio, mdCell } from './format.js';

function table(head: string[], rows: string[][]): string {
  const a = head.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [`| ${head.join(' | ')} |`, `| ${a.join(' | ')} |`, ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n');
}

export function renderFleetSection(results: Results): string | undefined {
  const f = results.fleet;
  if (!f) return undefined;
  const budget = f.budget_weight_per_min;
  const row = (name: string, r: typeof f.rest): string[] => [name, fmtCount(r.requests), fmtCount(r.weight_per_min.mean), fmtCount(r.weight_per_min.max), fmtRatio(r.weight_per_min.max / budget)];
  const rows = [row('every process refreshes (L1 only)', f.rest_l1_only)];
  if (f.shared) rows.push(row('shared tier (L2)', f.rest));
  const out = [
    `${f.processes} processes quote the same ${String(results.scenario.symbol_count ?? '')} symbol(s) on the same market, each with its own cache` +
      (f.shared ? `, sharing a simulated L2 (round trip ${JSON.stringify(f.shared.latency)}, lease ${f.shared.lease_ms} ms${f.shared.faults.outages.length + f.shared.faults.slow.length > 0 ? ', with faults' : ''}) that runs the same lease/epoch/fallback logic as the Redis tier` : '') +
      '. Same draws both ways.',
    '',
    table(['Fleet', 'REST requests', 'Weight / min (mean)', 'Weight / min (max window)', 'Max window / budget'], rows),
    '',
    `Budget: **${fmtCount(budget)} weight per minute** per IP.` + (f.shared ? ` The shared tier sends ${fmtRatio(f.weight_ratio)} of the L1-only fleet's weight.` : ''),
  ];
  const errs = f.per_process.reduce((n, p) => n + p.errors, 0);
  const sharedErrs = f.per_process.reduce((n, p) => n + (p.shared_errors ?? 0), 0);
  if (f.shared) out.push('', `Callers' errors: ${errs}; shared-tier errors (never seen by callers): ${sharedErrs}; L2 hits: ${fmtCount(f.per_process.reduce((n, p) => n + (p.l2_hits ?? 0), 0))}.`);
  return out.join('\n');
}
