import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VirtualClock } from '../../src/core/clock.js';
import { CoarseClock } from '../../src/cache/coarse-clock.js';

describe('CoarseClock', () => {
  it('caches now() for its resolution, then reads the inner clock again', async () => {
    const inner = new VirtualClock(100);
    const c = new CoarseClock(inner, 1);
    expect(c.now()).toBe(100);
    await inner.advance(0.5);
    expect(c.now()).toBe(100); // within the resolution
    await inner.advance(0.5);
    expect(c.now()).toBe(101);
    expect(inner.pending()).toBe(1);
    await inner.advance(5);
    expect(inner.pending()).toBe(0); // nothing stays scheduled while unread
    expect(c.now()).toBe(106);
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
  it('no Date.now, performance.now, global timers or Math.random in src/cache', () => {
    const dir = resolve(__dirname, '../../src/cache');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const code = readFileSync(join(dir, f), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .replace(/^\s+(setTimeout|clearTimeout|sleep)\(.*\)\s*:\s*[\w<>| ]+\{$/gm, ''); // Clock method definitions
      expect(code, f).not.toMatch(/Date\.now|performance\.now|Math\.random|(?<![.\w])(setTimeout|setInterval|setImmediate)\s*\(/);
    }
  });
});
