/** The `md_cache:` block: the cache engine's configuration, its defaults and allowed ranges. */
import { ConfigError } from '../core/errors.js';
import { Reader, type Obj } from './reader.js';

/** How the cache keeps a symbol's book: see MD_CACHE_DOCS.policy and the README's md_cache table. */
export const CACHE_POLICIES = ['ttl', 'refresh_ahead', 'ws_book'] as const;
export type CachePolicy = (typeof CACHE_POLICIES)[number];

/** refresh_ahead_ms when not set: this fraction of ttl_ms. */
export const REFRESH_AHEAD_DEFAULT_FRACTION = 0.8;

export interface RetryConfig {
  /** Attempts per refresh, including the first. */
  max_attempts: number;
  /** Backoff base: attempt n waits uniform(0, min(max_ms, base_ms * 2^(n-1))) ("full jitter"). */
  base_ms: number;
  max_ms: number;
}

export interface MdCacheConfig {
  enabled: boolean;
  /** ttl (TTL + stale-while-refresh), refresh_ahead (early background refresh), ws_book (books kept from the WS diff stream). */
  policy: CachePolicy;
  /** refresh_ahead: a fresh entry older than this is served fresh and refreshed in the background (< ttl_ms). Unset: 0.8 × ttl_ms. */
  refresh_ahead_ms?: number;
  ttl_ms: number;
  max_depth: number;
  stale_ok: boolean;
  invalidate_on_ws_gap_ms: number;
  max_inflight_refresh: number;
  /** Best bid/ask move, in exchange ticks, against the last served book that invalidates the entry. */
  jump_ticks: number;
  /** Hard bound: an entry older than this is never served. */
  max_stale_ms: number;
  /** Start a hedged refresh when one has been in flight this long (needs max_inflight_refresh > 1; 0 = off). */
  hedge_after_ms: number;
  /** LRU bound on the number of cached symbols. */
  max_symbols: number;
  /** Each refresh attempt is aborted after this long. */
  refresh_timeout_ms: number;
  retry: RetryConfig;
  /** The shared (L2) tier; absent = off (every process refreshes on its own). */
  shared?: SharedConfig;
}

/** `md_cache.shared`: a Redis shared by every process of a fleet (L2 under each process' L1). */
export interface SharedConfig {
  type: 'redis';
  url: string;
  /** Every key and the notice channel start with this. */
  key_prefix: string;
  /** Refresh lease length: one process refreshes a symbol at a time; a dead holder blocks others this long. */
  lease_ms: number;
  connect_timeout_ms: number;
  /** Each Redis call is abandoned after this long and the tier falls back to L1-only. */
  command_timeout_ms: number;
  /** While fallen back, Redis is probed this often. */
  breaker_reset_ms: number;
}

export const SHARED_DEFAULTS: Readonly<SharedConfig> = Object.freeze({
  type: 'redis',
  url: 'redis://127.0.0.1:6379',
  key_prefix: 'mdcache:',
  lease_ms: 250,
  connect_timeout_ms: 1000,
  command_timeout_ms: 50,
  breaker_reset_ms: 1000,
});

export const SHARED_DOCS: Record<string, string> = {
  type: 'redis (the only store)',
  url: 'redis:// or rediss:// URL of the Redis every process shares',
  key_prefix: 'prefix of every key and of the notice channel',
  lease_ms: 'refresh lease: one process refreshes a symbol at a time [10, 60000]',
  connect_timeout_ms: 'connection attempt bound [10, 60000]',
  command_timeout_ms: 'each Redis call bound; a timeout falls back to L1-only [1, 10000]',
  breaker_reset_ms: 'probe interval while fallen back [10, 600000]',
};

/** Checks a Redis URL; returns what is wrong with it, or undefined. */
export function redisUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL (expected redis://host:port)`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `"${url}" must start with redis:// or rediss://`;
  if (u.hostname === '') return `"${url}" has no host`;
  return undefined;
}

/** Reads `md_cache.shared` (undefined when absent: the shared tier is off). */
export function readShared(r: Reader, raw: unknown, path: string): SharedConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const o = r.object(raw, path);
  if (!o) return undefined;
  const d = SHARED_DEFAULTS;
  r.unknownKeys(o, path, Object.keys(d));
  const type = r.oneOf(o, 'type', path, ['redis'] as const, 'redis');
  const url = r.string(o, 'url', path, d.url);
  const bad = redisUrlProblem(url);
  if (bad) r.add(`${path}.url`, bad);
  return {
    type,
    url,
    key_prefix: r.string(o, 'key_prefix', path, d.key_prefix),
    lease_ms: r.number(o, 'lease_ms', path, d.lease_ms, { min: 10, max: 60_000 }),
    connect_timeout_ms: r.number(o, 'connect_timeout_ms', path, d.connect_timeout_ms, { min: 10, max: 60_000 }),
    command_timeout_ms: r.number(o, 'command_timeout_ms', path, d.command_timeout_ms, { min: 1, max: 10_000 }),
    breaker_reset_ms: r.number(o, 'breaker_reset_ms', path, d.breaker_reset_ms, { min: 10, max: 600_000 }),
  };
}

export const MD_CACHE_DEFAULTS: Readonly<MdCacheConfig> = Object.freeze({
  enabled: false,
  policy: 'ttl',
  ttl_ms: 100,
  max_depth: 50,
  stale_ok: true,
  invalidate_on_ws_gap_ms: 300,
  max_inflight_refresh: 1,
  jump_ticks: 5,
  max_stale_ms: 1000,
  hedge_after_ms: 0,
  max_symbols: 10_000,
  refresh_timeout_ms: 500,
  retry: Object.freeze({ max_attempts: 3, base_ms: 10, max_ms: 200 }),
});

/** One line per key, for `mdcache config defaults` and the README. */
export const MD_CACHE_DOCS: Record<string, string> = {
  enabled: 'false = pass-through: every get calls refresh (status bypass)',
  policy: 'ttl | refresh_ahead | ws_book (books kept from the WebSocket diff stream; REST only to sync)',
  refresh_ahead_ms: 'refresh_ahead: refresh a fresh entry in the background once it is this old; < ttl_ms (default 0.8 × ttl_ms) [1, 5000]',
  ttl_ms: 'age up to which an entry is fresh [10, 5000]',
  max_depth: 'cap on the depth requested from refresh [1, 200]',
  stale_ok: 'serve an expired entry at once and refresh in the background',
  invalidate_on_ws_gap_ms: 'no feed message for this long invalidates the symbol [50, 10000]',
  max_inflight_refresh: 'refreshes in flight per symbol at most (single-flight when 1) [1, 16]',
  jump_ticks: 'best bid/ask move vs the last served book, in exchange ticks, that invalidates [1, 10000]',
  max_stale_ms: 'hard bound: an older entry is never served; must be >= ttl_ms [10, 600000]',
  hedge_after_ms: 'start a hedged refresh after this long in flight; 0 = off; needs max_inflight_refresh > 1 [0, 60000]',
  max_symbols: 'LRU bound on cached symbols [1, 10000000]',
  refresh_timeout_ms: 'each refresh attempt is aborted after this long [1, 600000]',
  'retry.max_attempts': 'attempts per refresh including the first [1, 20]',
  'retry.base_ms': 'backoff base for exponential backoff with full jitter [0, 60000]',
  'retry.max_ms': 'backoff cap; must be >= retry.base_ms [0, 600000]',
};

const KEYS = [...Object.keys(MD_CACHE_DEFAULTS), 'refresh_ahead_ms', 'shared'];
const RETRY_KEYS = Object.keys(MD_CACHE_DEFAULTS.retry);

/** Reads an `md_cache` block (already parsed from YAML) at `path`, recording problems in `r`. */
export function readMdCache(r: Reader, raw: unknown, path = 'md_cache'): MdCacheConfig {
  const o = r.object(raw, path);
  const d = MD_CACHE_DEFAULTS;
  if (o) r.unknownKeys(o, path, KEYS);
  const retryObj: Obj | undefined = r.object(o?.retry, `${path}.retry`);
  if (retryObj) r.unknownKeys(retryObj, `${path}.retry`, RETRY_KEYS);
  const rp = `${path}.retry`;
  const cfg: MdCacheConfig = {
    enabled: r.boolean(o, 'enabled', path, d.enabled),
    policy: r.oneOf(o, 'policy', path, CACHE_POLICIES, d.policy),
    ttl_ms: r.number(o, 'ttl_ms', path, d.ttl_ms, { min: 10, max: 5000 }),
    max_depth: r.number(o, 'max_depth', path, d.max_depth, { min: 1, max: 200, integer: true }),
    stale_ok: r.boolean(o, 'stale_ok', path, d.stale_ok),
    invalidate_on_ws_gap_ms: r.number(o, 'invalidate_on_ws_gap_ms', path, d.invalidate_on_ws_gap_ms, { min: 50, max: 10_000 }),
    max_inflight_refresh: r.number(o, 'max_inflight_refresh', path, d.max_inflight_refresh, { min: 1, max: 16, integer: true }),
    jump_ticks: r.number(o, 'jump_ticks', path, d.jump_ticks, { min: 1, max: 10_000, integer: true }),
    max_stale_ms: r.number(o, 'max_stale_ms', path, d.max_stale_ms, { min: 10, max: 600_000 }),
    hedge_after_ms: r.number(o, 'hedge_after_ms', path, d.hedge_after_ms, { min: 0, max: 60_000 }),
    max_symbols: r.number(o, 'max_symbols', path, d.max_symbols, { min: 1, max: 10_000_000, integer: true }),
    refresh_timeout_ms: r.number(o, 'refresh_timeout_ms', path, d.refresh_timeout_ms, { min: 1, max: 600_000 }),
    retry: {
      max_attempts: r.number(retryObj, 'max_attempts', rp, d.retry.max_attempts, { min: 1, max: 20, integer: true }),
      base_ms: r.number(retryObj, 'base_ms', rp, d.retry.base_ms, { min: 0, max: 60_000 }),
      max_ms: r.number(retryObj, 'max_ms', rp, d.retry.max_ms, { min: 0, max: 600_000 }),
    },
  };
  const ahead = r.optionalNumber(o, 'refresh_ahead_ms', path, { min: 1, max: 5000 });
  if (ahead !== undefined) cfg.refresh_ahead_ms = ahead;
  const shared = readShared(r, o?.shared, `${path}.shared`);
  if (shared) cfg.shared = shared;
  // Cross-field rules, checked only when neither side already has a problem (a rejected value was replaced by
  // its default, which would make the cross-field message misleading).
  const bad = (key: string): boolean => r.problems.some((p) => p.path === `${path}.${key}`);
  const shown = (key: 'ttl_ms' | 'max_stale_ms' | 'max_inflight_refresh'): string => (o?.[key] === undefined ? ' (default)' : '');
  if (!bad('ttl_ms') && !bad('max_stale_ms') && cfg.max_stale_ms < cfg.ttl_ms) {
    r.add(`${path}.max_stale_ms`, `${cfg.max_stale_ms}${shown('max_stale_ms')} must be >= ttl_ms (${cfg.ttl_ms}${shown('ttl_ms')})`);
  }
  if (ahead !== undefined && !bad('ttl_ms') && ahead >= cfg.ttl_ms) {
    r.add(`${path}.refresh_ahead_ms`, `${ahead} must be < ttl_ms (${cfg.ttl_ms}${shown('ttl_ms')})`);
  }
  if (!bad('retry.base_ms') && !bad('retry.max_ms') && cfg.retry.max_ms < cfg.retry.base_ms) {
    r.add(`${rp}.max_ms`, `${cfg.retry.max_ms} must be >= retry.base_ms (${cfg.retry.base_ms})`);
  }
  if (!bad('hedge_after_ms') && !bad('max_inflight_refresh') && cfg.hedge_after_ms > 0 && cfg.max_inflight_refresh < 2) {
    r.add(
      `${path}.hedge_after_ms`,
      `${cfg.hedge_after_ms} needs max_inflight_refresh >= 2 (got ${cfg.max_inflight_refresh}${shown('max_inflight_refresh')}); use 0 to turn hedging off`,
    );
  }
  return cfg;
}

export type MdCacheConfigInput = Partial<Omit<MdCacheConfig, 'retry'>> & { retry?: Partial<RetryConfig> };

/**
 * Fills defaults into a partial config (for library users who build configs in code) and validates it exactly
 * like the YAML reader (types, ranges, cross-field rules, unknown keys). Throws a ConfigError naming every
 * problem.
 */
export function mdCacheConfig(partial: MdCacheConfigInput = {}): MdCacheConfig {
  const r = new Reader();
  const cfg = readMdCache(r, partial, 'md_cache');
  if (!r.ok) throw new ConfigError(r.problems, 'md_cache config');
  return cfg;
}

/** refresh_ahead_ms in effect: the configured value, else 0.8 × ttl_ms. */
export function refreshAheadMs(cfg: Pick<MdCacheConfig, 'ttl_ms' | 'refresh_ahead_ms'>): number {
  return cfg.refresh_ahead_ms ?? REFRESH_AHEAD_DEFAULT_FRACTION * cfg.ttl_ms;
}
