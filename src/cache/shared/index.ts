/**
 * `mdcache/shared`: the shared (L2) tier — one store interface, a Redis and a simulated store, the tier logic
 * over both, and the binary OrderBook codec it stores books with. Loads ioredis (the root export does not).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Clock } from '../../core/clock.js';
import type { MdCacheConfig } from '../../config/md-cache.js';
import { RedisStore } from './redis-store.js';
import { SharedTier } from './tier.js';
import type { SharedCodec } from './types.js';

export { SharedTier, type SharedTierOptions, type L2Book, type SharedListener } from './tier.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { SimServer, NO_FAULTS, type SimFaults, type SimOutage, type SimSlow } from './sim-store.js';
export { SHARED_METRIC_NAMES, SHARED_RTT_BUCKETS_MS } from './metrics.js';
export type * from './types.js';
export { bookCodec, encodeBook, decodeBook } from '../../market/book-codec.js';

export interface RedisTierDeps<V> {
  clock: Clock;
  codec: SharedCodec<V>;
  registry?: Registry | null;
  log?: (line: string) => void;
  /** This process' id in tokens and notices (default host:pid:random). */
  origin?: string;
}

/**
 * The Redis shared tier for `config.shared` (undefined when it is off). Never throws for an unreachable
 * Redis: the tier starts fallen back to L1-only (logged) and joins once Redis answers. Pass the result as
 * `shared` in MDCache's deps; `store.ready(ms)` waits for the connection when a caller needs it up front.
 */
export function redisTierFor<V>(config: MdCacheConfig, deps: RedisTierDeps<V>): { tier: SharedTier<V>; store: RedisStore } | undefined {
  const c = config.shared;
  if (c === undefined) return undefined;
  const store = new RedisStore({ url: c.url, keyPrefix: c.key_prefix, connectTimeoutMs: c.connect_timeout_ms, commandTimeoutMs: c.command_timeout_ms, clock: deps.clock });
  const tier = new SharedTier<V>({
    store,
    codec: deps.codec,
    clock: deps.clock,
    leaseMs: c.lease_ms,
    commandTimeoutMs: c.command_timeout_ms,
    breakerResetMs: c.breaker_reset_ms,
    bookTtlMs: config.max_stale_ms,
    origin: deps.origin ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    registry: deps.registry,
    log: deps.log,
  });
  return { tier, store };
}
