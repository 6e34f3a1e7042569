/**
 * The simulated store on its own (virtual time): command semantics (epochs, book expiry, lease expiry and
 * tokens, copies of written bytes, the command count), notices (kinds, lost during an outage or after close),
 * outage and slow windows relative to the server's start, restarts that lose every key, and a client's replies.
 */
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { SimServer, type SimFaults } from '../../../src/cache/shared/sim-store.js';
import type { StoreEvent } from '../../../src/cache/shared/types.js';
import { flush, track } from '../helpers.js';

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs);

describe('SimServer commands', () => {
  it('a new symbol\'s epoch is the server time in µs; invalidate bumps it and drops the book; every command is counted', () => {
    const clock = new VirtualClock(2.5);
    const server = new SimServer(clock);
    expect(server.read('S')).toEqual({ epoch: 2500 });
    expect(server.write('S', 2500, bytes(1, 2), 5, 0, 100, 'p')).toBe(true);
    expect(server.acquire('S', 't', 10)).toBe(true);
    expect(server.release('S', 't')).toBe(true);
    expect(server.invalidate('S', 'p')).toBe(2501);
    expect(server.read('S')).toEqual({ epoch: 2501 });
    expect(server.write('S', 2500, bytes(1), 5, 0, 100, 'p')).toBe(false); // the epoch moved
    expect(server.commands).toBe(7);
  });

  it('a book is dated by its age, kept as a copy, and gone at its expiry', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(clock);
    const b = bytes(1, 2, 3);
    server.write('S', 0, b, 7, 4, 10, 'p');
    b[0] = 99;
    await clock.advance(9.5);
    expect(server.read('S')).toEqual({ epoch: 0, book: { bytes: bytes(1, 2, 3), depth: 7, ageMs: 13.5 } });
    await clock.advance(0.5);
    expect(server.read('S')).toEqual({ epoch: 0 });
  });

  it('leases: refused while held, free again exactly at expiry; released only by their token and before expiry', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(clock);
    expect(server.release('S', 'a')).toBe(false); // none
    expect(server.acquire('S', 'a', 10)).toBe(true);
    expect(server.acquire('S', 'b', 10)).toBe(false);
    expect(server.release('S', 'b')).toBe(false); // not its token
    await clock.advance(10);
    expect(server.release('S', 'a')).toBe(false); // expired
    expect(server.acquire('S', 'b', 10)).toBe(true);
    expect(server.release('S', 'b')).toBe(true);
    expect(server.acquire('S', 'c', 10)).toBe(true);
  });
});

describe('SimServer faults (times relative to the server\'s start)', () => {
  it('an outage window: from at_ms, up to (not including) at_ms + for_ms', async () => {
    const clock = new VirtualClock(1000);
    const o = { at_ms: 10, for_ms: 10, mode: 'down' as const, restart: false };
    const server = new SimServer(clock, { outages: [o], slow: [] });
    await clock.advance(9.5);
    expect(server.outage()).toBeUndefined();
    await clock.advance(0.5);
    expect(server.outage()).toBe(o);
    await clock.advance(9.5);
    expect(server.outage()).toBe(o);
    await clock.advance(0.5);
    expect(server.outage()).toBeUndefined();
  });

  it('slow windows add their latency inside them, summed where they overlap', async () => {
    const clock = new VirtualClock(1000);
    const server = new SimServer(clock, { outages: [], slow: [{ at_ms: 10, for_ms: 10, extra_ms: 5 }, { at_ms: 15, for_ms: 10, extra_ms: 7 }] });
    const at = async (t: number): Promise<number> => {
      await clock.advanceTo(1000 + t);
      return server.extraLatency();
    };
    expect([await at(9.5), await at(10), await at(15), await at(19.5), await at(20), await at(25)]).toEqual([0, 5, 12, 12, 7, 0]);
  });

  it('a restart loses every key (epochs start again from the server time); without one they survive', async () => {
    for (const restart of [true, false]) {
      const clock = new VirtualClock();
      const server = new SimServer(clock, { outages: [{ at_ms: 10, for_ms: 10, mode: 'hang', restart }], slow: [] });
      server.write('S', server.read('S').epoch, bytes(1), 1, 0, 1000, 'p');
      server.acquire('S', 'a', 1000);
      await clock.advance(20);
      if (restart) {
        expect(server.read('S')).toEqual({ epoch: 20_000 });
        expect(server.acquire('S', 'b', 10)).toBe(true);
      } else {
        expect(server.read('S').book?.depth).toBe(1);
        expect(server.acquire('S', 'b', 10)).toBe(false);
      }
    }
  });
});

describe('SimServer clients', () => {
  const faults = (mode: 'down' | 'hang'): SimFaults => ({ outages: [{ at_ms: 10, for_ms: 10, mode, restart: false }], slow: [] });

  it('replies after the round trip; notices arrive half a round trip after the command, with their kind and origin', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(clock);
    const c = server.client(() => 2);
    const events: [number, StoreEvent][] = [];
    c.subscribe((e) => events.push([clock.now(), e]), () => {});
    const inv = track(c.invalidate('S', 'me'));
    await clock.advance(1.5);
    expect(inv.settled).toBe(false);
    await clock.advance(0.5);
    expect(inv.value).toBe(1001); // created at 1 (1000 µs) by the invalidate itself
    const w = track(c.write('S', 1001, bytes(1), 1, 0, 100, 'me'));
    await clock.advance(3);
    expect(w.value).toBe(true);
    // the invalidate reached the server at 1 and its notice the subscriber at 2; the write: 3 and 4
    expect(events).toEqual([
      [2, { type: 'invalidated', symbol: 'S', epoch: 1001, origin: 'me' }],
      [4, { type: 'written', symbol: 'S', epoch: 1001, origin: 'me' }],
    ]);
  });

  it('a closed client rejects every call and gets no more notices', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(clock);
    const c = server.client(() => 1);
    const events: StoreEvent[] = [];
    c.subscribe((e) => events.push(e), () => {});
    await c.close();
    await expect(c.read('S')).rejects.toThrow('connection closed');
    server.invalidate('S', 'other');
    await clock.advance(5);
    expect(events).toEqual([]);
  });

  it('notices published during an outage are lost', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(clock, faults('hang'));
    const events: StoreEvent[] = [];
    server.client(() => 1).subscribe((e) => events.push(e), () => {});
    await clock.advance(9.8);
    server.invalidate('S', 'other'); // delivered at 10.3: during the outage
    await clock.advance(20);
    server.invalidate('T', 'other');
    await clock.advance(1);
    expect(events.map((e) => e.symbol)).toEqual(['T']);
  });

  it('outage modes: `down` refuses at once, `hang` never answers; subscribers hear the status changes', async () => {
    for (const mode of ['down', 'hang'] as const) {
      const clock = new VirtualClock();
      const server = new SimServer(clock, faults(mode));
      const c = server.client(() => 1);
      const status: [number, boolean][] = [];
      c.subscribe(() => {}, (up) => status.push([clock.now(), up]));
      await clock.advance(10);
      const r = track(c.read('S'));
      await flush();
      if (mode === 'down') expect((r.error as Error).message).toBe('connect ECONNREFUSED (simulated outage)');
      else expect(r.settled).toBe(false);
      await clock.advance(100);
      if (mode === 'hang') expect(r.settled).toBe(false);
      expect(status).toEqual([
        [10, false],
        [20, true],
      ]);
    }
  });

  it('a command that reaches the server during an outage is lost: not run, the reply is an error', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(clock, faults('hang'));
    const c = server.client(() => 1);
    await clock.advance(9.8);
    const r = track(c.invalidate('S', 'me')); // reaches the server at 10.3
    await clock.advance(1);
    expect((r.error as Error).message).toBe('connection lost (simulated outage)');
    expect(server.commands).toBe(0);
  });
});
