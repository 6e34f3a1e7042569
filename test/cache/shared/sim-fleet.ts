/** Test helper: N caches ("processes") on one VirtualClock sharing one SimServer. */
import { VirtualClock } from '../../../src/core/clock.js';
import { mdCacheConfig } from '../../../src/config/md-cache.js';
import { MDCache } from '../../../src/cache/md-cache.js';
import { SharedTier } from '../../../src/cache/shared/tier.js';
import { SimServer, NO_FAULTS, type SimFaults } from '../../../src/cache/shared/sim-store.js';
import type { SharedCodec } from '../../../src/cache/shared/types.js';
import { FakeRefresh, type Book, type ConfigPatch } from '../helpers.js';

export const jsonCodec: SharedCodec<Book> = {
  encode: (b) => new TextEncoder().encode(JSON.stringify(b)),
  decode: (bytes) => JSON.parse(new TextDecoder().decode(bytes)) as Book,
};

export interface Proc {
  cache: MDCache<Book>;
  tier: SharedTier<Book>;
  refresh: FakeRefresh;
  logs: string[];
}

export function simFleet(n: number, patch: ConfigPatch = {}, opts: { rttMs?: number; refreshMs?: number; faults?: SimFaults; leaseMs?: number; commandTimeoutMs?: number; resetMs?: number } = {}) {
  const clock = new VirtualClock();
  const server = new SimServer(clock, opts.faults ?? NO_FAULTS);
  const config = mdCacheConfig({ enabled: true, ...patch });
  const procs: Proc[] = [];
  for (let i = 0; i < n; i++) {
    const refresh = new FakeRefresh(clock, opts.refreshMs ?? 10);
    const logs: string[] = [];
    const tier = new SharedTier<Book>({
      store: server.client(() => opts.rttMs ?? 0.5),
      codec: jsonCodec,
      clock,
      leaseMs: opts.leaseMs ?? 250,
      commandTimeoutMs: opts.commandTimeoutMs ?? 50,
      breakerResetMs: opts.resetMs ?? 200,
      bookTtlMs: config.max_stale_ms,
      origin: `p${i}`,
      registry: null,
      log: (l) => logs.push(l),
    });
    const cache = new MDCache<Book>(config, { refresh: refresh.fn, clock, registry: null, random: () => 0.5, shared: tier });
    procs.push({ cache, tier, refresh, logs });
  }
  const restCalls = (symbol?: string): number => procs.reduce((n, p) => n + p.refresh.count(symbol), 0);
  return { clock, server, procs, config, restCalls };
}
