/**
 * The `fleet` block of a run of real worker processes (`bench --source binance --processes N`), built from the
 * workers' own results.json: the fleet's REST totals (each worker's cached-path requests, window by window —
 * the workers start together, so window i of every worker covers the same seconds), and one row per process
 * with the same fields as the simulated fleet (src/sim/fleet.ts), so the report's fleet section reads either.
 */
import type { Results } from '../results/types.js';
import { pathWindows } from '../results/types.js';
import { DEFAULT_WEIGHT_BUDGET_PER_MIN } from '../market/rest-cost.js';
import type { FleetProcessResult, FleetResult } from './fleet.js';
import { RestMeter } from './rest-meter.js';

export interface FleetProcessesOptions {
  /** The shared tier the workers used (`--shared`), or null (every worker refreshed on its own). */
  shared: { url: string; lease_ms: number } | null;
  /** rest.budget.weight_per_min of the scenario (default Binance's 6,000). */
  budgetWeightPerMin?: number;
}

/** Strips a password from a Redis URL (results files are shared). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** One worker's row (the cached path is the worker's pipeline). */
export function processRow(r: Results, index: number): FleetProcessResult {
  const p = r.paths.cached;
  let fresh = 0;
  let stale = 0;
  let misses = 0;
  for (const w of pathWindows(r, 'cached')) {
    fresh += w.fresh ?? 0;
    stale += w.stale ?? 0;
    misses += w.misses ?? 0;
  }
  const sh = p.cache?.shared;
  return {
    process: index,
    gets: p.cache?.gets ?? 0,
    errors: p.fetch_errors,
    rest: { requests: p.rest?.requests ?? 0, weight: p.rest?.weight ?? 0 },
    hits: fresh,
    stale_hits: stale,
    misses,
    ...(sh ? { l2_hits: sh.l2_hits, lease_wins: sh.lease_wins, lease_waits: sh.lease_waits, shared_errors: sh.errors, fallbacks: sh.fallbacks } : {}),
  };
}

export function fleetFromProcesses(workers: readonly Results[], o: FleetProcessesOptions): FleetResult {
  if (workers.length === 0) throw new Error('fleetFromProcesses: no worker results');
  const windowMs = workers[0]!.windows.window_ms;
  const meter = new RestMeter(windowMs);
  let windows = 1;
  for (const r of workers) {
    const ws = pathWindows(r, 'cached');
    windows = Math.max(windows, ws.length);
    const rest = r.paths.cached.rest;
    meter.absorb({
      windows: ws.map((w) => ({ requests: w.rest_requests ?? 0, weight: w.rest_weight ?? 0, throttled: w.rest_throttled ?? 0, rate_limited: w.rest_rate_limited ?? 0, banned: w.rest_banned ?? 0, refused: w.rest_refused ?? 0 })),
      requests: rest?.requests ?? 0,
      weight: rest?.weight ?? 0,
      throttled: rest?.throttled ?? 0,
      rate_limited: rest?.rate_limited ?? 0,
      banned: rest?.banned ?? 0,
      refused: rest?.refused ?? 0,
    });
  }
  meter.end(Math.max(...workers.map((r) => r.duration_ms)));
  const rest = meter.result(0, windows);
  return {
    processes: workers.length,
    mode: 'processes',
    shared: o.shared ? { lease_ms: o.shared.lease_ms, redis: redactUrl(o.shared.url) } : null,
    rest,
    ...(o.shared ? {} : { rest_l1_only: rest, weight_ratio: 1 }),
    budget_weight_per_min: o.budgetWeightPerMin ?? DEFAULT_WEIGHT_BUDGET_PER_MIN,
    per_process: workers.map((r, i) => processRow(r, r.run.fleet_worker?.index ?? i)),
  };
}
