/**
 * Scenarios: YAML documents describing a market, its symbols and the REST endpoint, validated with the
 * all-problems Reader. Blocks owned by other parts (pipeline, md_cache, gates) are kept raw here and read
 * by their owners through the `extra` hook of parseScenario.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join as joinPath } from 'node:path';
import { ConfigError, UsageError } from '../core/errors.js';
import { rngStream } from '../core/rng.js';
import { parseDuration, durationHint } from '../core/duration.js';
import { Reader, join, show, didYouMean, type Obj } from '../config/reader.js';
import { parseYaml, readTextFile } from '../config/load.js';
import { readLatency } from '../market/latency.js';
import { MARKET_DEFAULTS, type MarketParams, type SymbolParams, type FaultParams } from '../market/params.js';
import { REST_DEFAULTS, type RestParams } from '../market/rest.js';
import { REST_COST_KEYS, readRestCost } from './rest-cost.js';
import { parseTickSize, priceToTicks, ticksToPrice, TickError } from '../market/ticks.js';
import { MarketSim } from '../market/sim.js';

export interface GenerateSymbols {
  count: number;
  /** Symbol names are `${prefix}${index, 4 digits}USDT`. */
  prefix: string;
  /** Tick sizes drawn uniformly per symbol. */
  tick_sizes: string[];
  /** Initial prices are log-uniform in [price_min, price_max] (rounded to the tick; at least 20·levels ticks). */
  price_min: number;
  price_max: number;
  /** Activity (update-rate multiplier) is lognormal with mean 1 and this sigma. */
  activity_sigma: number;
  qty_decimals: number;
}

export type SymbolsSpec = { list: SymbolParams[]; generate?: undefined } | { list?: undefined; generate: GenerateSymbols };

export interface Scenario {
  name: string;
  description: string;
  seed: number;
  /** Default run length (ms), from `duration: 30m`; undefined when not set. */
  duration_ms: number | undefined;
  symbols: SymbolsSpec;
  market: MarketParams;
  rest: RestParams;
  /** Raw blocks read by their owners (pipeline, cache config, gates). */
  pipeline: unknown;
  md_cache: unknown;
  gates: unknown;
  /** Where it came from (file path or 'input'). */
  source: string;
}

/**
 * Most symbols in a run: each costs about 55 KB (its order book, market state and per-symbol streams; a 10 s
 * bench of 10,000 symbols peaks at ~550 MB RSS), so this keeps a run within ~600 MB.
 */
export const MAX_SYMBOLS = 10_000;

export const SCENARIO_KEYS = ['name', 'description', 'seed', 'duration', 'symbols', 'market', 'rest', 'pipeline', 'md_cache', 'arms', 'gates', 'fleet'] as const;

export const GENERATE_DEFAULTS: GenerateSymbols = {
  count: 100,
  prefix: 'SYM',
  tick_sizes: ['0.01', '0.001', '0.0001', '0.00001', '0.1', '0.5'],
  price_min: 0.05,
  price_max: 50_000,
  activity_sigma: 1,
  qty_decimals: 3,
};

const SYMBOL_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

/**
 * Validates a parsed scenario document (or YAML text). Every problem is collected; throws ConfigError.
 * `extra(r, top)` lets other parts validate their raw blocks (pipeline, md_cache, gates) in the same pass.
 */
export function parseScenario(input: unknown, source = 'scenario', extra?: (r: Reader, top: Obj) => void): Scenario {
  const data = typeof input === 'string' ? parseYaml(input, source) : input;
  const r = new Reader();
  const top = r.object(data ?? {}, '') ?? {};
  r.unknownKeys(top, '', SCENARIO_KEYS);
  const name = r.string(top, 'name', '', '');
  if (top.name === undefined || top.name === null) r.add('name', 'missing; a short scenario name');
  else if (typeof top.name === 'string' && name.trim() === '') r.add('name', 'empty; a short scenario name');
  const description = r.string(top, 'description', '', '');
  // null is not "omitted" here: a seed: key with no value is a mistake, not a request for the default seed 1.
  if (top.seed === null) r.add('seed', 'null is not a seed; a whole number, or omit the key for seed 1');
  const seed = r.number(top, 'seed', '', 1, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
  let duration_ms: number | undefined;
  if (top.duration !== undefined && top.duration !== null) {
    if (typeof top.duration !== 'string') r.add('duration', `expected a duration like 30m, got ${show(top.duration)}`);
    else {
      duration_ms = parseDuration(top.duration);
      if (duration_ms === undefined) r.add('duration', durationHint(top.duration));
    }
  }
  const market = readMarket(r, top.market, 'market');
  const symbols = readSymbols(r, top.symbols, 'symbols', market);
  const rest = readRest(r, top.rest, 'rest');
  extra?.(r, top);
  if (!r.ok) throw new ConfigError(r.problems, source);
  return { name, description, seed, duration_ms, symbols, market, rest, pipeline: top.pipeline, md_cache: top.md_cache, gates: top.gates, source };
}

function readRest(r: Reader, raw: unknown, path: string): RestParams {
  const o = r.object(raw, path);
  if (o) r.unknownKeys(o, path, ['latency', 'error_rate', 'timeout_ms', ...REST_COST_KEYS]);
  return {
    latency: readLatency(r, o?.latency, join(path, 'latency'), REST_DEFAULTS.latency),
    error_rate: r.number(o, 'error_rate', path, REST_DEFAULTS.error_rate, { min: 0, max: 1 }),
    timeout_ms: r.number(o, 'timeout_ms', path, REST_DEFAULTS.timeout_ms, { gt: 0, max: 600_000 }),
    ...readRestCost(r, o, path),
  };
}

function sub(r: Reader, o: Obj | undefined, key: string, path: string, keys: readonly string[]): Obj | undefined {
  const p = join(path, key);
  const s = r.object(o?.[key], p);
  if (s) r.unknownKeys(s, p, keys);
  return s;
}

function readRange(r: Reader, o: Obj | undefined, path: string, def: { min_ms: number; max_ms: number }): { min_ms: number; max_ms: number } {
  if (o?.duration_ms !== undefined && (o.min_ms !== undefined || o.max_ms !== undefined)) r.add(join(path, 'duration_ms'), 'give either duration_ms or min_ms/max_ms, not both');
  if (o?.duration_ms !== undefined) {
    const d = r.number(o, 'duration_ms', path, def.min_ms, { min: 1, max: 3_600_000 });
    return { min_ms: d, max_ms: d };
  }
  const min_ms = r.number(o, 'min_ms', path, def.min_ms, { min: 1, max: 3_600_000 });
  const max_ms = r.number(o, 'max_ms', path, Math.max(min_ms, def.max_ms), { min: 1, max: 3_600_000 });
  if (max_ms < min_ms) r.add(join(path, 'max_ms'), `${max_ms} must be >= min_ms (${min_ms})`);
  return { min_ms, max_ms: Math.max(min_ms, max_ms) };
}

export function readMarket(r: Reader, raw: unknown, path = 'market'): MarketParams {
  const d = MARKET_DEFAULTS;
  const o = r.object(raw, path);
  if (o) r.unknownKeys(o, path, ['update_rate_hz', 'hawkes', 'diffusion_ticks', 'jumps', 'spread', 'depth', 'faults']);
  const hk = sub(r, o, 'hawkes', path, ['alpha', 'beta']);
  const hp = join(path, 'hawkes');
  const hawkes = { alpha: r.number(hk, 'alpha', hp, d.hawkes.alpha, { min: 0, max: 10_000 }), beta: r.number(hk, 'beta', hp, d.hawkes.beta, { gt: 0, max: 10_000 }) };
  if (hawkes.alpha >= hawkes.beta && hawkes.alpha > 0) r.add(join(hp, 'alpha'), `${hawkes.alpha} must be < beta (${hawkes.beta}) for a stationary process`);
  const jo = sub(r, o, 'jumps', path, ['rate_hz', 'mean_ticks']);
  const jp = join(path, 'jumps');
  const so = sub(r, o, 'spread', path, ['min_ticks', 'typical_ticks', 'change_prob']);
  const sp = join(path, 'spread');
  const min_ticks = r.number(so, 'min_ticks', sp, d.spread.min_ticks, { integer: true, min: 1, max: 1_000_000 });
  const typical_ticks = r.number(so, 'typical_ticks', sp, Math.max(min_ticks, d.spread.typical_ticks), { min: 1, max: 1_000_000 });
  if (typical_ticks < min_ticks) r.add(join(sp, 'typical_ticks'), `${typical_ticks} must be >= min_ticks (${min_ticks})`);
  const dob = sub(r, o, 'depth', path, ['levels', 'base_qty', 'decay', 'noise', 'changes_per_update', 'change_depth_mean', 'hole_prob']);
  const dp = join(path, 'depth');
  return {
    update_rate_hz: r.number(o, 'update_rate_hz', path, d.update_rate_hz, { min: 0, max: 10_000 }),
    hawkes,
    diffusion_ticks: r.number(o, 'diffusion_ticks', path, d.diffusion_ticks, { min: 0, max: 10_000 }),
    jumps: { rate_hz: r.number(jo, 'rate_hz', jp, d.jumps.rate_hz, { min: 0, max: 1000 }), mean_ticks: r.number(jo, 'mean_ticks', jp, d.jumps.mean_ticks, { min: 1, max: 1_000_000 }) },
    spread: { min_ticks, typical_ticks: Math.max(min_ticks, typical_ticks), change_prob: r.number(so, 'change_prob', sp, d.spread.change_prob, { min: 0, max: 1 }) },
    depth: {
      levels: r.number(dob, 'levels', dp, d.depth.levels, { integer: true, min: 1, max: 5000 }),
      base_qty: r.number(dob, 'base_qty', dp, d.depth.base_qty, { gt: 0, max: 1e12 }),
      decay: r.number(dob, 'decay', dp, d.depth.decay, { min: 0, max: 10 }),
      noise: r.number(dob, 'noise', dp, d.depth.noise, { min: 0, max: 5 }),
      changes_per_update: r.number(dob, 'changes_per_update', dp, d.depth.changes_per_update, { min: 1, max: 1000 }),
      change_depth_mean: r.number(dob, 'change_depth_mean', dp, d.depth.change_depth_mean, { gt: 0, max: 5000 }),
      hole_prob: r.number(dob, 'hole_prob', dp, d.depth.hole_prob, { min: 0, max: 0.9 }),
    },
    faults: readFaults(r, o?.faults, join(path, 'faults')),
  };
}

function readFaults(r: Reader, raw: unknown, path: string): FaultParams {
  const d = MARKET_DEFAULTS.faults;
  const o = r.object(raw, path);
  if (o) r.unknownKeys(o, path, Object.keys(d));
  const rate = (f: Obj | undefined, p: string): number => r.number(f, 'rate_hz', p, 0, { min: 0, max: 1000 });
  const p = (k: string): string => join(path, k);
  const ws = sub(r, o, 'ws_silence', path, ['rate_hz', 'min_ms', 'max_ms', 'duration_ms']);
  const gap = sub(r, o, 'seq_gap', path, ['rate_hz', 'events']);
  const ooo = sub(r, o, 'out_of_order', path, ['rate_hz']);
  const pj = sub(r, o, 'price_jump', path, ['rate_hz', 'ticks']);
  const cr = sub(r, o, 'crossed', path, ['rate_hz', 'ticks']);
  const dc = sub(r, o, 'disconnect', path, ['rate_hz', 'min_ms', 'max_ms', 'duration_ms']);
  return {
    ws_silence: { rate_hz: rate(ws, p('ws_silence')), ...readRange(r, ws, p('ws_silence'), d.ws_silence) },
    seq_gap: { rate_hz: rate(gap, p('seq_gap')), events: r.number(gap, 'events', p('seq_gap'), d.seq_gap.events, { integer: true, min: 1, max: 1_000_000 }) },
    out_of_order: { rate_hz: rate(ooo, p('out_of_order')) },
    price_jump: { rate_hz: rate(pj, p('price_jump')), ticks: r.number(pj, 'ticks', p('price_jump'), d.price_jump.ticks, { integer: true, min: 1, max: 1_000_000 }) },
    crossed: { rate_hz: rate(cr, p('crossed')), ticks: r.number(cr, 'ticks', p('crossed'), d.crossed.ticks, { integer: true, min: 1, max: 1_000_000 }) },
    disconnect: { rate_hz: rate(dc, p('disconnect')), ...readRange(r, dc, p('disconnect'), d.disconnect) },
  };
}

function decimalString(r: Reader, o: Obj, key: string, path: string, example: string): string | undefined {
  const v = o[key];
  const p = join(path, key);
  if (v === undefined || v === null) {
    r.add(p, `missing; a decimal string like "${example}"`);
    return undefined;
  }
  if (typeof v === 'number') {
    r.add(p, `${v} must be a quoted decimal string like "${example}" (YAML reads unquoted ${v} as a float)`);
    return undefined;
  }
  if (typeof v !== 'string') {
    r.add(p, `expected a decimal string like "${example}", got ${show(v)}`);
    return undefined;
  }
  return v;
}

function readSymbols(r: Reader, raw: unknown, path: string, market: MarketParams): SymbolsSpec {
  if (raw === undefined || raw === null) {
    r.add(path, 'missing; a list of { symbol, tick_size, price } or { generate: { count: N } }');
    return { list: [] };
  }
  if (!Array.isArray(raw)) {
    const o = r.object(raw, path);
    if (!o) return { list: [] };
    r.unknownKeys(o, path, ['generate']);
    const go = r.object(o.generate, join(path, 'generate'));
    if (!go) {
      r.add(join(path, 'generate'), 'missing; e.g. { count: 100 }');
      return { list: [] };
    }
    return { generate: readGenerate(r, go, join(path, 'generate')) };
  }
  const list: SymbolParams[] = [];
  const seen = new Set<string>();
  if (raw.length === 0) r.add(path, 'needs at least one symbol');
  raw.forEach((item, i) => {
    const p = join(path, i);
    const o = r.object(item, p);
    if (!o) {
      if (item === undefined || item === null) r.add(p, 'expected a mapping { symbol, tick_size, price }');
      return;
    }
    r.unknownKeys(o, p, ['symbol', 'tick_size', 'price', 'qty_decimals', 'activity', 'diffusion_ticks', 'typical_spread_ticks']);
    const symbol = r.string(o, 'symbol', p, '');
    if (o.symbol === undefined || o.symbol === null) r.add(join(p, 'symbol'), 'missing; e.g. BTCUSDT');
    else if (typeof o.symbol === 'string' && !SYMBOL_RE.test(symbol)) r.add(join(p, 'symbol'), `${show(symbol)} is not a valid symbol (letters, digits, _ . -)`);
    else if (symbol && seen.has(symbol)) r.add(join(p, 'symbol'), `duplicate symbol ${symbol}`);
    seen.add(symbol);
    const tick_size = decimalString(r, o, 'tick_size', p, '0.01');
    const price = decimalString(r, o, 'price', p, '65000.00');
    let ok = tick_size !== undefined && price !== undefined;
    if (tick_size !== undefined) {
      try {
        parseTickSize(tick_size);
      } catch (err) {
        r.add(join(p, 'tick_size'), (err as Error).message);
        ok = false;
      }
    }
    if (ok) {
      try {
        const ticks = priceToTicks(price!, tick_size!);
        if (ticks < 2 * market.depth.levels) r.add(join(p, 'price'), `'${price}' is only ${ticks} ticks of ${tick_size}; needs at least ${2 * market.depth.levels} (2 × market.depth.levels) so every level has a positive price`);
      } catch (err) {
        r.add(join(p, 'price'), err instanceof TickError ? err.message : String(err));
      }
    }
    const sp: SymbolParams = {
      symbol,
      tick_size: tick_size ?? '1',
      price: price ?? '0',
      qty_decimals: r.number(o, 'qty_decimals', p, 5, { integer: true, min: 0, max: 12 }),
      activity: r.number(o, 'activity', p, 1, { gt: 0, max: 1000 }),
    };
    const dt = r.optionalNumber(o, 'diffusion_ticks', p, { min: 0, max: 10_000 });
    if (dt !== undefined) sp.diffusion_ticks = dt;
    const ts = r.optionalNumber(o, 'typical_spread_ticks', p, { min: 1, max: 1_000_000 });
    if (ts !== undefined) sp.typical_spread_ticks = ts;
    list.push(sp);
  });
  return { list };
}

function readGenerate(r: Reader, o: Obj, path: string): GenerateSymbols {
  const d = GENERATE_DEFAULTS;
  r.unknownKeys(o, path, Object.keys(d));
  let tick_sizes = d.tick_sizes;
  if (o.tick_sizes !== undefined) {
    const l = r.list(o.tick_sizes, join(path, 'tick_sizes'));
    if (l) {
      if (l.length === 0) r.add(join(path, 'tick_sizes'), 'needs at least one tick size');
      const ok: string[] = [];
      l.forEach((t, i) => {
        const p = join(join(path, 'tick_sizes'), i);
        if (typeof t !== 'string') return r.add(p, `${show(t)} must be a quoted decimal string like "0.01"`);
        try {
          parseTickSize(t);
          ok.push(t);
        } catch (err) {
          r.add(p, (err as Error).message);
        }
      });
      if (ok.length > 0) tick_sizes = ok;
    }
  }
  const price_min = r.number(o, 'price_min', path, d.price_min, { gt: 0, max: 1e9 });
  const price_max = r.number(o, 'price_max', path, Math.max(price_min, d.price_max), { gt: 0, max: 1e9 });
  if (price_max < price_min) r.add(join(path, 'price_max'), `${price_max} must be >= price_min (${price_min})`);
  const prefix = r.string(o, 'prefix', path, d.prefix);
  if (!/^[A-Za-z0-9]{1,20}$/.test(prefix)) r.add(join(path, 'prefix'), `${show(prefix)} must be 1-20 letters or digits`);
  return {
    count: r.number(o, 'count', path, d.count, { integer: true, min: 1, max: MAX_SYMBOLS }),
    prefix,
    tick_sizes,
    price_min,
    price_max: Math.max(price_min, price_max),
    activity_sigma: r.number(o, 'activity_sigma', path, d.activity_sigma, { min: 0, max: 5 }),
    qty_decimals: r.number(o, 'qty_decimals', path, d.qty_decimals, { integer: true, min: 0, max: 12 }),
  };
}

/** The i-th generated symbol (depends only on seed, i and the generate spec, never on count). */
export function generatedSymbol(seed: number | string, g: GenerateSymbols, i: number, levels: number): SymbolParams {
  const rng = rngStream(seed, `symbols/${i}`);
  const tick_size = rng.pick(g.tick_sizes);
  const tick = parseTickSize(tick_size);
  const tickF = Number(tick.str);
  const lp = Math.log(g.price_min) + (Math.log(g.price_max) - Math.log(g.price_min)) * rng.next();
  const ticks = Math.max(20 * levels, Math.min(Math.round(Math.exp(lp) / tickF), 2 ** 40));
  const s = g.activity_sigma;
  const activity = Math.exp(s * rng.normal() - (s * s) / 2);
  return { symbol: `${g.prefix}${String(i).padStart(4, '0')}USDT`, tick_size, price: ticksToPrice(ticks, tick), qty_decimals: g.qty_decimals, activity };
}

/** The scenario's symbols, resolved (generated sets expanded). */
export function resolveSymbols(sc: Scenario): SymbolParams[] {
  if (sc.symbols.list) return sc.symbols.list;
  const g = sc.symbols.generate!;
  return Array.from({ length: g.count }, (_, i) => generatedSymbol(sc.seed, g, i, sc.market.depth.levels));
}

/**
 * The scenario with exactly `n` symbols: a generated set gets count = n; a list is cut to its first n, or
 * extended with generated symbols (default generate spec) up to n.
 */
export function withSymbolCount(sc: Scenario, n: number): Scenario {
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`symbol count must be a whole number >= 1, got ${n}`);
  if (sc.symbols.generate) return { ...sc, symbols: { generate: { ...sc.symbols.generate, count: n } } };
  const list = sc.symbols.list!;
  if (n <= list.length) return { ...sc, symbols: { list: list.slice(0, n) } };
  const have = new Set(list.map((s) => s.symbol));
  const extra: SymbolParams[] = [];
  for (let i = 0; list.length + extra.length < n; i++) {
    const s = generatedSymbol(sc.seed, GENERATE_DEFAULTS, i, sc.market.depth.levels);
    if (!have.has(s.symbol)) extra.push(s);
  }
  return { ...sc, symbols: { list: [...list, ...extra] } };
}

/** The scenario's market as a lazily advanceable feed. */
export function createMarket(sc: Scenario, opts: { seed?: number | string; start?: number } = {}): MarketSim {
  return new MarketSim({ seed: opts.seed ?? sc.seed, symbols: resolveSymbols(sc), market: sc.market, start: opts.start });
}

/** The package's scenarios/ directory (works from src/ and dist/). */
export function scenariosDir(): string {
  return fileURLToPath(new URL('../../scenarios/', import.meta.url));
}

/** Names of the shipped scenarios. */
export function listScenarios(): string[] {
  try {
    return readdirSync(scenariosDir())
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

/** A scenario NAME (shipped) or FILE path → the file to read. UsageError when neither exists. */
export function resolveScenarioPath(nameOrFile: string): string {
  const looksLikePath = nameOrFile.includes('/') || nameOrFile.includes('\\') || /\.ya?ml$/i.test(nameOrFile);
  if (looksLikePath || (existsSync(nameOrFile) && statSync(nameOrFile).isFile())) return nameOrFile;
  const file = joinPath(scenariosDir(), `${nameOrFile}.yaml`);
  if (existsSync(file)) return file;
  const names = listScenarios();
  const hint = didYouMean(nameOrFile, names);
  throw new UsageError(`unknown scenario '${nameOrFile}'${hint ? ` (did you mean '${hint}'?)` : ''}; shipped: ${names.join(', ')}; or give a path to a .yaml file`);
}

/** Loads a scenario by NAME or FILE (ConfigError listing every problem; UsageError for a missing file). */
export function loadScenario(nameOrFile: string, extra?: (r: Reader, top: Obj) => void): Scenario {
  const file = resolveScenarioPath(nameOrFile);
  return parseScenario(parseYaml(readTextFile(file, 'scenario file'), file), file, extra);
}
