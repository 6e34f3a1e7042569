/**
 * The LRU bound against a reference model: the cache keeps its LRU list as slot indices in typed arrays that
 * grow (16 slots first) and reuse freed slots, so random access sequences over more symbols than the initial
 * capacity, with evictions, must evict exactly what an array-based LRU evicts — and the get totals, kept per
 * entry and folded in on eviction, must still count every call.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { setup } from './helpers.js';

describe('LRU order (typed-array links) against a reference LRU', () => {
  it('holds exactly the most recently used max_symbols symbols, and stats().gets counts every call', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 300 }),
        (maxSymbols, accesses) => {
          // enabled: false keeps the LRU and the counters without starting loads
          const { cache } = setup({ enabled: false, max_symbols: maxSymbols });
          const model: string[] = []; // most recently used first
          let evictions = 0;
          for (const a of accesses) {
            const s = `S${a}`;
            expect(cache.getSync(s)).toBeUndefined();
            const at = model.indexOf(s);
            if (at >= 0) model.splice(at, 1);
            model.unshift(s);
            if (model.length > maxSymbols) {
              model.pop();
              evictions++;
            }
          }
          for (let a = 0; a < 60; a++) {
            const s = `S${a}`;
            const held = cache.stats(s).gets > 0;
            expect(held, s).toBe(model.includes(s));
          }
          const all = cache.stats();
          expect(all.gets).toBe(accesses.length);
          expect(all.misses).toBe(accesses.length);
          expect(all.evictions).toBe(evictions);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('LRU order in bypass mode (enabled: false, async get)', () => {
  it('a repeated get of the most recent symbol keeps the list intact; the least recently used is evicted', async () => {
    const { clock, cache } = setup({ enabled: false, max_symbols: 2 });
    const get = async (s: string): Promise<void> => {
      const p = cache.get(s);
      await clock.advance(10);
      await p;
    };
    await get('A');
    await get('A'); // A is already the most recent: nothing moves
    await get('B');
    await get('A'); // A most recent again; B least
    await get('C'); // evicts B
    expect(cache.stats('B').gets).toBe(0);
    expect(cache.stats('A').gets).toBe(3);
    await get('C');
    await get('D'); // evicts A
    expect(cache.stats('A').gets).toBe(0);
    expect(cache.stats('C').gets).toBe(2);
    expect(cache.stats().evictions).toBe(2);
  });
});
