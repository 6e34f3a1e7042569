/**
 * Canary by process with a shared tier (prod.yaml `fleet.shared`): the canary simulates its N processes in one
 * cache under keys `p<k>/<SYMBOL>` (process-market.ts), so their shared (L2) tier is one SharedTier — the same
 * lease / epoch / fallback code as the Redis tier and bench's fleet simulation — over a store that maps every
 * process's key to the symbol's one entry in a simulated server (SimServer):
 *
 * - reads, leases and epoch-fenced writes of `p<k>/BTCUSDT` go to `BTCUSDT`: one lease and one L2 book per
 *   symbol for the whole fleet;
 * - a notice about `BTCUSDT` reaches every process's key: a `written` notice wakes the waiters of every
 *   process; an `invalidated` notice drops every *other* process's L1 entry (the process that invalidated
 *   already dropped its own — it is marked as the notice's origin, which the tier ignores).
 *
 * What differs from N separate processes: the processes share one client (one latency stream, one circuit
 * breaker: an outage sends all of them L1-only at once, which the simulated faults do anyway).
 */
import type { Clock } from '../core/clock.js';
import { rngStream } from '../core/rng.js';
import { SimServer } from '../cache/shared/sim-store.js';
import { SharedTier } from '../cache/shared/tier.js';
import type { SharedStore, StoreEvent } from '../cache/shared/types.js';
import { bookCodec } from '../market/book-codec.js';
import type { OrderBook } from '../market/book.js';
import { latencySampler } from '../market/latency.js';
import type { FleetSharedSpec } from '../sim/fleet.js';
import { processKey, splitProcessKey } from './process-market.js';

const ORIGIN = 'canary';

/** The origin a process's own commands carry in the server (so its notices can be told apart). */
function processOrigin(origin: string, process: number): string {
  return `${origin}#p${process}`;
}

/** A SharedStore over `inner` for keys `p<k>/<SYMBOL>` of `processes` processes that share one entry per symbol. */
export function processKeyedStore(inner: SharedStore, processes: number, origin = ORIGIN): SharedStore {
  const split = splitProcessKey;
  return {
    read: (key) => inner.read(split(key).symbol),
    acquire: (key, token, ms) => inner.acquire(split(key).symbol, token, ms),
    release: (key, token) => inner.release(split(key).symbol, token),
    write: (key, epoch, bytes, depth, ageMs, ttlMs, from) => {
      const k = split(key);
      return inner.write(k.symbol, epoch, bytes, depth, ageMs, ttlMs, processOrigin(from, k.process));
    },
    invalidate: (key, from) => {
      const k = split(key);
      return inner.invalidate(k.symbol, processOrigin(from, k.process));
    },
    ping: () => inner.ping(),
    subscribe(onEvent, onStatus) {
      inner.subscribe((e: StoreEvent) => {
        for (let p = 0; p < processes; p++) {
          // The process the notice came from sees it as its own (ignored for invalidations, as in a real process).
          onEvent({ ...e, symbol: processKey(p, e.symbol), origin: e.origin === processOrigin(origin, p) ? origin : e.origin });
        }
      }, onStatus);
    },
    close: () => inner.close(),
  };
}

export interface ProcessTierOptions {
  clock: Clock;
  processes: number;
  spec: FleetSharedSpec;
  seed: number;
  /** L2 books expire after this long (md_cache.max_stale_ms). */
  bookTtlMs: number;
}

/** The canary processes' shared tier (virtual time): one simulated server, keys mapped per process (see above). */
export function processSharedTier(o: ProcessTierOptions): { tier: SharedTier<OrderBook>; server: SimServer } {
  const server = new SimServer(o.clock, o.spec.faults);
  const client = server.client(latencySampler(o.spec.latency, rngStream(o.seed, 'canary/shared')));
  const tier = new SharedTier<OrderBook>({
    store: processKeyedStore(client, o.processes),
    codec: {
      encode: bookCodec.encode,
      decode: (bytes, key, fetchedAt) => bookCodec.decode(bytes, splitProcessKey(key).symbol, fetchedAt),
    },
    clock: o.clock,
    leaseMs: o.spec.lease_ms,
    commandTimeoutMs: o.spec.command_timeout_ms,
    breakerResetMs: o.spec.breaker_reset_ms,
    bookTtlMs: o.bookTtlMs,
    origin: ORIGIN,
    registry: null,
  });
  return { tier, server };
}
