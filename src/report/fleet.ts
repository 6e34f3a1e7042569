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
  const real = f.mode === 'processes';
  const budget = f.budget_weight_per_min;
  const row = (name: string, r: typeof f.rest): string[] => [name, fmtCount(r.requests), fmtCount(r.weight_per_min.mean), fmtCount(r.weight_per_min.max), fmtRatio(r.weight_per_min.max / budget)];
  const rows: string[][] = [];
  if (f.rest_l1_only) rows.push(row('every process refreshes (L1 only)', f.rest_l1_only));
  if (f.shared) rows.push(row(real ? 'shared tier (Redis)' : 'shared tier (L2)', f.rest));
  const faults = (f.shared?.faults?.outages.length ?? 0) + (f.shared?.faults?.slow.length ?? 0);
  const sharedText = !f.shared
    ? ''
    : real
      ? `, sharing a Redis tier (${f.shared.redis ?? 'redis'}, lease ${f.shared.lease_ms} ms)`
      : `, sharing a simulated L2 (round trip ${JSON.stringify(f.shared.latency)}, lease ${f.shared.lease_ms} ms${faults > 0 ? ', with faults' : ''}) that runs the same lease/epoch/fallback logic as the Redis tier`;
  const out = [
    (real ? `${f.processes} worker processes quoted the same ${String(results.scenario.symbol_count ?? '')} symbol(s) on the live exchange, each with its own cache` : `${f.processes} processes quote the same ${String(results.scenario.symbol_count ?? '')} symbol(s) on the same market, each with its own cache`) +
      sharedText +
      (real ? '. REST requests counted by each worker.' : '. Same draws both ways.'),
    '',
    table(['Fleet', 'REST requests', 'Weight / min (mean)', 'Weight / min (max window)', 'Max window / budget'], rows),
    '',
    `Budget: **${fmtCount(budget)} weight per minute** per IP.` + (f.shared && f.weight_ratio !== undefined ? ` The shared tier sends ${fmtRatio(f.weight_ratio)} of the L1-only fleet's weight.` : ''),
  ];
  if (real && f.shared && !f.rest_l1_only) out.push('', 'One run measures one way: run the same fleet without `--shared` for the L1-only figure.');
  const errs = f.per_process.reduce((n, p) => n + p.errors, 0);
  const sharedErrs = f.per_process.reduce((n, p) => n + (p.shared_errors ?? 0), 0);
  if (f.shared) out.push('', `Callers' errors: ${errs}; shared-tier errors (never seen by callers): ${sharedErrs}; L2 hits: ${fmtCount(f.per_process.reduce((n, p) => n + (p.l2_hits ?? 0), 0))}.`);
  if (real) {
    out.push('', table(['Process', 'Gets', 'Errors', 'REST requests', 'Weight', 'Hits', 'L2 hits', 'Lease wins', 'Shared errors'], f.per_process.map((p) => [String(p.process), fmtCount(p.gets), fmtCount(p.errors), fmtCount(p.rest.requests), fmtCount(p.rest.weight), fmtCount(p.hits), fmtCount(p.l2_hits ?? 0), fmtCount(p.lease_wins ?? 0), fmtCount(p.shared_errors ?? 0)])));
  }
  return out.join('\n');
}
