/** The venue's rolling-window weight limiter (429, then 418 bans) and the client's Retry-After block, on times passed in. */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { BAN_BASE_MS, BAN_MAX_MS, RetryAfterBlock, WeightLimiter, banMs } from '../../src/market/rate-limit.js';

describe('WeightLimiter', () => {
  it('property: never admits more than the limit in any 60 s window, and the used weight it reports is that window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 20_000 }), w: fc.constantFrom(1, 5, 20, 25, 50, 250) }), { minLength: 1, maxLength: 300 }),
        (limit, reqs) => {
          const l = new WeightLimiter(limit);
          const admitted: { t: number; w: number }[] = [];
          let t = 0;
          for (const r of reqs) {
            t += r.dt;
            const d = l.admit(t, r.w);
            if (d.status === 200) admitted.push({ t, w: r.w });
            else expect(d.retryAfterS).toBeGreaterThanOrEqual(1);
            const inWindow = admitted.filter((a) => a.t > t - 60_000).reduce((s, a) => s + a.w, 0);
            expect(d.used).toBe(inWindow);
            expect(d.used).toBeLessThanOrEqual(limit);
          }
          // every 60 s window [a, a + 60 s) starting at an admission holds at most `limit`
          for (const a of admitted) {
            const sum = admitted.filter((b) => b.t >= a.t && b.t < a.t + 60_000).reduce((s, b) => s + b.w, 0);
            expect(sum).toBeLessThanOrEqual(limit);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: a client that waits out every Retry-After is never banned, and its next request after a 429 fits when it is no heavier', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 25, max: 500 }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 5000 }), w: fc.constantFrom(5, 25) }), { minLength: 1, maxLength: 300 }),
        (limit, reqs) => {
          const l = new WeightLimiter(limit);
          const block = new RetryAfterBlock();
          let t = 0;
          let after429 = -Infinity; // weight of the request that got the last 429 (-Infinity: none)
          for (const r of reqs) {
            t += r.dt;
            const wait = block.remainingMs(t);
            if (wait > 0) t += wait; // the polite client sends nothing until its Retry-After ends
            const d = l.admit(t, r.w);
            expect(d.status).not.toBe(418);
            if (r.w <= after429) expect(d.status).toBe(200);
            after429 = d.status === 429 ? r.w : -Infinity;
            if (d.status !== 200) block.block(t, d.retryAfterS! * 1000, d.status);
          }
          expect(l.bans).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('429 with Retry-After until the oldest weight leaves the window; a request during it is banned (418, 2 min); the ban ends after its Retry-After', () => {
    const l = new WeightLimiter(100);
    expect(l.admit(0, 50)).toEqual({ status: 200, used: 50 });
    expect(l.admit(10_000, 50)).toEqual({ status: 200, used: 100 });
    // full: the first 50 leaves the window at 60 s → Retry-After 40 s at t = 20 s
    expect(l.admit(20_000, 5)).toEqual({ status: 429, used: 100, retryAfterS: 40 });
    // sent again during that Retry-After → banned for 2 minutes
    expect(l.admit(30_000, 5)).toEqual({ status: 418, used: 100, retryAfterS: 120 });
    expect(l.banRemainingMs(30_000)).toBe(120_000);
    // every request during the ban: 418 with the ban's remaining seconds (not extended)
    expect(l.admit(90_000, 5)).toEqual({ status: 418, used: 0, retryAfterS: 60 });
    expect(l.admit(149_999, 5)).toMatchObject({ status: 418, retryAfterS: 1 });
    // the ban is over at 150 s, the window is empty again
    expect(l.admit(150_000, 5)).toEqual({ status: 200, used: 5 });
    expect(l.rateLimited).toBe(1);
    expect(l.banned).toBe(3);
    expect(l.bans).toBe(1);
  });

  it('a request sent after the 429 Retry-After is judged afresh (no ban)', () => {
    const l = new WeightLimiter(10);
    expect(l.admit(0, 10).status).toBe(200);
    expect(l.admit(1000, 5)).toMatchObject({ status: 429, retryAfterS: 59 });
    expect(l.admit(60_000, 5)).toEqual({ status: 200, used: 5 });
    expect(l.bans).toBe(0);
  });

  it('bans escalate for repeat offenders: 2 min × 2^(n−1), capped at 3 days', () => {
    expect([1, 2, 3, 4].map((n) => banMs(n) / 60_000)).toEqual([2, 4, 8, 16]);
    expect(banMs(12)).toBe(4096 * 60_000);
    expect(banMs(13)).toBe(BAN_MAX_MS);
    expect(banMs(1000)).toBe(BAN_MAX_MS);
    const l = new WeightLimiter(5);
    let t = 0;
    const lengths: number[] = [];
    for (let n = 0; n < 3; n++) {
      expect(l.admit(t, 5).status).toBe(200);
      expect(l.admit(t + 1, 5).status).toBe(429);
      const ban = l.admit(t + 2, 5);
      expect(ban.status).toBe(418);
      lengths.push(ban.retryAfterS!);
      t += 2 + ban.retryAfterS! * 1000;
    }
    expect(lengths).toEqual([BAN_BASE_MS / 1000, (2 * BAN_BASE_MS) / 1000, (4 * BAN_BASE_MS) / 1000]);
  });

  it('a request heavier than the limit is never admitted (Retry-After = the window)', () => {
    const l = new WeightLimiter(100);
    expect(l.admit(0, 250)).toEqual({ status: 429, used: 0, retryAfterS: 60 });
  });

  it('rejects a limit that is not > 0', () => {
    expect(() => new WeightLimiter(0)).toThrow(RangeError);
    expect(() => new WeightLimiter(Number.NaN)).toThrow(RangeError);
  });
});

describe('RetryAfterBlock', () => {
  it('blocks until the longest Retry-After; a later 429 never shortens a 418 ban', () => {
    const b = new RetryAfterBlock();
    expect(b.remainingMs(0)).toBe(0);
    b.block(0, 120_000, 418);
    b.block(1000, 1000, 429);
    expect(b.remainingMs(2000)).toBe(118_000);
    expect(b.status).toBe(418);
    expect(b.remainingMs(120_000)).toBe(0);
  });

  it('forgettable: only with an empty window, no Retry-After or ban running, and no ban ever', () => {
    const l = new WeightLimiter(10);
    expect(l.forgettable(0)).toBe(true);
    l.admit(0, 6);
    expect(l.forgettable(59_999)).toBe(false); // the weight is still in the window
    expect(l.forgettable(60_000)).toBe(true);
    l.admit(60_000, 6);
    expect(l.admit(60_001, 6).status).toBe(429); // Retry-After until 120 s
    expect(l.forgettable(121_000)).toBe(true); // waited out, nothing left
    const banned = new WeightLimiter(10);
    banned.admit(0, 10);
    expect(banned.admit(1, 5).status).toBe(429);
    expect(banned.admit(2, 1).status).toBe(418); // sent during the Retry-After
    expect(banned.forgettable(30_000)).toBe(false); // banned now
    expect(banned.forgettable(10 * 86_400_000)).toBe(false); // a client once banned is kept: its bans scale the next one
  });
});
