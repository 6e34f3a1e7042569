/**
 * `--shared redis://…` and `--processes N` on live runs (bench/shadow with a Binance-compatible source): the
 * Redis shared tier under the cached path, its up-front reachability check (an unreachable Redis is one
 * line and exit 2 for a run; the library itself only logs and falls back), and the worker's output files.
 */
import { join } from 'node:path';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import { SHARED_DEFAULTS, redisUrlProblem, type MdCacheConfig, type SharedConfig } from '../config/md-cache.js';
import type { SharedTier } from '../cache/shared/tier.js';
import type { OrderBook } from '../market/book.js';
import type { Results } from '../results/types.js';
import { writeFileAtomic } from '../io/atomic.js';
import { RealClock } from '../core/clock.js';
import { MAX_WORKER_PROCESSES } from './fleet-procs.js';

/** `--shared <url>`: a redis:// or rediss:// URL. */
export function sharedFlag(v: string): string {
  const bad = redisUrlProblem(v);
  if (bad) throw new UsageError(`--shared: ${bad}, e.g. --shared redis://127.0.0.1:6379`);
  return v;
}

/** `--processes` for real worker processes: [1, MAX_WORKER_PROCESSES]. */
export function checkWorkerProcesses(n: number, flag = '--processes'): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_WORKER_PROCESSES) {
    throw new UsageError(`${flag}: ${n} real worker processes is out of range [1, ${MAX_WORKER_PROCESSES}] (each is a node process with its own exchange connections; the virtual-time fleet, without --source binance, simulates up to 256)`);
  }
}

/** md_cache with `shared.url` set from `--shared` (the scenario's other shared keys, else the defaults, kept). */
export function withShared(md: MdCacheConfig, url: string | undefined): MdCacheConfig {
  if (url === undefined) return md;
  return { ...md, shared: { ...(md.shared ?? SHARED_DEFAULTS), url } };
}

/** Exit 2 (one line) when the Redis of `md_cache.shared` does not answer within its connect timeout. */
export async function checkRedisReachable(cfg: SharedConfig, flag = '--shared'): Promise<void> {
  const { RedisStore } = await import('../cache/shared/redis-store.js');
  const store = new RedisStore({ url: cfg.url, keyPrefix: cfg.key_prefix, connectTimeoutMs: cfg.connect_timeout_ms, commandTimeoutMs: cfg.command_timeout_ms, clock: new RealClock() });
  try {
    await store.ready(Math.max(cfg.connect_timeout_ms, 500));
  } catch (err) {
    throw new UsageError(`${flag}: Redis at ${cfg.url} is not reachable (${(err as Error).message}); start one, e.g. redis-server --port 6379 --save '' --appendonly no`);
  } finally {
    await store.close();
  }
}

/**
 * The factory runBench calls with the run's clock: the Redis tier of `md_cache.shared` (undefined when off).
 * The tier never throws for Redis trouble: it falls back to L1-only and logs one line.
 *
 * `marketClock`: the clock the market stamps its books' `takenAt` with, when it is not the run's (a live
 * exchange's books are stamped on the host clock, before and during the run). A book read from L2 is then
 * stamped on that clock too, so its age (`staleness_ms`, the shadow's candidate staleness) reads the same
 * whether it came from REST or from L2. (The cache's own age checks use the tier's fetch time on the run's
 * clock, not `takenAt`.)
 */
export async function redisTierFactory(md: MdCacheConfig, log: (line: string) => void, registry: Registry | null = null, marketClock?: Clock): Promise<((clock: Clock) => Promise<SharedTier<OrderBook> | undefined>) | undefined> {
  const c = md.shared;
  if (!c) return undefined;
  const { RedisStore, SharedTier, bookCodec } = await import('../cache/shared/index.js');
  return async (clock) => {
    const store = new RedisStore({ url: c.url, keyPrefix: c.key_prefix, connectTimeoutMs: c.connect_timeout_ms, commandTimeoutMs: c.command_timeout_ms, clock });
    // The tier starts up (rather than fallen back until its first probe) when Redis answers within the
    // connect timeout; still unreachable = the library's logged fallback to L1-only.
    await store.ready(c.connect_timeout_ms).catch((err: Error) => log(`${err.message}; L1-only until it answers`));
    const codec = marketClock ? { encode: bookCodec.encode, decode: (bytes: Uint8Array, symbol: string, fetchedAt: number) => bookCodec.decode(bytes, symbol, fetchedAt + marketClock.now() - clock.now()) } : bookCodec;
    return new SharedTier<OrderBook>({
      store,
      codec,
      clock,
      leaseMs: c.lease_ms,
      commandTimeoutMs: c.command_timeout_ms,
      breakerResetMs: c.breaker_reset_ms,
      bookTtlMs: md.max_stale_ms,
      origin: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      registry,
      log,
    });
  };
}

/**
 * A fleet worker's files: the `.hlog` files, then results.json (last, atomically: a folder with results.json
 * holds the complete set). No report: the parent renders the fleet's merged one.
 */
export function writeWorkerOutput(results: Results, hlogs: Record<string, string>, outDir: string): void {
  for (const [name, text] of Object.entries(hlogs)) writeFileAtomic(join(outDir, name), text);
  writeFileAtomic(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
}
