/**
 * Canary by process (virtual processes in one simulation): a market view in which each of N processes quotes
 * every symbol under its own key `p<k>/<SYMBOL>`. Keys are independent in the cache (their own entries, their
 * own single-flight, their own arrival and stage-latency streams), so one Simulation with one MDCache runs N
 * processes that each keep their own L1 cache — the fleet without a shared tier. Every process's invalidator
 * sees the same feed (the processes watch the same market) and invalidates its own entries.
 */
import type { Invalidatable } from '../cache/types.js';
import type { MdCacheConfig } from '../config/md-cache.js';
import type { SimMarket } from '../sim/simulate.js';

const SEP = '/';

export function processKey(process: number, symbol: string): string {
  return `p${process}${SEP}${symbol}`;
}

/** `p3/BTCUSDT` → { process: 3, symbol: 'BTCUSDT' }. */
export function splitProcessKey(key: string): { process: number; symbol: string } {
  const i = key.indexOf(SEP);
  return { process: Number(key.slice(1, i)), symbol: key.slice(i + 1) };
}

/** The market as N processes see it (each quoting every symbol of `market`). */
export function processMarket<B>(market: SimMarket<B>, processes: number): SimMarket<B> {
  const base = (key: string): string => splitProcessKey(key).symbol;
  const symbols: string[] = [];
  for (let p = 0; p < processes; p++) for (const s of market.symbols) symbols.push(processKey(p, s));
  return {
    symbols,
    advanceTo: (key, t) => market.advanceTo(base(key), t),
    source(path, arm) {
      const src = market.source(path, arm);
      return { fetch: (key, depth, signal) => src.fetch(base(key), depth, signal) };
    },
    quality: { ageMs: (book) => market.quality.ageMs(book), tobErrorTicks: (key, book) => market.quality.tobErrorTicks(base(key), book) },
    attachInvalidator(cache: Invalidatable<B>, cfg: MdCacheConfig) {
      const detach: (() => void)[] = [];
      for (let p = 0; p < processes; p++) {
        const view: Invalidatable<B> = {
          invalidate: (symbol, reason) => cache.invalidate(processKey(p, symbol), reason),
          // One process's "everything": its own entries only.
          invalidateAll: (reason) => {
            for (const s of market.symbols) cache.invalidate(processKey(p, s), reason);
          },
          peek: (symbol) => cache.peek(processKey(p, symbol)),
        };
        detach.push(market.attachInvalidator(view, cfg));
      }
      return () => detach.forEach((d) => d());
    },
  };
}
