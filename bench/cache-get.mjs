#!/usr/bin/env node
/**
 * Micro-benchmark of the cache's hot path: ops/s of a fresh hit, in one process.
 *
 *   mdcache_get_hit      await MDCache.get(symbol) on a fresh entry (CoarseClock(RealClock), 1 ms resolution — what
 *                        lru-cache does by default with ttlResolution; default prom-client registry)
 *   With --exact-clock, mdcache_get_hit uses a bare RealClock instead (one performance.now() per get).
 *   lru_cache_fetch_hit  await LRUCache.fetch(symbol) on a fresh entry (lru-cache@11, ttl + fetchMethod)
 *   lru_cache_get        LRUCache.get(symbol) (synchronous)
 *   map_get              Map.get(symbol) (synchronous)
 *
 * Usage: npm run bench:cache [-- --json] [--rounds N] [--symbols N]
 * Each case is warmed up, then measured for several interleaved rounds; the median round is reported.
 * Needs a build (imports ../dist/index.js).
 */
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { LRUCache } from 'lru-cache';
import { MDCache, RealClock, CoarseClock, mdCacheConfig } from '../dist/index.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const argNum = (flag, def) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : def;
};
const ROUNDS = argNum('--rounds', 9);
const NSYM = argNum('--symbols', 100);
const ASYNC_OPS = 200_000;
const SYNC_OPS = 2_000_000;

const symbols = Array.from({ length: NSYM }, (_, i) => `SYM${i}-USD`);
const book = (s) => ({ symbol: s, bids: [[100, 1]], asks: [[101, 1]] });
const TTL = 5000;

// --- subjects
const cfg = mdCacheConfig({ enabled: true, ttl_ms: TTL, max_stale_ms: 10_000, max_symbols: 10_000 });
const exactClock = args.includes('--exact-clock');
// One MDCache per process: a second instance with another clock class would make get()'s call sites polymorphic.
const mdcache = new MDCache(cfg, { clock: exactClock ? new RealClock() : new CoarseClock(new RealClock(), 1), refresh: async (s) => book(s) });
const lru = new LRUCache({ max: 10_000, ttl: TTL, fetchMethod: async (s) => book(s) });
const lruSync = new LRUCache({ max: 10_000, ttl: TTL });
const map = new Map();

async function prime() {
  mdcache.invalidateAll('bench');
  lru.clear();
  for (const s of symbols) {
    await mdcache.get(s);
    await lru.fetch(s);
    lruSync.set(s, book(s));
    map.set(s, book(s));
  }
}

let sink = 0;
async function mdcacheHits(cache) {
  const n = ASYNC_OPS;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await cache.get(symbols[i % NSYM]);
    if (r.status !== 'fresh') throw new Error(`expected a fresh hit, got ${r.status}`);
  }
  return n / ((performance.now() - t0) / 1000);
}

const cases = {
  mdcache_get_hit: () => mdcacheHits(mdcache),
  async lru_cache_fetch_hit() {
    const n = ASYNC_OPS;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const v = await lru.fetch(symbols[i % NSYM]);
      sink += v.bids.length;
    }
    return n / ((performance.now() - t0) / 1000);
  },
  async lru_cache_get() {
    const n = SYNC_OPS;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += lruSync.get(symbols[i % NSYM]).bids.length;
    return n / ((performance.now() - t0) / 1000);
  },
  async map_get() {
    const n = SYNC_OPS;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += map.get(symbols[i % NSYM]).bids.length;
    return n / ((performance.now() - t0) / 1000);
  },
};
const JSON_KEYS = ['mdcache_get_hit', 'lru_cache_fetch_hit', 'lru_cache_get', 'map_get'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const names = Object.keys(cases);
const samples = Object.fromEntries(names.map((n) => [n, []]));
await prime();
for (const n of names) await cases[n](); // warm-up (JIT)
for (const n of names) await cases[n]();
for (let r = 0; r < ROUNDS; r++) {
  await prime(); // keeps every entry well inside its TTL
  // rotate the order each round so no case always runs right after priming (GC debt, cache state)
  for (let j = 0; j < names.length; j++) {
    const n = names[(r + j) % names.length];
    samples[n].push(await cases[n]());
  }
}
const result = Object.fromEntries(names.map((n) => [n, Math.round(median(samples[n]))]));
if (sink < 0) console.log(sink);

if (json) {
  process.stdout.write(JSON.stringify(Object.fromEntries(JSON_KEYS.map((k) => [k, result[k]]))) + '\n');
} else {
  const base = result.lru_cache_fetch_hit;
  const fmt = (x) => x.toLocaleString('en-US');
  const rows = names.map((n) => [n, fmt(result[n]), (result[n] / base).toFixed(2) + 'x']);
  const w = [22, 16, 22];
  const line = (cols) => cols.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  const clockName = exactClock ? 'RealClock' : 'CoarseClock(RealClock, 1 ms)';
  console.log(`cache get, fresh hit — median of ${ROUNDS} rounds, ${NSYM} symbols, MDCache on ${clockName} (node ${process.version}, ${os.cpus().length} cpus)`);
  console.log(line(['case', 'ops/s', 'vs lru_cache_fetch_hit']));
  console.log(line(['-'.repeat(w[0]), '-'.repeat(w[1]), '-'.repeat(w[2])]));
  for (const r of rows) console.log(line(r));
  const ok = result.mdcache_get_hit >= result.lru_cache_fetch_hit;
  console.log(`\nmdcache_get_hit ${ok ? '>=' : '<'} lru_cache_fetch_hit (target: >=)`);
}
mdcache.close();
