/** #15.28: scenario fields that used to be accepted silently. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { parseScenario } from '../../src/scenario/scenario.js';

const SYMS = 'symbols: [{ symbol: AAAUSDT, tick_size: "0.01", price: "100.00" }]\n';

function problems(text: string): string[] {
  try {
    parseScenario(text);
    return [];
  } catch (err) {
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('scenario fields', () => {
  it('name is required: null and empty are refused', () => {
    expect(problems('name: null\n' + SYMS)).toEqual(['name: missing; a short scenario name']);
    expect(problems('name: ""\n' + SYMS)).toEqual(['name: empty; a short scenario name']);
    expect(problems('name:\n' + SYMS)).toEqual(['name: missing; a short scenario name']);
  });

  it('seed: null is a mistake, not seed 1; an omitted seed is 1', () => {
    expect(problems('name: x\nseed: null\n' + SYMS)).toEqual(['seed: null is not a seed; a whole number, or omit the key for seed 1']);
    expect(parseScenario('name: x\n' + SYMS).seed).toBe(1);
  });

  it('an empty or null symbol name is refused', () => {
    expect(problems('name: x\nsymbols: [{ symbol: "", tick_size: "0.01", price: "100.00" }]')).toEqual(["symbols[0].symbol: '' is not a valid symbol (letters, digits, _ . -)"]);
    expect(problems('name: x\nsymbols: [{ symbol: null, tick_size: "0.01", price: "100.00" }]')).toEqual(['symbols[0].symbol: missing; e.g. BTCUSDT']);
  });

  it('at most 10,000 generated symbols', () => {
    expect(problems('name: x\nsymbols: { generate: { count: 10001 } }')).toEqual(['symbols.generate.count: 10001 is out of range [1, 10000]']);
  });
});
