/**
 * FetchMDStage: the first stage of a tick. The uncached path calls the REST snapshot source directly; the
 * cached path goes through MDCache. Both return the book and how it was obtained.
 */
import type { AbortLike } from '../core/abort.js';
import type { GetStatus } from '../cache/types.js';

export type FetchStatus = GetStatus | 'direct';

export interface Fetched<B> {
  book: B;
  status: FetchStatus;
  /** Age of the served entry as the cache saw it (0 for a direct fetch). */
  cacheAgeMs: number;
}

export type FetchMD<B> = (symbol: string, depth: number) => Promise<Fetched<B>>;

export interface SnapshotSource<B> {
  fetch(symbol: string, depth: number, signal?: AbortLike): Promise<B>;
}

export function uncachedFetch<B>(source: SnapshotSource<B>): FetchMD<B> {
  return async (symbol, depth) => ({ book: await source.fetch(symbol, depth), status: 'direct', cacheAgeMs: 0 });
}

export interface CacheLike<B> {
  get(symbol: string, opts?: { depth?: number }): Promise<{ value: B; status: GetStatus; ageMs: number }>;
}

export function cachedFetch<B>(cache: CacheLike<B>): FetchMD<B> {
  return async (symbol, depth) => {
    const r = await cache.get(symbol, { depth });
    return { book: r.value, status: r.status, cacheAgeMs: r.ageMs };
  };
}
