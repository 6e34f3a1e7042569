/**
 * Deliberately broken caches for the CI-gate tests: subclasses of the library's MDCache, each with one bug a
 * reviewer might plausibly introduce. The tests swap them in for MDCache with vi.mock, so the simulator,
 * pipeline and results code run unchanged (nothing in src/ is edited).
 */
import type { MDCache as RealMDCache } from '../../src/cache/md-cache.js';
import type { MdCacheConfig } from '../../src/config/md-cache.js';
import type { CacheStats, GetOptions, GetResult, MDCacheDeps, RefreshContext } from '../../src/cache/types.js';

export type Breakage = 'none' | 'no-single-flight' | 'slow-refresh' | 'no-stale-while-refresh';
export const BREAKAGES: readonly Exclude<Breakage, 'none'>[] = ['no-single-flight', 'slow-refresh', 'no-stale-while-refresh'];

/** Extra latency of every refresh in `slow-refresh` (the "every refresh 40 ms slower"). */
export const SLOW_REFRESH_MS = 40;

type Ctor = new <V>(config: MdCacheConfig, deps: MDCacheDeps<V>) => RealMDCache<V>;
/** The value type is opaque to the breakages. */
type V = unknown;

/** A subclass of `Base` (the real MDCache) that behaves as `breakage()` says at construction time. */
export function brokenCacheClass(Base: Ctor, breakage: () => Breakage): Ctor {
  class BrokenMDCache extends (Base as unknown as new (config: MdCacheConfig, deps: MDCacheDeps<V>) => RealMDCache<V>) {
    private readonly mode: Breakage;
    private readonly refreshOf: MDCacheDeps<V>['refresh'];
    private readonly ttlMs: number;
    private readonly maxDepthOf: number;
    private extraRefreshes = 0;

    constructor(config: MdCacheConfig, deps: MDCacheDeps<V>) {
      const mode = breakage();
      // slow-refresh: every refresh waits SLOW_REFRESH_MS on the cache's clock before fetching.
      const refresh: MDCacheDeps<V>['refresh'] = mode === 'slow-refresh' ? async (s, ctx) => (await deps.clock.sleep(SLOW_REFRESH_MS, ctx.signal), deps.refresh(s, ctx)) : deps.refresh;
      super(config, { ...deps, refresh });
      this.mode = mode;
      this.refreshOf = refresh;
      this.ttlMs = config.ttl_ms;
      this.maxDepthOf = config.max_depth;
    }

    override get(symbol: string, opts?: GetOptions): Promise<GetResult<V>> {
      if (this.mode === 'no-stale-while-refresh') {
        // Bug: a stale entry is dropped instead of served while it refreshes, so the caller waits (a miss).
        const held = this.peek(symbol);
        if (held && held.ageMs > (opts?.maxAgeMs ?? this.ttlMs)) this.invalidate(symbol, 'manual');
      }
      const result = super.get(symbol, opts);
      if (this.mode === 'no-single-flight') {
        // Bug: every get starts its own refresh instead of joining the one in flight (or none, when fresh).
        this.extraRefreshes++;
        this.refreshOf(symbol, contextOf(opts?.depth ?? this.maxDepthOf, new AbortController().signal)).catch(() => undefined);
      }
      return result;
    }

    override stats(symbol?: string): CacheStats {
      const s = super.stats(symbol);
      return this.extraRefreshes === 0 || symbol !== undefined ? s : { ...s, refreshes: s.refreshes + this.extraRefreshes };
    }
  }
  return BrokenMDCache as unknown as Ctor;
}

/** A RefreshContext over a real AbortSignal (what a wrapper calling a RefreshFn itself passes). */
function contextOf(depth: number, signal: AbortSignal): RefreshContext {
  return {
    depth,
    signal,
    get aborted() {
      return signal.aborted;
    },
    get reason() {
      return signal.reason as unknown;
    },
    addEventListener: (type, fn, options) => signal.addEventListener(type, fn, options),
    removeEventListener: (type, fn) => signal.removeEventListener(type, fn),
  };
}
