import { describe, it, expect } from 'vitest';
import { parseConfig, parseYaml } from '../../src/config/load.js';
import { MD_CACHE_DEFAULTS, MD_CACHE_DOCS, mdCacheConfig } from '../../src/config/md-cache.js';
import { renderDefaultConfig } from '../../src/config/defaults-doc.js';
import { didYouMean } from '../../src/config/reader.js';
import { ConfigError, formatProblem } from '../../src/core/errors.js';

function problems(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map(formatProblem);
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('an empty document, {} or md_cache: null resolve to the defaults', () => {
    expect(parseConfig({}).md_cache).toEqual(MD_CACHE_DEFAULTS);
    expect(parseConfig('').md_cache).toEqual(MD_CACHE_DEFAULTS);
    expect(parseConfig({ md_cache: null }).md_cache).toEqual(MD_CACHE_DEFAULTS);
  });

  it('given values override the defaults; nested retry is merged', () => {
    const cfg = parseConfig('md_cache:\n  enabled: true\n  ttl_ms: 250\n  retry:\n    max_attempts: 5\n').md_cache;
    expect(cfg.enabled).toBe(true);
    expect(cfg.ttl_ms).toBe(250);
    expect(cfg.retry).toEqual({ max_attempts: 5, base_ms: 10, max_ms: 200 });
    expect(cfg.max_depth).toBe(50);
  });

  it('collects every problem instead of stopping at the first', () => {
    const ps = problems({
      md_cache: {
        ttl_ms: 5,
        max_depth: 2.5,
        stale_ok: 'yes',
        enabled: 1,
        max_symbols: '100',
        max_inflight_refresh: 17,
        retry: { max_attempts: 0, base_ms: -1 },
      },
    });
    expect(ps).toEqual([
      'md_cache.enabled: expected true or false, got 1',
      'md_cache.ttl_ms: 5 is out of range [10, 5000]',
      'md_cache.max_depth: 2.5 is not a whole number',
      "md_cache.stale_ok: expected true or false, got 'yes'",
      'md_cache.max_inflight_refresh: 17 is out of range [1, 16]',
      "md_cache.max_symbols: expected a number, got '100'",
      'md_cache.retry.max_attempts: 0 is out of range [1, 20]',
      'md_cache.retry.base_ms: -1 is out of range [0, 60000]',
    ]);
  });

  it('wrong types: lists, objects, null-like and non-finite numbers', () => {
    expect(problems({ md_cache: { ttl_ms: [1] } })).toEqual(['md_cache.ttl_ms: expected a number, got a list']);
    expect(problems({ md_cache: { ttl_ms: { a: 1 } } })).toEqual(['md_cache.ttl_ms: expected a number, got an object']);
    expect(problems({ md_cache: { ttl_ms: Infinity } })).toEqual(['md_cache.ttl_ms: expected a number, got Infinity']);
    expect(problems({ md_cache: 5 })).toEqual(['md_cache: expected a mapping, got 5']);
    expect(problems({ md_cache: { retry: 'fast' } })).toEqual(["md_cache.retry: expected a mapping, got 'fast'"]);
    expect(problems(['a'])).toEqual(['expected a mapping, got a list']);
  });

  it('range bounds are inclusive', () => {
    expect(parseConfig({ md_cache: { ttl_ms: 10, max_stale_ms: 10 } }).md_cache.ttl_ms).toBe(10);
    expect(parseConfig({ md_cache: { ttl_ms: 5000, max_stale_ms: 5000 } }).md_cache.ttl_ms).toBe(5000);
    expect(problems({ md_cache: { ttl_ms: 5001, max_stale_ms: 6000 } })).toEqual(['md_cache.ttl_ms: 5001 is out of range [10, 5000]']);
    expect(problems({ md_cache: { hedge_after_ms: -1 } })).toEqual(['md_cache.hedge_after_ms: -1 is out of range [0, 60000]']);
  });

  it('unknown keys are reported with a did-you-mean and the allowed keys', () => {
    const ps = problems({ md_cache: { ttl: 100, max_depht: 10, retry: { max_attempt: 2 } }, md_cahce: {} });
    expect(ps[0]).toMatch(/^md_cahce: unknown key \(did you mean 'md_cache'\?\); allowed: md_cache, /);
    expect(ps[1]).toMatch(/^md_cache\.ttl: unknown key \(did you mean 'ttl_ms'\?\)/);
    expect(ps[2]).toMatch(/^md_cache\.max_depht: unknown key \(did you mean 'max_depth'\?\)/);
    expect(ps[3]).toMatch(/^md_cache\.retry\.max_attempt: unknown key \(did you mean 'max_attempts'\?\); allowed: max_attempts, base_ms, max_ms$/);
    expect(ps).toHaveLength(4);
  });

  it('an unknown key with nothing close gets no suggestion', () => {
    expect(problems({ md_cache: { zzzzzzzzzz: 1 } })[0]).toMatch(/^md_cache\.zzzzzzzzzz: unknown key; allowed: /);
  });

  it('top-level keys of sibling documents (scenario, prod.yaml) are accepted', () => {
    expect(() => parseConfig({ name: 'x', seed: 1, market: {}, md_cache: {} })).not.toThrow();
  });

  it('cross-field: max_stale_ms must be >= ttl_ms', () => {
    expect(problems({ md_cache: { ttl_ms: 500, max_stale_ms: 400 } })).toEqual(['md_cache.max_stale_ms: 400 must be >= ttl_ms (500)']);
    expect(parseConfig({ md_cache: { ttl_ms: 500, max_stale_ms: 500 } }).md_cache.max_stale_ms).toBe(500);
    // the default max_stale_ms (1000) is below a given ttl_ms: say so
    expect(problems({ md_cache: { ttl_ms: 2000 } })).toEqual(['md_cache.max_stale_ms: 1000 (default) must be >= ttl_ms (2000)']);
  });

  it('cross-field rules are skipped when a side was already rejected (no misleading follow-up)', () => {
    expect(problems({ md_cache: { ttl_ms: 2000, max_stale_ms: 5 } })).toEqual(['md_cache.max_stale_ms: 5 is out of range [10, 600000]']);
    expect(problems({ md_cache: { retry: { base_ms: 500, max_ms: -5 } } })).toEqual(['md_cache.retry.max_ms: -5 is out of range [0, 600000]']);
  });

  it('cross-field: retry.max_ms must be >= retry.base_ms', () => {
    expect(problems({ md_cache: { retry: { base_ms: 100, max_ms: 50 } } })).toEqual(['md_cache.retry.max_ms: 50 must be >= retry.base_ms (100)']);
  });

  it('cross-field: hedging needs max_inflight_refresh >= 2', () => {
    expect(problems({ md_cache: { hedge_after_ms: 50 } })).toEqual([
      'md_cache.hedge_after_ms: 50 needs max_inflight_refresh >= 2 (got 1 (default)); use 0 to turn hedging off',
    ]);
    expect(parseConfig({ md_cache: { hedge_after_ms: 50, max_inflight_refresh: 2 } }).md_cache.hedge_after_ms).toBe(50);
    expect(parseConfig({ md_cache: { hedge_after_ms: 0 } }).md_cache.hedge_after_ms).toBe(0);
  });

  it('YAML syntax errors carry source:line:column', () => {
    expect(() => parseYaml('md_cache:\n  ttl_ms: [1\n', 'cfg.yaml')).toThrow(/YAML syntax error at cfg\.yaml:3:1: /);
    expect(() => parseYaml('md_cache:\n  ttl_ms: 1\n  ttl_ms: 2\n', 'dup.yaml')).toThrow(/YAML syntax error at dup\.yaml:3:3: Map keys must be unique/);
  });

  it('ConfigError names the source and lists one problem per line', () => {
    try {
      parseConfig({ md_cache: { ttl_ms: 5, max_depth: 0 } }, 'prod.yaml');
      throw new Error('unreachable');
    } catch (err) {
      expect((err as Error).message).toBe(
        'invalid prod.yaml:\n  md_cache.ttl_ms: 5 is out of range [10, 5000]\n  md_cache.max_depth: 0 is out of range [1, 200]',
      );
    }
  });
});

describe('defaults and helpers', () => {
  it('every default key is documented and the defaults parse back to themselves', () => {
    for (const k of Object.keys(MD_CACHE_DEFAULTS)) {
      if (k === 'retry') continue;
      expect(MD_CACHE_DOCS[k], k).toBeTruthy();
    }
    for (const k of Object.keys(MD_CACHE_DEFAULTS.retry)) expect(MD_CACHE_DOCS[`retry.${k}`]).toBeTruthy();
    expect(parseConfig(renderDefaultConfig()).md_cache).toEqual(MD_CACHE_DEFAULTS);
  });

  it('mdCacheConfig fills defaults into a partial config', () => {
    const c = mdCacheConfig({ ttl_ms: 70, retry: { base_ms: 1 } });
    expect(c.ttl_ms).toBe(70);
    expect(c.retry).toEqual({ max_attempts: 3, base_ms: 1, max_ms: 200 });
    expect(c.max_symbols).toBe(10_000);
  });

  it('didYouMean: prefixes, edit distance, and nothing for far-off keys', () => {
    expect(didYouMean('ttl', ['ttl_ms', 'max_depth'])).toBe('ttl_ms');
    expect(didYouMean('stale_okk', ['stale_ok', 'ttl_ms'])).toBe('stale_ok');
    expect(didYouMean('qqqqqq', ['stale_ok', 'ttl_ms'])).toBeUndefined();
  });
});
