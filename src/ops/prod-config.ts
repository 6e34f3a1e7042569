/**
 * The operations config (`prod.yaml`) for `shadow` and `canary`: the cache config, the market source, the
 * pipeline, the gates and the shadow/canary settings — validated all at once (every problem named).
 */
import { ConfigError } from '../core/errors.js';
import { parseDuration, durationHint } from '../core/duration.js';
import { Reader, join, show, type Obj } from '../config/reader.js';
import { dirname, isAbsolute, join as joinPath } from 'node:path';
import { parseYaml, readTextFile } from '../config/load.js';
import { readMdCache, type MdCacheConfig } from '../config/md-cache.js';
import { readGates } from '../gates/spec.js';
import type { GateSpec } from '../gates/types.js';
import { readPipeline, type PipelineConfig } from '../pipeline/config.js';
import type { RestCostParams } from '../market/rest-cost.js';
import { REST_COST_KEYS, readRestCost } from '../scenario/rest-cost.js';
import { readFleet } from '../sim/fleet-config.js';
import type { FleetSpec } from '../sim/fleet.js';

export type SourceConfig =
  | { type: 'synthetic'; scenario: string; seed: number | undefined }
  | { type: 'replay'; file: string; scenario: string; seed: number | undefined }
  | { type: 'binance'; rest_url: string; ws_url: string; symbols: string[]; scenario: string };

export interface ShadowSettings {
  duration_ms: number;
  /** Statistics window; undefined = a tenth of the run, between 1 s and 1 minute. */
  window_ms: number | undefined;
  metrics_host: string;
  metrics_port: number;
  /** Worst mismatches kept for the report. */
  worst_examples: number;
  /** Levels per side compared for depth mismatches. */
  compare_depth: number;
}

export interface CanarySettings {
  /** Traffic shares in percent, increasing, the last one 100. */
  steps: number[];
  step_duration_ms: number;
  window_ms: number;
  /** Extra rollback conditions (status pass = roll back), added to the defaults. */
  rollback_gates: GateSpec[] | undefined;
  /**
   * What a step's share is a share of: `process` (of fleet.processes; the rest are the control) or `symbol`
   * (sticky hash of the name). Undefined: `process` when fleet.processes > 1, else `symbol`.
   */
  unit: CanaryUnit | undefined;
}

export const CANARY_UNITS = ['process', 'symbol'] as const;
export type CanaryUnit = (typeof CANARY_UNITS)[number];

export interface ProdConfig {
  source: SourceConfig;
  md_cache: MdCacheConfig;
  /** Undefined: use the scenario's pipeline. */
  pipeline: PipelineConfig | undefined;
  gates: GateSpec[] | undefined;
  /** REST cost keys set in prod.yaml's `rest:` block (budget, weights, rate_limit); they override the scenario's. */
  rest: Partial<RestCostParams>;
  shadow: ShadowSettings;
  canary: CanarySettings;
  /** `fleet:` — how many processes run the pipeline (canary by process); undefined = one. */
  fleet: FleetSpec | undefined;
  file: string;
}

export const SHADOW_DEFAULTS: ShadowSettings = { duration_ms: 60 * 60_000, window_ms: undefined, metrics_host: '127.0.0.1', metrics_port: 9464, worst_examples: 10, compare_depth: 10 };
export const CANARY_DEFAULTS: CanarySettings = { steps: [10, 50, 100], step_duration_ms: 10 * 60_000, window_ms: 60_000, rollback_gates: undefined, unit: undefined };

const TOP_KEYS = ['md_cache', 'source', 'pipeline', 'gates', 'rest', 'shadow', 'canary', 'fleet'];

function readDuration(r: Reader, o: Obj | undefined, key: string, path: string, def: number, min = 0): number {
  const v = o?.[key];
  if (v === undefined || v === null) return def;
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined || !(ms > 0)) {
    r.add(join(path, key), typeof v === 'string' ? durationHint(v) : `expected a duration such as 10m, got ${show(v)}`);
    return def;
  }
  if (ms < min) {
    r.add(join(path, key), `${show(v)} is too short; at least ${min} ms`);
    return def;
  }
  return ms;
}

/** A canary step shorter than this cannot decide anything (it needs 5 statistics windows of 2 s). */
export const MIN_STEP_DURATION_MS = 10_000;

function readSource(r: Reader, raw: unknown): SourceConfig {
  const def: SourceConfig = { type: 'synthetic', scenario: 'baseline', seed: undefined };
  if (raw === undefined || raw === null) return def;
  if (typeof raw === 'string') {
    if (raw === 'synthetic') return def;
    if (raw.startsWith('replay:') && raw.length > 7) return { type: 'replay', file: raw.slice(7), scenario: 'baseline', seed: undefined };
    if (raw.startsWith('synthetic:') && raw.length > 10) return { ...def, scenario: raw.slice(10) };
    r.add('source', `${show(raw)} is not a source; use synthetic, synthetic:SCENARIO, replay:FILE.jsonl, or a mapping with type: synthetic | replay | binance`);
    return def;
  }
  const o = r.object(raw, 'source');
  if (!o) return def;
  const type = r.oneOf(o, 'type', 'source', ['synthetic', 'replay', 'binance'] as const, 'synthetic');
  const seed = r.optionalNumber(o, 'seed', 'source', { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
  if (type === 'binance') {
    r.unknownKeys(o, 'source', ['type', 'rest_url', 'ws_url', 'symbols', 'scenario']);
    const rest_url = r.string(o, 'rest_url', 'source', '');
    const ws_url = r.string(o, 'ws_url', 'source', '');
    if (o.rest_url === undefined || o.rest_url === null) r.add('source.rest_url', 'is required for type: binance, e.g. rest_url: http://127.0.0.1:8080');
    else if (!/^https?:\/\//.test(rest_url)) r.add('source.rest_url', `${show(o.rest_url)} must be an http(s):// URL, e.g. http://127.0.0.1:8080`);
    if (o.ws_url === undefined || o.ws_url === null) r.add('source.ws_url', 'is required for type: binance, e.g. ws_url: ws://127.0.0.1:8080');
    else if (!/^wss?:\/\//.test(ws_url)) r.add('source.ws_url', `${show(o.ws_url)} must be a ws(s):// URL, e.g. ws://127.0.0.1:8080`);
    const list = r.list(o.symbols, 'source.symbols') ?? [];
    if (list.length === 0) r.add('source.symbols', 'needs at least one symbol, e.g. [BTCUSDT]');
    const symbols = list.filter((s, i) => {
      const ok = typeof s === 'string' && /^[A-Za-z0-9]{2,40}$/.test(s);
      if (!ok) r.add(`source.symbols[${i}]`, `${show(s)} is not a symbol name`);
      return ok;
    }) as string[];
    return { type, rest_url, ws_url, symbols: symbols.map((s) => s.toUpperCase()), scenario: r.string(o, 'scenario', 'source', 'baseline') };
  }
  r.unknownKeys(o, 'source', type === 'replay' ? ['type', 'file', 'scenario', 'seed'] : ['type', 'scenario', 'seed']);
  const scenario = r.string(o, 'scenario', 'source', 'baseline');
  if (type === 'replay') {
    const file = r.string(o, 'file', 'source', '');
    if (!file) r.add('source.file', 'is required for type: replay (a .jsonl file written by mdcache generate)');
    return { type, file, scenario, seed };
  }
  return { type, scenario, seed };
}

function readSteps(r: Reader, raw: unknown, path: string): number[] {
  if (raw === undefined || raw === null) return CANARY_DEFAULTS.steps;
  const list = typeof raw === 'string' ? raw.split(',').map((s) => Number(s.trim())) : r.list(raw, path);
  if (!list) return CANARY_DEFAULTS.steps;
  return validateSteps(list, (msg) => r.add(path, msg)) ?? CANARY_DEFAULTS.steps;
}

/** Steps must be whole percentages in [1, 100], strictly increasing, ending at 100. Reports through `bad`. */
export function validateSteps(list: unknown[], bad: (msg: string) => void): number[] | undefined {
  const steps: number[] = [];
  for (const v of list) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 100) {
      bad(`${show(v)} is not a traffic share; use whole percentages in [1, 100], e.g. 10,50,100`);
      return undefined;
    }
    steps.push(v);
  }
  if (steps.length === 0) bad('needs at least one step, e.g. 10,50,100');
  else if (steps.some((s, i) => i > 0 && s <= steps[i - 1]!)) bad(`${steps.join(',')} must increase strictly, e.g. 10,50,100`);
  else if (steps[steps.length - 1] !== 100) bad(`${steps.join(',')} must end at 100 (full rollout)`);
  else return steps;
  return undefined;
}

export function parseProdConfig(input: unknown, source = 'config'): ProdConfig {
  const data = typeof input === 'string' ? parseYaml(input, source) : input;
  const r = new Reader();
  const top = r.object(data ?? {}, '') ?? {};
  r.unknownKeys(top, '', TOP_KEYS);
  const rawCache = top.md_cache;
  const cacheWithEnabled = rawCache && typeof rawCache === 'object' && !Array.isArray(rawCache) && (rawCache as Obj).enabled === undefined ? { ...(rawCache as Obj), enabled: true } : (rawCache ?? { enabled: true });
  const md_cache = readMdCache(r, cacheWithEnabled, 'md_cache');
  const src = readSource(r, top.source);
  const pipeline = top.pipeline === undefined || top.pipeline === null ? undefined : readPipeline(r, top.pipeline, 'pipeline');
  const gates = readGates(r, top.gates, 'gates');
  const ro = r.object(top.rest, 'rest');
  if (ro) r.unknownKeys(ro, 'rest', [...REST_COST_KEYS]);
  const restAll = readRestCost(r, ro, 'rest');
  const rest: Partial<RestCostParams> = {};
  for (const k of REST_COST_KEYS) if (ro && ro[k] !== undefined) (rest as Record<string, unknown>)[k] = restAll[k];

  const so = r.object(top.shadow, 'shadow');
  if (so) r.unknownKeys(so, 'shadow', ['duration', 'window', 'metrics_host', 'metrics_port', 'worst_examples', 'compare_depth']);
  const sd = SHADOW_DEFAULTS;
  const shadow: ShadowSettings = {
    duration_ms: readDuration(r, so, 'duration', 'shadow', sd.duration_ms),
    window_ms: so?.window === undefined || so?.window === null ? undefined : readDuration(r, so, 'window', 'shadow', 60_000),
    metrics_host: r.string(so, 'metrics_host', 'shadow', sd.metrics_host),
    metrics_port: r.number(so, 'metrics_port', 'shadow', sd.metrics_port, { integer: true, min: 0, max: 65535 }),
    worst_examples: r.number(so, 'worst_examples', 'shadow', sd.worst_examples, { integer: true, min: 0, max: 1000 }),
    compare_depth: r.number(so, 'compare_depth', 'shadow', sd.compare_depth, { integer: true, min: 1, max: 200 }),
  };
  const co = r.object(top.canary, 'canary');
  if (co) r.unknownKeys(co, 'canary', ['steps', 'step_duration', 'window', 'rollback_gates', 'unit']);
  const canary: CanarySettings = {
    steps: readSteps(r, co?.steps, 'canary.steps'),
    step_duration_ms: readDuration(r, co, 'step_duration', 'canary', CANARY_DEFAULTS.step_duration_ms, MIN_STEP_DURATION_MS),
    window_ms: readDuration(r, co, 'window', 'canary', CANARY_DEFAULTS.window_ms),
    rollback_gates: readGates(r, co?.rollback_gates, 'canary.rollback_gates', [], { allowEmpty: true }),
    unit: co?.unit === undefined || co?.unit === null ? undefined : r.oneOf(co, 'unit', 'canary', CANARY_UNITS, 'symbol'),
  };
  const fleet = readFleet(r, top.fleet, 'fleet');
  // prod.yaml: the canary's processes share a (simulated) tier only when fleet.shared is written out.
  const fo = top.fleet as Obj | undefined;
  if (fleet && (fo === null || typeof fo !== 'object' || fo.shared === undefined || fo.shared === null)) delete fleet.shared;
  // Cross-field rules only when neither side was rejected (a rejected value was replaced by its default).
  const bad = (path: string): boolean => r.problems.some((p) => p.path === path);
  if (!bad('canary.window') && !bad('canary.step_duration') && canary.window_ms > canary.step_duration_ms) r.add('canary.window', `${canary.window_ms} ms is longer than step_duration (${canary.step_duration_ms} ms)`);
  if (!bad('shadow.window') && !bad('shadow.duration') && shadow.window_ms !== undefined && shadow.window_ms > shadow.duration_ms) r.add('shadow.window', `${shadow.window_ms} ms is longer than duration (${shadow.duration_ms} ms)`);
  if (!r.ok) throw new ConfigError(r.problems, source);
  return { source: src, md_cache, pipeline, gates, rest, shadow, canary, fleet, file: source };
}

/** Reads a prod.yaml; a relative `replay:` file resolves from the config file's folder, not the current directory. */
export function loadProdConfig(file: string): ProdConfig {
  const cfg = parseProdConfig(parseYaml(readTextFile(file, 'config file'), file), file);
  if (cfg.source.type === 'replay' && !isAbsolute(cfg.source.file)) cfg.source = { ...cfg.source, file: joinPath(dirname(file), cfg.source.file) };
  return cfg;
}
