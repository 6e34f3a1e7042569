import { Registry } from 'prom-client';
import { VirtualClock } from '../../src/core/clock.js';
import { mdCacheConfig, type MdCacheConfig, type RetryConfig } from '../../src/config/md-cache.js';
import { MDCache } from '../../src/cache/md-cache.js';
import type { RefreshContext } from '../../src/cache/types.js';

export interface Book {
  symbol: string;
  /** Which refresh call produced it (1-based). */
  call: number;
  depth: number;
}

export interface Call {
  id: number;
  symbol: string;
  depth: number;
  signal: AbortSignal;
  startedAt: number;
  settled: boolean;
  resolve(): void;
  reject(err?: unknown): void;
}

/** A refresh whose promises the test settles by hand (or automatically after `autoMs` on the clock). */
export class FakeRefresh {
  readonly calls: Call[] = [];
  maxInflight = new Map<string, number>();
  constructor(
    private readonly clock: VirtualClock,
    public autoMs: number | undefined = undefined,
    public failNext = 0,
  ) {}

  readonly fn = (symbol: string, ctx: RefreshContext): Promise<Book> =>
    new Promise<Book>((resolve, reject) => {
      const id = this.calls.length + 1;
      const call: Call = {
        id,
        symbol,
        depth: ctx.depth,
        signal: ctx.signal,
        startedAt: this.clock.now(),
        settled: false,
        resolve: () => {
          if (call.settled) return;
          call.settled = true;
          resolve({ symbol, call: id, depth: ctx.depth });
        },
        reject: (err?: unknown) => {
          if (call.settled) return;
          call.settled = true;
          reject(err ?? new Error(`refresh ${id} failed`));
        },
      };
      ctx.signal.addEventListener('abort', () => call.reject(ctx.signal.reason), { once: true });
      this.calls.push(call);
      const n = this.inflight(symbol);
      this.maxInflight.set(symbol, Math.max(this.maxInflight.get(symbol) ?? 0, n));
      if (this.autoMs !== undefined) {
        const fail = this.failNext > 0;
        if (fail) this.failNext--;
        this.clock.setTimeout(() => (fail ? call.reject() : call.resolve()), this.autoMs);
      }
    });

  /** Refresh calls in flight for `symbol`: started, not settled, not aborted. */
  inflight(symbol: string): number {
    return this.calls.filter((c) => c.symbol === symbol && !c.settled && !c.signal.aborted).length;
  }
  pending(symbol?: string): Call[] {
    return this.calls.filter((c) => !c.settled && !c.signal.aborted && (symbol === undefined || c.symbol === symbol));
  }
  count(symbol?: string): number {
    return symbol === undefined ? this.calls.length : this.calls.filter((c) => c.symbol === symbol).length;
  }
}

export type ConfigPatch = Partial<Omit<MdCacheConfig, 'retry'>> & { retry?: Partial<RetryConfig> };

export function setup(patch: ConfigPatch = {}, opts: { autoMs?: number; registry?: Registry | null; random?: () => number } = {}) {
  const clock = new VirtualClock();
  const refresh = new FakeRefresh(clock, 'autoMs' in opts ? opts.autoMs : 10);
  const registry = opts.registry === undefined ? new Registry() : opts.registry;
  const config = mdCacheConfig({ enabled: true, ...patch });
  const cache = new MDCache<Book>(config, { refresh: refresh.fn, clock, registry, random: opts.random ?? (() => 0.5) });
  return { clock, refresh, cache, registry, config };
}

/** Lets pending promise continuations run (no timers fire). */
export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Tracks a promise's outcome without awaiting it. */
export function track<T>(p: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const s: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (v) => {
      s.settled = true;
      s.value = v;
    },
    (e: unknown) => {
      s.settled = true;
      s.error = e;
    },
  );
  return s;
}
