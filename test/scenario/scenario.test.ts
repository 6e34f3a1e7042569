import { describe, it, expect } from 'vitest';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { parseScenario, loadScenario, listScenarios, resolveSymbols, withSymbolCount, createMarket, resolveScenarioPath } from '../../src/scenario/scenario.js';
import { priceToTicks } from '../../src/market/ticks.js';

function problems(text: string): string[] {
  try {
    parseScenario(text, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('scenarios', () => {
  it('ships baseline, volatile, flaky-ws, many-symbols and they all parse', () => {
    expect(listScenarios()).toEqual(expect.arrayContaining(['baseline', 'volatile', 'flaky-ws', 'many-symbols']));
    for (const name of listScenarios()) {
      const sc = loadScenario(name);
      expect(sc.name).toBe(name);
      expect(sc.duration_ms).toBe(name === 'ci' ? 2 * 60_000 : 30 * 60_000); // the ci scenario is a short CI run
      const syms = resolveSymbols(sc);
      for (const s of syms) priceToTicks(s.price, s.tick_size);
      const feed = createMarket(sc);
      feed.advanceTo(2000);
      expect(feed.stats().events).toBeGreaterThan(0);
    }
    const many = resolveSymbols(loadScenario('many-symbols'));
    expect(many.length).toBeGreaterThanOrEqual(100);
    expect(new Set(many.map((s) => s.tick_size)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(many.map((s) => s.symbol)).size).toBe(many.length);
    expect(resolveSymbols(loadScenario('baseline')).map((s) => s.symbol)).toEqual(['BTCUSDT']);
  });

  it('reports every problem at once, naming the field', () => {
    const msgs = problems(`
name: bad
seed: -3
duration: 30 minutes
symbols:
  - { symbol: BTCUSDT, tick_size: 0.01, price: "65000.005" }
  - { symbol: ETHUSDT, tick_size: "0.01", price: "3000.001" }
  - { symbol: ETHUSDT, tick_size: "0", price: "1" }
market:
  update_rate_hz: -1
  jump_rate_hz: 3
  hawkes: { alpha: 20, beta: 10 }
  spread: { min_ticks: 3, typical_ticks: 2 }
  depth: { levels: 0 }
  faults:
    seq_gap: { rate_hz: 2000 }
    ws_silence: { rate_hz: 1, min_ms: 500, max_ms: 100 }
    disconect: { rate_hz: 1 }
rest:
  latency: { model: lognormal, p50_ms: 20 }
  error_rate: 1.5
  timeut_ms: 10
`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        'seed: -3 is out of range [0, 9007199254740991]',
        "duration: invalid duration '30 minutes', use e.g. 500ms, 90s, 30m, 1h",
        expect.stringMatching(/^symbols\[0\]\.tick_size: 0\.01 must be a quoted decimal string/),
        "symbols[1].price: price '3000.001' is not on the tick grid of 0.01",
        'symbols[2].symbol: duplicate symbol ETHUSDT',
        "symbols[2].tick_size: tick size '0' must be greater than 0",
        'market.update_rate_hz: -1 is out of range [0, 10000]',
        expect.stringMatching(/^market\.jump_rate_hz: unknown key/),
        'market.hawkes.alpha: 20 must be < beta (10) for a stationary process',
        'market.spread.typical_ticks: 2 must be >= min_ticks (3)',
        'market.depth.levels: 0 is out of range [1, 5000]',
        'market.faults.seq_gap.rate_hz: 2000 is out of range [0, 1000]',
        'market.faults.ws_silence.max_ms: 100 must be >= min_ms (500)',
        expect.stringMatching(/^market\.faults\.disconect: unknown key \(did you mean 'disconnect'\?\)/),
        'rest.latency.p95_ms: missing',
        'rest.error_rate: 1.5 is out of range [0, 1]',
        expect.stringMatching(/^rest\.timeut_ms: unknown key \(did you mean 'timeout_ms'\?\)/),
      ]),
    );
    expect(msgs.length).toBeGreaterThanOrEqual(17);
  });

  it('missing essentials and prices too low for the depth', () => {
    expect(problems('seed: 1')).toEqual(expect.arrayContaining(['name: missing; a short scenario name', expect.stringMatching(/^symbols: missing/)]));
    expect(problems('name: x\nsymbols: [{ symbol: A, tick_size: "0.5", price: "10.0" }]')).toEqual([
      "symbols[0].price: '10.0' is only 20 ticks of 0.5; needs at least 200 (2 × market.depth.levels) so every level has a positive price",
    ]);
    expect(problems('name: x\nsymbols: { generate: { count: 0, tick_sizes: [0.1] } }')).toEqual(
      expect.arrayContaining(['symbols.generate.count: 0 is out of range [1, 10000]', expect.stringMatching(/^symbols\.generate\.tick_sizes\[0\]: 0\.1 must be a quoted/)]),
    );
  });

  it('keeps pipeline / md_cache / gates raw and lets their owners validate in the same pass', () => {
    const text = 'name: x\nsymbols: [{ symbol: A, tick_size: "0.01", price: "100.00" }]\npipeline: { stages: [] }\nmd_cache: { ttl_ms: 1 }\ngates: [1]\n';
    const sc = parseScenario(text);
    expect(sc.pipeline).toEqual({ stages: [] });
    expect(sc.md_cache).toEqual({ ttl_ms: 1 });
    expect(sc.gates).toEqual([1]);
    expect(sc.rest.latency).toEqual({ model: 'lognormal', p50_ms: 20, p95_ms: 55 });
    expect(() => parseScenario(text, 's', (r, top) => r.add('md_cache.ttl_ms', `${String((top.md_cache as { ttl_ms: number }).ttl_ms)} too small`))).toThrow(/md_cache\.ttl_ms: 1 too small/);
  });

  it('resolves a NAME or a FILE; unknown names are a UsageError with a suggestion', () => {
    expect(resolveScenarioPath('baseline')).toMatch(/scenarios\/baseline\.yaml$/);
    expect(() => loadScenario('baselin')).toThrow(UsageError);
    expect(() => loadScenario('baselin')).toThrow(/did you mean 'baseline'/);
    expect(() => loadScenario('/nonexistent/x.yaml')).toThrow(/scenario file not found/);
  });

  it('withSymbolCount: generated sets change count (existing symbols unchanged); lists are cut or extended', () => {
    const many = loadScenario('many-symbols');
    const a = resolveSymbols(withSymbolCount(many, 10));
    const b = resolveSymbols(withSymbolCount(many, 1000));
    expect(a.length).toBe(10);
    expect(b.length).toBe(1000);
    expect(b.slice(0, 10)).toEqual(a);
    const base = loadScenario('baseline');
    expect(resolveSymbols(withSymbolCount(base, 1)).map((s) => s.symbol)).toEqual(['BTCUSDT']);
    const ext = resolveSymbols(withSymbolCount(base, 50));
    expect(ext.length).toBe(50);
    expect(ext[0]!.symbol).toBe('BTCUSDT');
    expect(new Set(ext.map((s) => s.symbol)).size).toBe(50);
    expect(() => withSymbolCount(base, 0)).toThrow(UsageError);
  });
});
