/**
 * Merging runs (`mdcache merge`, and the parent of `bench --processes N` with real workers): several runs of
 * the same scenario — processes quoting the same symbols, or hosts each quoting a share of them — become one
 * results document. Exact by construction:
 * - every histogram is rebuilt window by window from the runs' `.hlog` files and added (HDR histograms add
 *   exactly; percentiles are recomputed from the sums, never averaged);
 * - counters (ticks, deadline misses, drops, gets/hits/misses, REST requests/weight/429s, refreshes,
 *   invalidations) are summed, per window and in total;
 * - windows are aligned by their start (offset from each run's start); runs with different window lengths
 *   cannot be aligned and are always refused.
 * The merged recordings go through the same buildResults as a bench, so a merged results.json is read,
 * gated and reported like any other.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheStats } from '../cache/types.js';
import type { MdCacheConfig } from '../config/md-cache.js';
import { UsageError } from '../core/errors.js';
import { readTextFile } from '../config/load.js';
import { evaluateGates } from '../gates/evaluate.js';
import { gatesFromScenario } from '../gates/spec.js';
import type { GateSpec } from '../gates/types.js';
import type { OrderBook } from '../market/book.js';
import { parseHlog, renderHlog, type ParsedHlog } from '../metrics/hlog.js';
import { WindowedHistogram, type SerializedWindows } from '../metrics/windowed.js';
import { loadResults } from '../report/results-file.js';
import { armNames, pathWindows, type CacheResult, type Percentiles, type Results, type RunInfo, type SharedTierResult } from '../results/types.js';
import type { BenchOutput } from './bench.js';
import { PathRecorder, type SerializedRecorder } from './recorder.js';
import { buildResults, recordedHistograms } from './results.js';
import type { ArmOutput, SimulationOutput } from './simulate.js';
import { LATENESS_HISTOGRAM } from '../pipeline/scheduler.js';
import { mergeShadow, shadowHistogramScale, shadowPlan } from './merge-shadow.js';

/** One run directory read back: its results.json and every `.hlog` it lists, parsed and checked. */
export interface LoadedRun {
  /** The directory as given. */
  dir: string;
  results: Results;
  /** Histogram name (a key of results.histograms, e.g. `cached.fetch_md`) → its parsed interval log. */
  hlogs: Record<string, ParsedHlog>;
}

export interface MergeOptions {
  /** Merge runs whose scenario, clock, version or seed say they should not be merged (never runs with different windows or paths). */
  force?: boolean;
  /**
   * Gates to evaluate on the merged results. Default: when any run was gated, the merged scenario's gates
   * (else the default gates); `null`: none.
   */
  gates?: readonly GateSpec[] | null;
  /** The merged run's identity: its id, the command that made it, the mdcache version and host. */
  run: { id: string; command: string; version: string; host: string };
}

export interface MergeOutput extends BenchOutput {
  /** One line each: what the merge did not carry over (e.g. a simulated fleet section) or forced past. */
  notices: string[];
}

/** The unit ratio a histogram was written with: µs latencies (1000 per ms) or whole exchange ticks. */
export function histogramScale(name: string): number {
  if (name.startsWith('shadow.')) return shadowHistogramScale(name);
  return name.endsWith('.tob_error_ticks') ? 1 : 1000;
}

/** A histogram of a path (`<path>.<metric>`), as opposed to the run's own (scheduler lateness, shadow divergence). */
function isPathHistogram(name: string): boolean {
  return name !== LATENESS_HISTOGRAM && !name.startsWith('shadow.');
}

/** The results.json count a histogram must match (undefined when the results do not report one). */
function expectedCount(results: Results, name: string): number | undefined {
  if (name === LATENESS_HISTOGRAM) return results.scheduler_lateness_ms?.count;
  if (name.startsWith('shadow.')) return results.shadow?.compared;
  const dot = name.indexOf('.');
  const p = results.paths?.[name.slice(0, dot)];
  if (!p) return undefined;
  const rest = name.slice(dot + 1);
  const pct = (x: Percentiles | undefined): number | undefined => x?.count;
  if (rest === 'fetch_md') return pct(p.fetch_md_ms);
  if (rest === 'tick_total') return pct(p.tick_total_ms);
  if (rest.startsWith('stage.')) return pct(p.stages?.[rest.slice('stage.'.length)]);
  if (rest === 'staleness') return pct(p.cache?.staleness_ms);
  if (rest === 'tob_error_ticks') return pct(p.cache?.tob_error_ticks);
  if (rest === 'refresh_latency') return pct(p.cache?.refresh_latency_ms);
  return undefined;
}

/**
 * Reads a run directory (results.json + the `.hlog` files it lists). A missing directory, a missing or
 * invalid results.json, a missing `.hlog` or one that does not decode or disagrees with results.json →
 * UsageError (exit 2) naming the file.
 */
export function loadRun(dir: string): LoadedRun {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) throw new UsageError(`merge: ${dir}: no such directory`);
  if (!st.isDirectory()) throw new UsageError(`merge: ${dir} is not a directory (give a run's folder, the one holding results.json)`);
  const file = join(dir, 'results.json');
  if (!existsSync(file)) throw new UsageError(`merge: ${dir} has no results.json (not a run folder, or the run did not finish)`);
  const results = loadResults(file);
  const windowMs = results.windows.window_ms;
  if (!(windowMs > 0)) throw new UsageError(`merge: ${file}: windows.window_ms must be positive`);
  const hlogs: Record<string, ParsedHlog> = {};
  for (const [name, fname] of Object.entries(results.histograms ?? {})) {
    if (typeof fname !== 'string' || !/^[^/\\]+\.hlog$/.test(fname) || fname.startsWith('.')) throw new UsageError(`merge: ${file}: histograms.${name} must be a .hlog file name beside results.json, got ${JSON.stringify(fname)}`);
    const f = join(dir, fname);
    if (!existsSync(f)) throw new UsageError(`merge: ${f} is missing (results.json lists it)`);
    let h: ParsedHlog;
    try {
      h = parseHlog(readTextFile(f, '.hlog file'), windowMs, histogramScale(name));
    } catch (err) {
      throw new UsageError(`merge: ${f} is corrupt: ${(err as Error).message}`);
    }
    // The cache's distributions are reported over the run's windows only (a refresh may complete after the end).
    const windowCount = pathWindows(results, 'uncached').length;
    const held = /\.(refresh_latency|staleness|tob_error_ticks)$/.test(name) ? h.counts.slice(0, windowCount).reduce((a, b) => a + b, 0) : h.totalCount;
    const want = expectedCount(results, name);
    if (want !== undefined && want !== held) throw new UsageError(`merge: ${f} is corrupt: it holds ${held} values, results.json counts ${want}`);
    hlogs[name] = h;
  }
  return { dir, results, hlogs };
}

// ------------------------------------------------------------------------------------------ compatibility

/** Scenario fields that may differ between mergeable runs: which symbols each run quoted. */
const PER_RUN_SCENARIO_KEYS = new Set(['symbols', 'symbol_count', 'description', 'replay_warnings']);

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/** The first dotted path where a and b differ (undefined when equal). */
export function firstDifference(a: unknown, b: unknown, path: string): { path: string; a: unknown; b: unknown } | undefined {
  if (a === b) return undefined;
  const objA = a !== null && typeof a === 'object';
  const objB = b !== null && typeof b === 'object';
  if (objA && objB && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => (Array.isArray(a) ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0));
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b)) ? undefined : { path, a, b };
}

function show(v: unknown): string {
  const s = v === undefined ? 'absent' : JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function scenarioKey(s: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(s ?? {}).filter(([k]) => !PER_RUN_SCENARIO_KEYS.has(k)));
}

function symbolsOf(r: Results): string {
  return JSON.stringify(r.scenario?.symbols ?? r.scenario?.symbol_count ?? null);
}

/**
 * Checks that the runs can be merged. Always refused: different window lengths, different histograms/paths
 * (arms, stages). Refused unless `force`: a different scenario (anything but its symbols), clock or mdcache
 * version, the same folder twice, or two virtual-time runs with the same seed and symbols (identical
 * workloads: the merge would count the same ticks twice). Returns what `force` let through.
 */
export function checkMergeable(runs: readonly LoadedRun[], force = false): string[] {
  if (runs.length === 0) throw new UsageError('merge: no runs to merge');
  const a = runs[0]!;
  const forced: string[] = [];
  const refuse = (what: string, forceable: boolean): void => {
    if (!forceable) throw new UsageError(`merge: cannot merge: ${what}`);
    if (!force) throw new UsageError(`merge: refusing to merge: ${what}; use --force to merge anyway`);
    forced.push(what);
  };
  const seen = new Map<string, string>();
  for (const b of runs) {
    let real: string;
    try {
      real = realpathSync(b.dir);
    } catch {
      real = b.dir;
    }
    const dup = seen.get(real);
    if (dup !== undefined) refuse(`${dup} and ${b.dir} are the same run folder`, true);
    seen.set(real, b.dir);
  }
  for (const b of runs.slice(1)) {
    const pair = `${a.dir} and ${b.dir}`;
    if (a.results.windows.window_ms !== b.results.windows.window_ms) refuse(`${pair} have different window lengths (${a.results.windows.window_ms} ms vs ${b.results.windows.window_ms} ms), so their windows do not align`, false);
    // Paths and stages must match; the run's own histograms (lateness, shadow) are checked where they are merged.
    const pa = Object.keys(a.results.histograms ?? {}).filter(isPathHistogram);
    const pb = Object.keys(b.results.histograms ?? {}).filter(isPathHistogram);
    if (pa.sort().join(',') !== pb.sort().join(',')) {
      const only = [...pa.filter((h) => !pb.includes(h)), ...pb.filter((h) => !pa.includes(h))];
      refuse(`${pair} recorded different paths or stages (histogram ${only[0]} is in one only)`, false);
    }
    if (a.results.run.clock !== b.results.run.clock) refuse(`${pair} ran on different clocks (${a.results.run.clock} vs ${b.results.run.clock})`, true);
    const d = firstDifference(scenarioKey(a.results.scenario), scenarioKey(b.results.scenario), 'scenario');
    if (d) refuse(`${pair} differ in ${d.path} (${show(d.a)} vs ${show(d.b)})`, true);
    if (a.results.run.version !== b.results.run.version) refuse(`${pair} were written by different mdcache versions (${a.results.run.version} vs ${b.results.run.version})`, true);
  }
  for (const [i, x] of runs.entries()) {
    for (const y of runs.slice(i + 1)) {
      if (x.results.run.clock === 'virtual' && y.results.run.clock === 'virtual' && x.results.seed === y.results.seed && symbolsOf(x.results) === symbolsOf(y.results) && x.dir !== y.dir && realOrSelf(x.dir) !== realOrSelf(y.dir)) {
        refuse(`${x.dir} and ${y.dir} are virtual-time runs with the same seed (${x.results.seed}) and symbols: identical workloads, merging them counts the same ticks twice`, true);
      }
    }
  }
  return forced;
}

function realOrSelf(d: string): string {
  try {
    return realpathSync(d);
  } catch {
    return d;
  }
}

// ------------------------------------------------------------------------------------------ merging

const EMPTY_LATENCY = { p50: 0, p95: 0, p99: 0, max: 0 };

function emptyStats(): CacheStats {
  return { gets: 0, hits: 0, staleHits: 0, misses: 0, bypasses: 0, hitRatio: 0, freshRatio: 0, staleRatio: 0, ageMs: undefined, refreshes: 0, refreshFailures: 0, refreshLatencyMs: { ...EMPTY_LATENCY }, evictions: 0, invalidations: {} };
}

/** Adds a run's cache counters (the ones results.json keeps) into `into`. */
function addCacheCounts(into: CacheStats, c: CacheResult | undefined): void {
  if (!c) return;
  into.refreshes += c.refreshes ?? 0;
  into.refreshFailures += c.refresh_failures ?? 0;
  into.evictions += c.evictions ?? 0;
  for (const [k, v] of Object.entries(c.invalidations ?? {})) into.invalidations[k] = (into.invalidations[k] ?? 0) + v;
}

/** A run's recording of one path, in the form PathRecorder.absorb takes (windows keyed by their start). */
function serializedPath(run: LoadedRun, resultsPath: string, histPrefix: string, stageNames: readonly string[]): SerializedRecorder {
  const windowMs = run.results.windows.window_ms;
  const hist = (n: string): SerializedWindows => run.hlogs[`${histPrefix}.${n}`]?.windows ?? [];
  const counters: SerializedRecorder['counters'] = [];
  const rest: SerializedRecorder['rest'] = { windows: [], requests: 0, weight: 0, throttled: 0, rate_limited: 0, banned: 0, refused: 0 };
  let ticks = 0;
  let misses = 0;
  let dropped = 0;
  for (const w of pathWindows(run.results, resultsPath)) {
    const i = Math.round(w.start_ms / windowMs);
    for (let k = counters.length; k <= i; k++) {
      counters[k] = { ticks: 0, deadline_misses: 0, dropped: 0, gets: 0, fresh: 0, stale: 0, misses: 0 };
      rest.windows[k] = { requests: 0, weight: 0, throttled: 0, rate_limited: 0, banned: 0, refused: 0 };
    }
    const c = counters[i]!;
    c.ticks += w.ticks;
    c.deadline_misses += w.deadline_misses;
    c.dropped += w.dropped ?? 0;
    c.gets += w.gets ?? 0;
    c.fresh += w.fresh ?? 0;
    c.stale += w.stale ?? 0;
    c.misses += w.misses ?? 0;
    const r = rest.windows[i]!;
    r.requests += w.rest_requests ?? 0;
    r.weight += w.rest_weight ?? 0;
    r.throttled += w.rest_throttled ?? 0;
    // 429 / 418 / refused per window (written when the run had any; older files: all throttled count as 429)
    r.rate_limited += w.rest_rate_limited ?? w.rest_throttled ?? 0;
    r.banned += w.rest_banned ?? 0;
    r.refused += w.rest_refused ?? 0;
    ticks += w.ticks;
    misses += w.deadline_misses;
    dropped += w.dropped ?? 0;
  }
  const p = run.results.paths[resultsPath]!;
  rest.requests = p.rest?.requests ?? 0;
  rest.weight = p.rest?.weight ?? 0;
  rest.throttled = p.rest?.throttled ?? 0;
  rest.rate_limited = p.rest?.rate_limited ?? rest.throttled;
  rest.banned = p.rest?.banned ?? 0;
  rest.refused = p.rest?.refused ?? 0;
  return {
    fetchMd: hist('fetch_md'),
    tickTotal: hist('tick_total'),
    stages: stageNames.map((s) => hist(`stage.${s}`)),
    staleness: hist('staleness'),
    tobError: hist('tob_error_ticks'),
    counters,
    ticks,
    misses,
    dropped,
    fetchErrors: p.fetch_errors ?? 0,
    rest,
  };
}

function stageNamesOf(r: Results): string[] {
  const st = (r.scenario?.pipeline as { stages?: { name?: unknown }[] } | undefined)?.stages;
  if (Array.isArray(st) && st.every((s) => typeof s?.name === 'string')) return st.map((s) => s.name as string);
  return Object.keys(r.paths.uncached.stages ?? {});
}

/** A run's symbol list: `symbols` as a list, or a scenario's `{ list: [...] }` (undefined for a generated set). */
function symbolList(r: Results): unknown[] | undefined {
  const s = r.scenario?.symbols;
  if (Array.isArray(s)) return s;
  const list = (s as { list?: unknown } | undefined)?.list;
  return Array.isArray(list) ? list : undefined;
}

/** Union of the runs' symbol lists, in first-seen order (undefined unless every run lists its symbols). */
function symbolUnion(runs: readonly LoadedRun[]): { list: unknown[]; listed: boolean } | undefined {
  const lists = runs.map((r) => symbolList(r.results));
  if (!lists.every((l) => l !== undefined)) return undefined;
  const seen = new Map<string, unknown>();
  for (const s of (lists as unknown[][]).flat()) {
    const key = typeof s === 'string' ? s : String((s as { symbol?: unknown })?.symbol ?? JSON.stringify(s));
    if (!seen.has(key)) seen.set(key, s);
  }
  return { list: [...seen.values()], listed: Array.isArray(runs[0]!.results.scenario.symbols) };
}

/**
 * Merges runs into one results document and its `.hlog` files (the shape bench returns, so the CLI writes it
 * with the same writer). Throws UsageError (exit 2) when the runs are not mergeable (see checkMergeable).
 */
function sumShared(all: readonly SharedTierResult[]): SharedTierResult {
  const out: SharedTierResult = { l2_hits: 0, l2_misses: 0, lease_wins: 0, lease_waits: 0, lease_timeouts: 0, writes_refused: 0, errors: 0, fallbacks: 0, resyncs: 0, rtt_ms: { p50: 0, p99: 0, max: 0, count: 0 } };
  for (const s of all) {
    for (const k of ['l2_hits', 'l2_misses', 'lease_wins', 'lease_waits', 'lease_timeouts', 'writes_refused', 'errors', 'fallbacks', 'resyncs'] as const) out[k] += s[k];
    out.rtt_ms = { p50: Math.max(out.rtt_ms.p50, s.rtt_ms.p50), p99: Math.max(out.rtt_ms.p99, s.rtt_ms.p99), max: Math.max(out.rtt_ms.max, s.rtt_ms.max), count: out.rtt_ms.count + s.rtt_ms.count };
  }
  return out;
}

export function mergeRuns(runs: readonly LoadedRun[], opts: MergeOptions): MergeOutput {
  const forced = checkMergeable(runs, opts.force);
  const shadowOf = shadowPlan(runs, opts.force);
  if (shadowOf.forced) forced.push(shadowOf.forced);
  const late = latenessPlan(runs, opts.force);
  if (late.forced) forced.push(late.forced);
  const notices = forced.map((f) => `merged despite: ${f} (--force)`);
  const first = runs[0]!.results;
  const windowMs = first.windows.window_ms;
  const stageNames = stageNamesOf(first);
  const arms = armNames(first);
  const named = Boolean(first.arms && first.arms.length > 0);
  const ranMs = Math.max(...runs.map((r) => r.results.duration_ms));
  const noQuality = { ageMs: () => 0, tobErrorTicks: () => 0 };

  const uncached = new PathRecorder<OrderBook>('uncached', windowMs, 0, stageNames, noQuality, false);
  for (const r of runs) uncached.absorb(serializedPath(r, 'uncached', 'uncached', stageNames));
  const armOutputs: ArmOutput<OrderBook>[] = arms.map((name, k) => {
    const key = k === 0 ? 'cached' : name;
    const rec = new PathRecorder<OrderBook>(key, windowMs, 0, stageNames, noQuality, true);
    const refreshLatency = new WindowedHistogram(`${key}.refresh_latency`, windowMs, 1000);
    const cacheStats = emptyStats();
    for (const r of runs) {
      rec.absorb(serializedPath(r, key, key, stageNames));
      refreshLatency.absorb(r.hlogs[`${key}.refresh_latency`]?.windows ?? []);
      addCacheCounts(cacheStats, r.results.paths[key]?.cache);
    }
    const overrides = first.arms?.[k]?.md_cache;
    // The arm's resolved md_cache as its run reported it (buildResults reports the overrides only).
    const mdCache = { ...(first.scenario.md_cache as object), ...overrides } as unknown as MdCacheConfig;
    return { name, mdCache, overrides, rec, refreshLatency, cacheStats };
  });
  for (const rec of [uncached, ...armOutputs.map((a) => a.rec)]) rec.rest.end(ranMs);
  const windowCount = Math.max(1, ...runs.map((r) => pathWindows(r.results, 'uncached').length), Math.ceil(ranMs / windowMs));
  const atEnd = runs.some((r) => r.results.paths.uncached.dropped_at_end !== undefined);
  const sumAtEnd = (key: string): number => runs.reduce((n, r) => n + (r.results.paths[key]?.dropped_at_end ?? 0), 0);
  const a0 = armOutputs[0]!;
  const sim: SimulationOutput<OrderBook> = {
    uncached,
    cached: a0.rec,
    refreshLatency: a0.refreshLatency,
    cacheStats: a0.cacheStats,
    ...(named ? { arms: armOutputs } : {}),
    windowCount,
    ranMs,
    interrupted: runs.some((r) => r.results.run.interrupted),
    ...(late.merge ? mergeLateness(late.merge, windowMs) : {}),
    ...(atEnd ? { droppedAtEnd: { uncached: sumAtEnd('uncached'), cached: sumAtEnd('cached'), arms: arms.map((n, k) => sumAtEnd(k === 0 ? 'cached' : n)) } } : {}),
  };

  const scenario: Record<string, unknown> = { ...first.scenario };
  const symbols = symbolUnion(runs);
  if (symbols) {
    scenario.symbols = symbols.listed ? symbols.list : { list: symbols.list };
    scenario.symbol_count = symbols.list.length;
  }
  const realClock = first.run.clock === 'real';
  const runInfo: RunInfo = {
    id: opts.run.id,
    started_at: runs.map((r) => r.results.run.started_at).sort()[0]!,
    wall_ms: Math.max(...runs.map((r) => r.results.run.wall_ms ?? 0)),
    host: [...new Set(runs.map((r) => r.results.run.host))].join(','),
    version: opts.run.version,
    command: opts.run.command,
    clock: first.run.clock,
    ...(sim.interrupted ? { interrupted: true } : {}),
    merged: {
      runs: runs.map((r) => ({ dir: r.dir, id: r.results.run.id, host: r.results.run.host, seed: r.results.seed, duration_ms: r.results.duration_ms })),
      ...(forced.length > 0 ? { forced } : {}),
    },
  };
  const peak = runs.map((r) => r.results.run.peak_heap_mb).filter((x): x is number => typeof x === 'number');
  if (peak.length > 0) runInfo.peak_heap_mb = Math.max(...peak);
  const results = buildResults({ run: runInfo, scenario, seed: first.seed, durationMs: ranMs, windowMs, stageNames, sim });

  if (runs.some((r) => r.results.fleet)) notices.push("the runs' fleet sections (simulated fleets) are not merged");
  // The shared (L2) tier's counts of the processes' caches: summed (its round trip: the worst run's percentiles).
  const shared = runs.map((r) => r.results.paths.cached.cache?.shared).filter((x): x is SharedTierResult => x !== undefined);
  if (shared.length > 0 && results.paths.cached.cache) results.paths.cached.cache.shared = sumShared(shared);
  const shadow = shadowOf.merge ? mergeShadow(runs, windowMs) : undefined;
  if (shadow) {
    results.shadow = shadow.shadow;
    for (const h of shadow.histograms) results.histograms[h.name] = `${h.name}.hlog`;
  }

  const gates = opts.gates === null ? undefined : (opts.gates ?? (runs.some((r) => r.results.gates) ? gatesFromScenario(results.scenario, 'scenario gates of the merged runs', armNames(results)) : undefined));
  if (gates) {
    const ev = evaluateGates(results, gates);
    results.gates = ev.gates;
    results.verdict = ev.verdict;
    for (const a of ev.arms ?? []) {
      const r = results.arms?.find((x) => x.name === a.name);
      if (r) r.verdict = a.verdict;
    }
  }

  // The merged .hlog files: StartTime 0 in virtual time (deterministic), else the earliest run's start.
  const starts = runs.flatMap((r) => Object.values(r.hlogs).map((h) => h.startTimeSec));
  const startSec = realClock && starts.length > 0 ? Math.min(...starts) : 0;
  const hlogs: Record<string, string> = {};
  for (const h of [...recordedHistograms(sim), ...(shadow?.histograms ?? [])]) hlogs[`${h.name}.hlog`] = renderHlog(h, startSec, `mdcache ${h.name}: values in ${h.scale === 1000 ? 'microseconds' : 'exchange ticks'}, one interval per ${windowMs / 1000} s window`);
  return { results, hlogs, notices };
}

/**
 * The scheduler lateness of real-clock runs: merged exactly from the runs' `scheduler.lateness.hlog` (every
 * run that reports a lateness has one). A run that reports it without the file (an older mdcache) is
 * refused unless `force`, which leaves the lateness out.
 */
function latenessPlan(runs: readonly LoadedRun[], force = false): { merge?: LoadedRun[]; forced?: string } {
  const withLateness = runs.filter((r) => r.results.scheduler_lateness_ms !== undefined);
  if (withLateness.length === 0) return {};
  const old = withLateness.find((r) => r.hlogs[LATENESS_HISTOGRAM] === undefined);
  if (old) {
    const what = `${old.dir} reports scheduler_lateness_ms without its ${LATENESS_HISTOGRAM}.hlog (written by an older mdcache), so the lateness cannot be merged exactly`;
    if (!force) throw new UsageError(`merge: refusing to merge: ${what}; use --force to merge without it`);
    return { forced: `${what} (scheduler_lateness_ms is left out)` };
  }
  return { merge: withLateness };
}

function mergeLateness(runs: readonly LoadedRun[], windowMs: number): Pick<SimulationOutput<OrderBook>, 'schedulerLateness' | 'schedulerLatenessMs'> {
  const h = new WindowedHistogram(LATENESS_HISTOGRAM, windowMs, 1000);
  for (const r of runs) h.absorb(r.hlogs[LATENESS_HISTOGRAM]!.windows);
  return { schedulerLateness: h, schedulerLatenessMs: h.summary() };
}

/** loadRun for each directory, then mergeRuns. */
export function mergeRunDirs(dirs: readonly string[], opts: MergeOptions): MergeOutput {
  return mergeRuns(
    dirs.map((d) => loadRun(d)),
    opts,
  );
}
