/**
 * The refresh context is abort-like without an AbortController: `aborted`, `reason` and abort listeners work
 * as AbortSignal's do, so a refresh can hand the context itself to Clock.sleep (as the simulator does) and an
 * invalidation still cuts the sleep at the moment it happens. `signal`, when read, agrees with the context.
 */
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { toAbortSignal, type AbortLike } from '../../src/core/abort.js';
import { mdCacheConfig } from '../../src/config/md-cache.js';
import { MDCache } from '../../src/cache/md-cache.js';
import type { RefreshContext } from '../../src/cache/types.js';

function sleepyCache(refreshMs: number) {
  const clock = new VirtualClock();
  const seen: { ctx: RefreshContext; outcome?: string; at?: number }[] = [];
  const cache = new MDCache<string>(mdCacheConfig({ enabled: true, ttl_ms: 100, retry: { max_attempts: 1 } }), {
    clock,
    registry: null,
    refresh: async (symbol, ctx) => {
      const rec: (typeof seen)[number] = { ctx };
      seen.push(rec);
      try {
        await clock.sleep(refreshMs, ctx); // the context itself, no AbortSignal
        rec.outcome = 'slept';
      } catch (err) {
        rec.outcome = (err as Error).message;
        throw err;
      } finally {
        rec.at = clock.now();
      }
      return `${symbol}@${clock.now()}`;
    },
  });
  return { clock, cache, seen };
}

describe('RefreshContext as an AbortLike', () => {
  it('an invalidation during a background refresh cuts a sleep on the context at that instant, with the reason', async () => {
    const { clock, cache, seen } = sleepyCache(50);
    const first = cache.get('A');
    await clock.advance(50);
    expect((await first).value).toBe('A@50');
    await clock.advance(100); // age 100 at t=150: stale from here on
    await clock.advance(1);
    expect((await cache.get('A')).status).toBe('stale'); // starts the background refresh (call 2) at 151
    await clock.advance(20);
    cache.invalidate('A', 'seq_gap'); // no caller waits on call 2: it is aborted
    await clock.advance(0);
    expect(seen).toHaveLength(2);
    const bg = seen[1]!;
    expect(bg.at).toBe(171); // not 201: the listener fired on the abort
    expect(bg.ctx.aborted).toBe(true);
    expect(bg.outcome).toBe('refresh of A invalidated (seq_gap)');
    expect((bg.ctx.reason as Error).message).toBe(bg.outcome);
    // the signal read after the abort is created already aborted, with the same reason
    expect(bg.ctx.signal.aborted).toBe(true);
    expect(bg.ctx.signal.reason).toBe(bg.ctx.reason);
  });

  it('a refresh that finishes removes its listener; nothing fires later', async () => {
    const { clock, cache, seen } = sleepyCache(10);
    const r = await (async () => {
      const p = cache.get('A');
      await clock.advance(10);
      return p;
    })();
    expect(r.value).toBe('A@10');
    expect(seen[0]!.outcome).toBe('slept');
    cache.invalidate('A', 'manual'); // the call is over: its context is not aborted by a later invalidation
    await clock.advance(0);
    expect(seen[0]!.ctx.aborted).toBe(false);
  });

  it('listeners: once per abort, removable, not called for an abort that already happened', async () => {
    const { clock, cache, seen } = sleepyCache(50);
    const first = cache.get('A');
    await clock.advance(50);
    await first;
    await clock.advance(101);
    expect(cache.getSync('A')?.status).toBe('stale'); // background refresh, no waiter
    await clock.advance(1);
    const ctx = seen[1]!.ctx;
    const calls: string[] = [];
    const a = (): void => void calls.push('a');
    const b = (): void => void calls.push('b');
    ctx.addEventListener('abort', a);
    ctx.addEventListener('abort', b);
    ctx.removeEventListener('abort', b);
    cache.invalidate('A', 'manual');
    await clock.advance(0);
    expect(calls).toEqual(['a']);
    ctx.addEventListener('abort', b); // after the abort: never called
    await clock.advance(100);
    expect(calls).toEqual(['a']);
  });

  it('removing a listener removes that one only (the first, the last, or one never added), before or after the abort', async () => {
    // a refresh that adds no listener of its own, so the test's are the whole list
    const clock = new VirtualClock();
    const ctxs: RefreshContext[] = [];
    const cache = new MDCache<string>(mdCacheConfig({ enabled: true, ttl_ms: 100, retry: { max_attempts: 1 } }), {
      clock,
      registry: null,
      refresh: (symbol, ctx) => {
        ctxs.push(ctx);
        return new Promise<string>((resolve) => clock.setTimeout(() => resolve(symbol), 50));
      },
    });
    const first = cache.get('A');
    await clock.advance(50);
    await first;
    await clock.advance(101);
    expect(cache.getSync('A')?.status).toBe('stale'); // background refresh, no waiter
    const ctx = ctxs[1]!;
    const calls: string[] = [];
    const a = (): void => void calls.push('a');
    const b = (): void => void calls.push('b');
    const c = (): void => void calls.push('c');
    ctx.removeEventListener('abort', a); // nothing added yet: a no-op
    ctx.addEventListener('abort', a);
    ctx.addEventListener('abort', b);
    ctx.addEventListener('abort', c);
    ctx.removeEventListener('abort', a); // the first of the list
    ctx.removeEventListener('abort', (): void => undefined); // never added: nothing removed
    cache.invalidate('A', 'manual');
    await clock.advance(0);
    expect(calls).toEqual(['b', 'c']);
    ctx.removeEventListener('abort', b); // after the abort: a no-op
    expect(ctx.aborted).toBe(true);
  });

  it('toAbortSignal gives fetch a real signal: the same signal, the context\'s own, or a bridge', () => {
    const ac = new AbortController();
    expect(toAbortSignal(ac.signal)).toBe(ac.signal);
    expect(toAbortSignal(undefined)).toBeUndefined();
    let listener: (() => void) | undefined;
    const like: AbortLike = {
      aborted: false,
      reason: undefined,
      addEventListener: (_t, fn) => void (listener = fn),
      removeEventListener: () => undefined,
    };
    const bridged = toAbortSignal(like)!;
    expect(bridged).toBeInstanceOf(AbortSignal);
    expect(bridged.aborted).toBe(false);
    (like as { aborted: boolean; reason: unknown }).aborted = true;
    (like as { aborted: boolean; reason: unknown }).reason = 'stop';
    listener!();
    expect(bridged.aborted).toBe(true);
    expect(bridged.reason).toBe('stop');
    const own = { ...like, signal: ac.signal };
    expect(toAbortSignal(own)).toBe(ac.signal);
  });
});
