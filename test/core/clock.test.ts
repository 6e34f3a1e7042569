import { describe, it, expect } from 'vitest';
import { VirtualClock, abortError } from '../../src/core/clock.js';
import { MessageChannel } from 'node:worker_threads';

describe('VirtualClock', () => {
  it('starts at the given time and only moves when advanced', async () => {
    const c = new VirtualClock(1000);
    expect(c.now()).toBe(1000);
    await c.advance(250);
    expect(c.now()).toBe(1250);
    await c.advanceTo(1200); // never goes back
    expect(c.now()).toBe(1250);
    await c.advance(-5);
    expect(c.now()).toBe(1250);
  });

  it('fires timers in time order, ties in scheduling order, each seeing its own now()', async () => {
    const c = new VirtualClock();
    const log: string[] = [];
    const at = (name: string, ms: number) => c.setTimeout(() => log.push(`${name}@${c.now()}`), ms);
    at('c', 30);
    at('a', 10);
    at('b1', 20);
    at('b2', 20);
    at('z', 0);
    at('b3', 20);
    await c.advance(25);
    expect(log).toEqual(['z@0', 'a@10', 'b1@20', 'b2@20', 'b3@20']);
    expect(c.now()).toBe(25);
    await c.advance(5);
    expect(log.at(-1)).toBe('c@30');
    expect(c.pending()).toBe(0);
  });

  it('a timer scheduled from a timer for the same instant runs after those already due then', async () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.setTimeout(() => {
      log.push('first');
      c.setTimeout(() => log.push('nested'), 0);
    }, 10);
    c.setTimeout(() => log.push('second'), 10);
    await c.advance(10);
    expect(log).toEqual(['first', 'second', 'nested']);
  });

  it('negative, NaN and infinite delays count as 0', async () => {
    const c = new VirtualClock();
    const log: number[] = [];
    c.setTimeout(() => log.push(1), -5);
    c.setTimeout(() => log.push(2), Number.NaN);
    c.setTimeout(() => log.push(3), Infinity);
    await c.advance(0);
    expect(log).toEqual([1, 2, 3]);
  });

  it('promise continuations settle between timers', async () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.setTimeout(() => {
      log.push('t1');
      void Promise.resolve()
        .then(() => log.push('t1.then1'))
        .then(() => log.push('t1.then2'))
        .then(async () => {
          await Promise.resolve();
          log.push('t1.async');
        });
    }, 5);
    c.setTimeout(() => log.push(`t2 sees ${log.length}`), 5);
    await c.advance(5);
    expect(log).toEqual(['t1', 't1.then1', 't1.then2', 't1.async', 't2 sees 4']);
  });

  it('every timer of a long run sees the promise work of the one before it finished, across the macrotask yields', async () => {
    // Between timers the loop drains microtasks through process.nextTick and takes a real macrotask every
    // 1,024 timers: 3,000 timers in one advance cross both kinds of step.
    const c = new VirtualClock();
    const seen: number[] = [];
    let done = 0;
    for (let i = 0; i < 3000; i++) {
      c.setTimeout(() => {
        seen.push(done);
        void (async () => {
          // a chain of 20 continuations, each one microtask after the previous
          for (let k = 0; k < 20; k++) await Promise.resolve();
          done++;
        })();
      }, i % 7);
    }
    await c.advance(10);
    expect(done).toBe(3000);
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('async code awaiting sleep() observes a consistent now()', async () => {
    const c = new VirtualClock();
    const seen: number[] = [];
    const task = (async () => {
      for (let i = 0; i < 3; i++) {
        await c.sleep(10);
        seen.push(c.now());
      }
    })();
    await c.advance(35);
    await task;
    expect(seen).toEqual([10, 20, 30]);
  });

  it('clearTimeout cancels a pending timer; clearing twice, undefined or a fired timer is harmless', async () => {
    const c = new VirtualClock();
    const log: string[] = [];
    const a = c.setTimeout(() => log.push('a'), 10);
    const b = c.setTimeout(() => log.push('b'), 10);
    const d = c.setTimeout(() => log.push('d'), 5);
    c.clearTimeout(a);
    c.clearTimeout(a);
    c.clearTimeout(undefined);
    expect(c.pending()).toBe(2);
    await c.advance(20);
    c.clearTimeout(d);
    expect(log).toEqual(['d', 'b']);
  });

  it('clearTimeout keeps the heap ordered (many timers, random cancellations)', async () => {
    const c = new VirtualClock();
    const fired: number[] = [];
    const handles = [];
    let x = 12345;
    const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const times: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t = Math.floor(rnd() * 1000);
      times.push(t);
      handles.push(c.setTimeout(() => fired.push(t), t));
    }
    const cancelled = new Set<number>();
    for (let i = 0; i < 500; i += 3) {
      c.clearTimeout(handles[i]);
      cancelled.add(i);
    }
    expect(c.nextAt()).toBe(Math.min(...times.filter((_, i) => !cancelled.has(i))));
    await c.runUntilIdle();
    const expected = times.filter((_, i) => !cancelled.has(i)).sort((a, b) => a - b);
    expect(fired).toEqual(expected);
  });

  it('sleep resolves after ms; with an AbortSignal it rejects when aborted and frees its timer', async () => {
    const c = new VirtualClock();
    const ac = new AbortController();
    let outcome = '';
    c.sleep(100, ac.signal).then(
      () => (outcome = 'resolved'),
      (e: Error) => (outcome = `rejected:${e.name}`),
    );
    await c.advance(50);
    expect(c.pending()).toBe(1);
    ac.abort();
    await c.advance(0);
    expect(outcome).toBe('rejected:AbortError');
    expect(c.pending()).toBe(0);
  });

  it('sleep with an already-aborted signal rejects at once with the abort reason', async () => {
    const c = new VirtualClock();
    const ac = new AbortController();
    const reason = new Error('stop');
    ac.abort(reason);
    await expect(c.sleep(10, ac.signal)).rejects.toBe(reason);
    expect(c.pending()).toBe(0);
  });

  it('sleep that completes removes its abort listener (aborting later is a no-op)', async () => {
    const c = new VirtualClock();
    const ac = new AbortController();
    const p = c.sleep(10, ac.signal);
    await c.advance(10);
    await expect(p).resolves.toBeUndefined();
    ac.abort();
  });

  it('runUntilIdle runs every timer, including ones scheduled by timers, and stops at the last', async () => {
    const c = new VirtualClock();
    let n = 0;
    const tick = (): void => {
      n++;
      if (n < 5) c.setTimeout(tick, 100);
    };
    c.setTimeout(tick, 100);
    await c.runUntilIdle();
    expect(n).toBe(5);
    expect(c.now()).toBe(500);
    expect(c.pending()).toBe(0);
  });

  it('runUntilIdle guards against self-rescheduling loops, also zero-delay ones', async () => {
    const c = new VirtualClock();
    const loop = (): void => void c.setTimeout(loop, 1);
    c.setTimeout(loop, 1);
    await expect(c.runUntilIdle(100)).rejects.toThrow(/still busy after 100 timers/);

    const z = new VirtualClock();
    const spin = (): void => void z.setTimeout(spin, 0);
    z.setTimeout(spin, 0);
    await expect(z.runUntilIdle(100)).rejects.toThrow(/still busy after 100 timers/);
  });

  it('advance is not re-entrant', async () => {
    const c = new VirtualClock();
    c.setTimeout(() => {}, 10);
    const p = c.advance(10);
    await expect(c.advance(1)).rejects.toThrow(/not re-entrant/);
    await p;
    // and the clock is usable afterwards
    await c.advance(1);
    expect(c.now()).toBe(11);
  });

  it('a throwing timer surfaces from advance and leaves the clock usable', async () => {
    const c = new VirtualClock();
    c.setTimeout(() => {
      throw new Error('boom');
    }, 5);
    const log: number[] = [];
    c.setTimeout(() => log.push(c.now()), 6);
    await expect(c.advance(10)).rejects.toThrow('boom');
    await c.advance(10);
    expect(log).toEqual([6]);
  });
});

describe('abortError', () => {
  it('uses an Error reason as is, wraps a string, defaults to AbortError', () => {
    const e = new Error('x');
    const a = new AbortController();
    a.abort(e);
    expect(abortError(a.signal)).toBe(e);
    const b = new AbortController();
    b.abort('why');
    expect(abortError(b.signal).message).toBe('why');
    expect(abortError(b.signal).name).toBe('AbortError');
    expect(abortError().name).toBe('AbortError');
  });
});

describe('VirtualClock yields to the host event loop', () => {
  it('a port message posted before a run of many short advances is read within the first advances', async () => {
    // A pool worker's stop request arrives as a port message: a run advancing one simulated second at a
    // time must read it at once, not ~1000 advances later (as when each advance yielded through a port
    // round trip, which Node drains without an event-loop turn).
    const clock = new VirtualClock();
    let fired = 0;
    for (let i = 1; i <= 2000; i++) clock.setTimeout(() => fired++, i);
    const { port1, port2 } = new MessageChannel();
    let readAt: number | undefined;
    port2.once('message', () => (readAt = fired));
    port1.postMessage('stop');
    for (let i = 0; i < 2000 && readAt === undefined; i++) await clock.advance(1);
    port1.close();
    expect(readAt).toBeDefined();
    expect(readAt!).toBeLessThan(5);
  });
});
