import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, formatProblem } from '../../src/core/errors.js';
import { CANARY_DEFAULTS, SHADOW_DEFAULTS, loadProdConfig, parseProdConfig } from '../../src/ops/prod-config.js';
import { canarySet, symbolBucket } from '../../src/ops/canary.js';
import { resolveProdRun } from '../../src/ops/resolve.js';

const PROD_YAML = fileURLToPath(new URL('../../examples/prod.yaml', import.meta.url));

function problems(input: unknown): string[] {
  try {
    parseProdConfig(input, 'prod.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message.startsWith('invalid prod.yaml:\n')).toBe(true);
    return (err as ConfigError).problems.map(formatProblem);
  }
  throw new Error('expected a ConfigError');
}

describe('parseProdConfig', () => {
  it('the shipped examples/prod.yaml parses to what it says', () => {
    const cfg = loadProdConfig(PROD_YAML);
    expect(cfg.file).toBe(PROD_YAML);
    expect(cfg.source).toEqual({ type: 'synthetic', scenario: 'baseline', seed: 42 });
    expect(cfg.md_cache).toMatchObject({ enabled: true, ttl_ms: 100, stale_ok: true, max_inflight_refresh: 1, max_stale_ms: 1000 });
    expect(cfg.pipeline).toBeUndefined();
    expect(cfg.gates!.map((g) => g.name)).toEqual(['hit_ratio >= 0.7', 'fetch_md p95 improvement >= 20 ms', 'tick_total p95 <= 130 ms', 'deadline_miss < 2 %']);
    expect(cfg.shadow).toEqual({ duration_ms: 60 * 60_000, window_ms: undefined, metrics_host: '127.0.0.1', metrics_port: 9464, worst_examples: 10, compare_depth: 10 });
    expect(cfg.canary.steps).toEqual([10, 50, 100]);
    expect(cfg.canary.step_duration_ms).toBe(10 * 60_000);
    expect(cfg.canary.window_ms).toBe(60_000);
    expect(cfg.canary.rollback_gates!.map((g) => g.name)).toEqual(['rollback: deadline_miss > 5 %']);
    // and it resolves to a runnable scenario: the baseline's pipeline, the config's cache and gates
    const run = resolveProdRun(cfg);
    expect(run.seed).toBe(42);
    expect(run.bench.pipeline.stages).toHaveLength(3);
    expect(run.bench.mdCache).toBe(cfg.md_cache);
    expect(run.bench.gates).toBe(cfg.gates);
    expect(run.feed).toBeUndefined();
    // the YAML text parses the same way
    expect(parseProdConfig(readFileSync(PROD_YAML, 'utf8'), 'x').shadow).toEqual(cfg.shadow);
  });

  it('an empty config is all defaults', () => {
    const cfg = parseProdConfig({});
    expect(cfg.source).toEqual({ type: 'synthetic', scenario: 'baseline', seed: undefined });
    expect(cfg.shadow).toEqual(SHADOW_DEFAULTS);
    expect(cfg.canary).toEqual(CANARY_DEFAULTS);
    expect(cfg.md_cache.enabled).toBe(true);
    expect(parseProdConfig('', 'empty.yaml').shadow).toEqual(SHADOW_DEFAULTS);
  });

  it('source shorthands', () => {
    expect(parseProdConfig({ source: 'synthetic:flaky-ws' }).source).toEqual({ type: 'synthetic', scenario: 'flaky-ws', seed: undefined });
    expect(parseProdConfig({ source: 'replay:run.jsonl' }).source).toEqual({ type: 'replay', file: 'run.jsonl', scenario: 'baseline', seed: undefined });
    expect(parseProdConfig({ source: { type: 'binance', rest_url: 'http://127.0.0.1:8080', ws_url: 'ws://127.0.0.1:8080', symbols: ['btcusdt'] } }).source).toEqual({
      type: 'binance',
      rest_url: 'http://127.0.0.1:8080',
      ws_url: 'ws://127.0.0.1:8080',
      symbols: ['BTCUSDT'],
      scenario: 'baseline',
    });
    expect(problems({ source: 'kafka' })).toEqual([
      "source: 'kafka' is not a source; use synthetic, synthetic:SCENARIO, replay:FILE.jsonl, or a mapping with type: synthetic | replay | binance",
    ]);
  });

  it('reports every problem at once, each with its path', () => {
    const ps = problems({
      sorce: { type: 'synthetic' },
      md_cache: { ttl_ms: 1, max_inflight_refresh: 99 },
      source: { type: 'replay' },
      shadow: { duration: '10x', window: '30s', metrics_port: 70000, worst_examples: -1, colour: 'red' },
      canary: { steps: [50, 10, 100], step_duration: '5m', window: '10m' },
    });
    expect(ps).toEqual([
      "sorce: unknown key (did you mean 'source'?); allowed: md_cache, source, pipeline, gates, rest, shadow, canary, fleet",
      'md_cache.ttl_ms: 1 is out of range [10, 5000]',
      'md_cache.max_inflight_refresh: 99 is out of range [1, 16]',
      'source.file: is required for type: replay (a .jsonl file written by mdcache generate)',
      "shadow.colour: unknown key; allowed: duration, window, metrics_host, metrics_port, worst_examples, compare_depth",
      "shadow.duration: invalid duration '10x', use e.g. 500ms, 90s, 30m, 1h",
      'shadow.metrics_port: 70000 is out of range [0, 65535]',
      'shadow.worst_examples: -1 is out of range [0, 1000]',
      'canary.steps: 50,10,100 must increase strictly, e.g. 10,50,100',
      'canary.window: 600000 ms is longer than step_duration (300000 ms)',
    ]);
  });

  it('bad source type, and a binance source with bad URLs and symbols', () => {
    expect(problems({ source: { type: 'kafka', scenario: 'baseline' } })).toEqual([
      "source.type: 'kafka' is not allowed; use one of: synthetic, replay, binance",
    ]);
    expect(problems({ source: { type: 'binanse' } })[0]).toBe("source.type: 'binanse' is not allowed (did you mean 'binance'?); use one of: synthetic, replay, binance");
    expect(problems({ source: { type: 'binance', rest_url: 'ftp://x', ws_url: 'http://x', symbols: ['BTC-USDT', 7, 'ETHUSDT'], file: 'a' } })).toEqual([
      "source.file: unknown key; allowed: type, rest_url, ws_url, symbols, scenario",
      "source.rest_url: 'ftp://x' must be an http(s):// URL, e.g. http://127.0.0.1:8080",
      "source.ws_url: 'http://x' must be a ws(s):// URL, e.g. ws://127.0.0.1:8080",
      "source.symbols[0]: 'BTC-USDT' is not a symbol name",
      'source.symbols[1]: 7 is not a symbol name',
    ]);
    expect(problems({ source: { type: 'binance', rest_url: 'http://a', ws_url: 'ws://a' } })).toEqual(['source.symbols: needs at least one symbol, e.g. [BTCUSDT]']);
    expect(problems({ source: { type: 'binance', rest_url: 'http://a', ws_url: 'ws://a', symbols: [] } })).toEqual(['source.symbols: needs at least one symbol, e.g. [BTCUSDT]']);
  });

  it('durations: the hint for a bad string, a plain number is milliseconds, zero or negative is refused', () => {
    expect(problems({ canary: { step_duration: '10x' } })).toEqual(["canary.step_duration: invalid duration '10x', use e.g. 500ms, 90s, 30m, 1h"]);
    expect(problems({ shadow: { window: 'one minute' } })).toEqual(["shadow.window: invalid duration 'one minute', use e.g. 500ms, 90s, 30m, 1h"]);
    expect(problems({ shadow: { duration: 0 } })).toEqual(['shadow.duration: expected a duration such as 10m, got 0']);
    expect(problems({ shadow: { duration: [1] } })).toEqual(['shadow.duration: expected a duration such as 10m, got a list']);
    expect(parseProdConfig({ shadow: { duration: 90_000, window: '30s' } }).shadow).toMatchObject({ duration_ms: 90_000, window_ms: 30_000 });
    expect(parseProdConfig({ canary: { step_duration: '1h30m' } }).canary.step_duration_ms).toBe(90 * 60_000);
  });

  it('steps: increasing whole percentages in [1, 100], ending at 100; a comma string works too', () => {
    expect(parseProdConfig({ canary: { steps: '5, 25,100' } }).canary.steps).toEqual([5, 25, 100]);
    expect(parseProdConfig({ canary: { steps: [100] } }).canary.steps).toEqual([100]);
    expect(problems({ canary: { steps: [10, 50] } })).toEqual(['canary.steps: 10,50 must end at 100 (full rollout)']);
    expect(problems({ canary: { steps: [10, 10, 100] } })).toEqual(['canary.steps: 10,10,100 must increase strictly, e.g. 10,50,100']);
    expect(problems({ canary: { steps: [0, 100] } })).toEqual(['canary.steps: 0 is not a traffic share; use whole percentages in [1, 100], e.g. 10,50,100']);
    expect(problems({ canary: { steps: [50, 150] } })).toEqual(['canary.steps: 150 is not a traffic share; use whole percentages in [1, 100], e.g. 10,50,100']);
    expect(problems({ canary: { steps: ['ten', 100] } })).toEqual(["canary.steps: 'ten' is not a traffic share; use whole percentages in [1, 100], e.g. 10,50,100"]);
    expect(problems({ canary: { steps: [] } })).toEqual(['canary.steps: needs at least one step, e.g. 10,50,100']);
    // Shares are whole percentages: 0.5 % is refused (defect #15.14).
    expect(problems({ canary: { steps: [0.5, 100] } })).toEqual(['canary.steps: 0.5 is not a traffic share; use whole percentages in [1, 100], e.g. 10,50,100']);
    expect(problems({ canary: { steps: { a: 1 } } })).toEqual(['canary.steps: expected a list, got an object']);
  });

  it('a window longer than its step (or the shadow duration) is refused', () => {
    expect(problems({ canary: { step_duration: '2m', window: '3m' } })).toEqual(['canary.window: 180000 ms is longer than step_duration (120000 ms)']);
    expect(problems({ shadow: { duration: '5m', window: '10m' } })).toEqual(['shadow.window: 600000 ms is longer than duration (300000 ms)']);
    // an omitted step_duration is the default 10m
    expect(problems({ canary: { window: '15m' } })).toEqual(['canary.window: 900000 ms is longer than step_duration (600000 ms)']);
    expect(parseProdConfig({ canary: { step_duration: '5m', window: '5m' } }).canary.window_ms).toBe(300_000);
  });

  it('a rejected duration does not also produce a misleading window-vs-duration problem', () => {
    // the bad duration falls back to its default internally; the window must not be compared with that
    expect(problems({ shadow: { duration: '10x', window: '2h' } })).toEqual(["shadow.duration: invalid duration '10x', use e.g. 500ms, 90s, 30m, 1h"]);
    expect(problems({ canary: { step_duration: 'soon', window: '15m' } })).toEqual(["canary.step_duration: invalid duration 'soon', use e.g. 500ms, 90s, 30m, 1h"]);
    expect(problems({ canary: { step_duration: '5m', window: 'x' } })).toEqual(["canary.window: invalid duration 'x', use e.g. 500ms, 90s, 30m, 1h"]);
  });

  it('md_cache, pipeline and gates errors carry their paths', () => {
    const ps = problems({
      md_cache: { ttl_ms: 'fast', stale_ok: 'yes', bogus: 1 },
      pipeline: { ticks: { arrival: 'poison' }, stages: [{ name: 'fetch_md', latency: { model: 'constant', ms: 1 } }] },
      gates: [{ metric: 'cached.nope', op: '<', value: 1 }],
      canary: { rollback_gates: [{ metric: 'cached.cache.hit_ratio', op: '~', value: 0.5 }] },
    });
    expect(ps.filter((p) => p.startsWith('md_cache.'))).toHaveLength(3);
    expect(ps).toContain("md_cache.ttl_ms: expected a number, got 'fast'");
    expect(ps).toContain("md_cache.stale_ok: expected true or false, got 'yes'");
    expect(ps.some((p) => p.startsWith('md_cache.bogus: unknown key'))).toBe(true);
    expect(ps).toContain("pipeline.ticks.arrival: 'poison' is not allowed (did you mean 'poisson'?); use one of: fixed, jitter, poisson");
    expect(ps).toContain("pipeline.stages[0].name: 'fetch_md' is reserved; choose another name");
    expect(ps.some((p) => p.startsWith("gates[0].metric: 'cached.nope' is not a known metric"))).toBe(true);
    expect(ps).toContain("canary.rollback_gates[0].op: '~' is not allowed; use one of: <, <=, >, >=, ==, !=");
    // every problem names a path
    for (const p of ps) expect(p).toMatch(/^[a-z_]+(\.|\[|:)/);
  });

  it('YAML syntax errors name the source', () => {
    expect(() => parseProdConfig('source: [unclosed', 'bad.yaml')).toThrow(/bad\.yaml/);
  });
});

describe('canary routing: symbolBucket / canarySet', () => {
  const symbols = Array.from({ length: 200 }, (_, i) => `SYM${String(i).padStart(4, '0')}USDT`);

  it('buckets are sticky, in [0, 100), and spread over the range', () => {
    for (const s of symbols) {
      const b = symbolBucket(s);
      expect(symbolBucket(s)).toBe(b);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(100);
    }
    expect(symbolBucket('BTCUSDT')).toBe(symbolBucket('BTCUSDT'));
    expect(new Set(symbols.map(symbolBucket)).size).toBeGreaterThan(150);
    const below50 = symbols.filter((s) => symbolBucket(s) < 50).length;
    expect(below50).toBeGreaterThan(70);
    expect(below50).toBeLessThan(130);
  });

  it('sets are sticky and monotone: 10 % ⊆ 50 % ⊆ 100 % = all', () => {
    const s10 = canarySet(symbols, 10);
    const s50 = canarySet(symbols, 50);
    const s100 = canarySet(symbols, 100);
    expect([...canarySet(symbols, 10)]).toEqual([...s10]);
    // the order of the symbol list does not change who is in
    expect(new Set(canarySet([...symbols].reverse(), 50))).toEqual(s50);
    for (const s of s10) expect(s50.has(s)).toBe(true);
    for (const s of s50) expect(s100.has(s)).toBe(true);
    expect(s100.size).toBe(symbols.length);
    expect(s10.size).toBeGreaterThan(5);
    expect(s10.size).toBeLessThan(40);
    expect(s50.size).toBeGreaterThan(s10.size);
    for (let p = 1; p <= 100; p += 7) {
      const a = canarySet(symbols, p);
      const b = canarySet(symbols, Math.min(100, p + 7));
      for (const s of a) expect(b.has(s)).toBe(true);
    }
  });

  it('a tiny share still routes at least one symbol; 0 % routes none', () => {
    const few = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
    const tiny = canarySet(few, 0.01);
    expect(tiny.size).toBe(1);
    // the one with the lowest bucket, so it stays in as the share grows
    const lowest = [...few].sort((a, b) => symbolBucket(a) - symbolBucket(b))[0]!;
    expect([...tiny]).toEqual([lowest]);
    for (const p of [1, 10, 50, 100]) expect(canarySet(few, p).has(lowest)).toBe(true);
    expect(canarySet(['BTCUSDT'], 1).size).toBe(1);
    expect(canarySet(few, 0).size).toBe(0);
    expect(canarySet([], 50).size).toBe(0);
  });
});
