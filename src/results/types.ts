/** The `mdcache.results/v1` document written by `bench` (and read by gate, report, compare). */
import type { FleetResult } from '../sim/fleet.js';

export const RESULTS_SCHEMA = 'mdcache.results/v1' as const;

export interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  count: number;
}

export interface RunInfo {
  id: string;
  started_at: string;
  wall_ms: number;
  host: string;
  version: string;
  /** The exact command line that reproduces the run. */
  command: string;
  /** `virtual` (discrete-event clock) or `real`. */
  clock: 'virtual' | 'real';
  /** True when the run was stopped early (SIGINT/SIGTERM); duration_ms then covers what ran. */
  interrupted?: boolean;
  /** Largest V8 heap use sampled during the run (MB), when the CLI measured it. */
  peak_heap_mb?: number;
  /** `bench --jobs`: how many symbol shards ran on worker threads (absent: one thread, no sharding). */
  shards?: number;
  /** Largest V8 heap use any shard's worker reported (MB). */
  worker_peak_heap_mb?: number;
  /** A worker process of a real fleet (`bench --source binance --processes N`): its index and the fleet size. */
  fleet_worker?: { index: number; of: number };
  /** `mdcache merge`: the runs this one was merged from, and what `--force` let through. */
  merged?: { runs: { dir: string; id: string; host: string; seed: number; duration_ms: number }[]; forced?: string[] };
}

export interface CacheResult {
  hit_ratio: number;
  fresh_ratio: number;
  stale_ratio: number;
  miss_ratio: number;
  gets: number;
  refreshes: number;
  /** refreshes / gets: refreshes started per cached tick (each tick makes one get). Absent in older files. */
  refreshes_per_tick?: number;
  refresh_failures: number;
  evictions: number;
  invalidations: Record<string, number>;
  /** Age of the book each tick used. */
  staleness_ms: Percentiles;
  /** max(|bid error|, |ask error|) in exchange ticks of the served book vs the ground truth at use time. */
  tob_error_ticks: Percentiles;
  refresh_latency_ms: Percentiles;
  /** The shared (L2) tier's counts, when the cache ran over one (md_cache.shared). */
  shared?: SharedTierResult;
}

/** What the cache's shared (L2) tier did in a run (`cache.stats().shared`). */
export interface SharedTierResult {
  l2_hits: number;
  l2_misses: number;
  lease_wins: number;
  lease_waits: number;
  /** Refreshes made after waiting out a lease held by another process (holder slow or dead). */
  lease_timeouts: number;
  /** L2 writes refused because the epoch moved (an invalidation raced the refresh). */
  writes_refused: number;
  /** Redis calls that failed or timed out (never seen by callers). */
  errors: number;
  /** Times the circuit breaker opened (the process fell back to L1-only). */
  fallbacks: number;
  resyncs: number;
  /** Redis round trip (ms). */
  rtt_ms: { p50: number; p99: number; max: number; count: number };
}

/** REST snapshot cost of one path (requests the path's source sent to the venue). */
export interface RestResult {
  /** Snapshot requests sent (a request the client refused locally during a Retry-After is not sent). */
  requests: number;
  /** Venue request weight of those requests (by the `limit` each asked for; see rest.weights); a request answered 429/418 is not charged. */
  weight: number;
  /** Responses with HTTP 429 (rate limited) or 418 (banned). */
  throttled: number;
  /** Of `throttled`: HTTP 429 responses (absent in results written before they were told apart). */
  rate_limited?: number;
  /** Of `throttled`: HTTP 418 responses (banned for sending during a 429's Retry-After). */
  banned?: number;
  /** Calls the client refused itself while a Retry-After (429) or a ban (418) ran: not sent, not in `requests`. */
  refused?: number;
  /** Per-window request rates (per minute): percentiles over windows, `mean` = requests / minutes run, `count` = windows. */
  requests_per_min: Percentiles;
  /** Per-window weight rates (per minute), as requests_per_min. */
  weight_per_min: Percentiles;
  /** Cached paths: 1 − requests / uncached requests (the share of REST requests the cache saved). */
  saving?: number;
}

export interface PathResult {
  fetch_md_ms: Percentiles;
  tick_total_ms: Percentiles;
  deadline_miss_ratio: number;
  ticks: number;
  dropped: number;
  /** Real-clock runs: ticks still queued (on_busy: queue) when the run's duration ended — dropped, not run. */
  dropped_at_end?: number;
  /** fetch_md calls that failed (REST error/timeout or RefreshError); the tick still counts. */
  fetch_errors: number;
  stages: Record<string, Percentiles>;
  cache?: CacheResult;
  /** REST cost (absent in results written before it was measured). */
  rest?: RestResult;
}

/** Per-window (default 1 minute) figures of one path, for confidence intervals and charts. */
export interface WindowStats {
  start_ms: number;
  ticks: number;
  deadline_misses: number;
  dropped: number;
  fetch_md_p50: number;
  fetch_md_p95: number;
  fetch_md_p99: number;
  tick_total_p50: number;
  tick_total_p95: number;
  tick_total_p99: number;
  /** REST cost in this window: requests sent, their weight, 429/418 responses. */
  rest_requests?: number;
  rest_weight?: number;
  rest_throttled?: number;
  /** Of rest_throttled: 429s and 418s, and calls refused by the client during a Retry-After (written when the path had any). */
  rest_rate_limited?: number;
  rest_banned?: number;
  rest_refused?: number;
  /** Cached path only. */
  gets?: number;
  hits?: number;
  fresh?: number;
  stale?: number;
  misses?: number;
}

export interface GateResult {
  name: string;
  metric: string;
  op: string;
  threshold: number;
  value: number;
  ci: [number, number];
  status: 'pass' | 'fail' | 'inconclusive';
  /** `warn` gates are shown but never change the verdict (absent = `error`). */
  severity?: 'warn';
  /** The arm this gate judged, when the run has named arms (default gates apply to each arm). */
  arm?: string;
  /** Optional human note (e.g. the significance test's p-value). */
  note?: string;
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface Results {
  schema: typeof RESULTS_SCHEMA;
  run: RunInfo;
  /** The resolved scenario, md_cache included. */
  scenario: Record<string, unknown>;
  seed: number;
  duration_ms: number;
  /**
   * `uncached`, `cached` (the first arm) and, when the run has named arms (`arms` below), one entry per arm
   * under its name (the first arm's entry equals `cached`).
   */
  paths: { uncached: PathResult; cached: PathResult; [arm: string]: PathResult };
  /** Per-window figures of every path in `paths` (read them with `pathWindows`). */
  windows: { window_ms: number; uncached: WindowStats[]; cached: WindowStats[]; [arm: string]: WindowStats[] | number };
  /**
   * Percentile spectra (HdrHistogram style) for charts: metric name (fetch_md_ms, tick_total_ms) → path →
   * [percentile, value] points from p0 to p99.99 and max.
   */
  spectra: Record<string, { uncached: [number, number][]; cached: [number, number][]; [arm: string]: [number, number][] }>;
  /** Histogram name → `.hlog` file name beside results.json. */
  histograms: Record<string, string>;
  /** `fleet:` / `bench --processes N`: the fleet's REST cost with and without the shared tier (src/sim/fleet.ts). */
  fleet?: FleetResult;
  /**
   * Real-clock runs only: how late each scheduled tick arrival was started (start − scheduled time, ms), from
   * the catch-up scheduler. Absent from virtual-time runs, whose timers fire exactly on time.
   */
  scheduler_lateness_ms?: Percentiles;
  gates?: GateResult[];
  /** With arms: fail if any arm fails, else inconclusive if any is, else pass; `arms[].verdict` per arm. */
  verdict?: Verdict;
  /**
   * Named cached paths (`bench --policies`, scenario `arms:`), in order; absent for a plain uncached vs
   * cached run. `paths.cached` is arms[0].
   */
  arms?: ArmResult[];
  /** `mdcache shadow` only: how the candidate (cached) diverged from the control (uncached). */
  shadow?: ShadowResult;
}

export interface ArmResult {
  name: string;
  /** The arm's md_cache overrides (on top of the scenario's md_cache). */
  md_cache: Record<string, unknown>;
  /** The arm's own verdict (its gates only), when gates were evaluated. */
  verdict?: Verdict;
}

/** A path's per-window figures (`[]` when the path is absent). */
export function pathWindows(results: Pick<Results, 'windows'>, path: string): WindowStats[] {
  const w = results.windows?.[path];
  return Array.isArray(w) ? w : [];
}

/** The names of the run's arms (['cached'] for a plain run). */
export function armNames(results: Pick<Results, 'arms'>): string[] {
  return results.arms && results.arms.length > 0 ? results.arms.map((a) => a.name) : ['cached'];
}

export interface MismatchExample {
  symbol: string;
  /** The instrument's tick size (prices below are in ticks of it); absent in older files. */
  tick_size?: string;
  /** Scheduled arrival of the tick (ms since run start). */
  at_ms: number;
  tob_mismatch_ticks: number;
  depth_mismatches: number;
  control: { bid: number | null; ask: number | null; update_id: number };
  candidate: { bid: number | null; ask: number | null; update_id: number; age_ms: number; status: string };
}

export interface ShadowResult {
  /** Ticks both paths completed (compared). */
  compared: number;
  /** Ticks whose candidate best bid/ask differed from the control's. */
  tob_mismatch_ratio: number;
  /** Ticks with any depth-level difference in the compared depth. */
  depth_mismatch_ratio: number;
  /** Levels compared per side. */
  compared_depth: number;
  /** Ticks whose top of book differed (the count behind tob_mismatch_ratio; absent in older files). */
  tob_mismatched?: number;
  /** Ticks with a depth-level difference (the count behind depth_mismatch_ratio; absent in older files). */
  depth_mismatched?: number;
  tob_mismatch_ticks: Percentiles;
  depth_mismatch_levels: Percentiles;
  candidate_staleness_ms: Percentiles;
  /** The worst mismatches (largest top-of-book difference first, then the earlier tick, then the symbol). */
  worst: MismatchExample[];
  /** How many worst mismatches are kept (shadow.worst_examples; absent in older files). */
  worst_limit?: number;
}
