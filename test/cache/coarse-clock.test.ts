import { hostTimeUses, parse, sourceFiles } from '../helpers/source-ast.js';
import { describe, it, expect } from 'vitest';
import { RealClock, VirtualClock } from '../../src/core/clock.js';
import { MDCache } from '../../src/cache/md-cache.js';
import { CoarseClock } from '../../src/cache/coarse-clock.js';

describe('CoarseClock', () => {
  it('caches now() for its resolution, then reads the inner clock again; the timer stops when unread', async () => {
    const inner = new VirtualClock(100);
    const c = new CoarseClock(inner, 1);
    expect(c.now()).toBe(100);
    await inner.advance(0.5);
    expect(c.now()).toBe(100); // within the resolution
    await inner.advance(0.5);
    expect(c.now()).toBe(101);
    expect(inner.pending()).toBe(1); // one timer, re-armed per tick (not one per read)
    await inner.advance(0.5);
    expect(c.now()).toBe(101);
    expect(inner.pending()).toBe(1);
    await inner.advance(10);
    expect(inner.pending()).toBe(0); // nothing stays scheduled while unread
    expect(c.now()).toBe(111.5);
  });

  it('the timer keeps running while the clock is read and stops exactly three unread ticks after the last read; a read re-arms it', async () => {
    const inner = new VirtualClock(0);
    const c = new CoarseClock(inner, 1);
    for (let t = 0; t < 10; t += 0.5) {
      expect(inner.now() - c.now()).toBeLessThanOrEqual(1); // never behind by more than the resolution
      expect(inner.pending()).toBe(1);
      await inner.advance(0.5);
    }
    const last = inner.now(); // read at 10 below; ticks at 11 (it was read), 12, 13, 14 (the third unread one: stops)
    expect(c.now()).toBe(10);
    await inner.advanceTo(last + 3.5);
    expect(inner.pending()).toBe(1);
    await inner.advanceTo(last + 4);
    expect(inner.pending()).toBe(0);
    expect(c.now()).toBe(last + 4);
    expect(inner.pending()).toBe(1);
  });

  it('a loop that never yields still sees time move: the reading is dropped after maxReads reads', async () => {
    const inner = new VirtualClock(0);
    let t = 0;
    const fake = { now: () => t, setTimeout: inner.setTimeout.bind(inner), clearTimeout: inner.clearTimeout.bind(inner), sleep: inner.sleep.bind(inner) };
    const c = new CoarseClock(fake, 1, 4);
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      t = i * 0.001;
      seen.push(c.now());
    }
    expect(seen).toEqual([0, 0, 0, 0, 0.004, 0.004, 0.004, 0.004]);
  });

  it('MDCache reads time through a CoarseClock on a RealClock by default, exactly on other clocks', () => {
    const deps = { registry: null, refresh: () => Promise.resolve(1) };
    const real = new MDCache<number>({ enabled: true }, { ...deps, clock: new RealClock() });
    const virt = new MDCache<number>({ enabled: true }, { ...deps, clock: new VirtualClock() });
    const exact = new MDCache<number>({ enabled: true }, { ...deps, clock: new RealClock(), timeResolutionMs: 0 });
    const timeOf = (c: object) => (c as unknown as { time: object }).time;
    expect(timeOf(real)).toBeInstanceOf(CoarseClock);
    expect(timeOf(virt)).toBeInstanceOf(VirtualClock);
    expect(timeOf(exact)).toBeInstanceOf(RealClock);
  });

  it('delegates timers and sleep to the inner clock', async () => {
    const inner = new VirtualClock();
    const c = new CoarseClock(inner, 1);
    const log: number[] = [];
    const h = c.setTimeout(() => log.push(1), 10);
    c.setTimeout(() => log.push(2), 10);
    c.clearTimeout(h);
    const p = c.sleep(20);
    await inner.advance(20);
    await p;
    expect(log).toEqual([2]);
  });
});

describe('src/cache uses only the injected clock', () => {
  it('no host time, timers or randomness in src/cache (checked on the syntax tree)', () => {
    const files = sourceFiles().filter((f) => f.startsWith('cache/'));
    expect(files.length).toBeGreaterThan(3);
    expect(files.flatMap((f) => hostTimeUses(parse(f)))).toEqual([]);
  });
});
