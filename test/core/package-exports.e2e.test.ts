import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { LOAD_PROBE } from '../helpers/load-probe.js';

const ROOT = resolve(__dirname, '../..');

/** Runs an ES module snippet in a fresh node (cwd = the package, so 'mdcache' resolves to the built package by name). */
function runModule(code: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
}

/**
 * A snippet prefix that records every module the process loads from here on: ESM (and CJS entered through
 * `import`) via a module.register() load hook posting each URL back, CJS via require.cache. `loaded()` returns
 * the sorted set of node_modules packages among them.
 */
const PROBE = `
${LOAD_PROBE}
  import { createRequire } from 'node:module';
  const req = createRequire(import.meta.url);
  const loaded = async () => {
    await loadsArrived(); // every URL the hooks thread has posted so far is in
    const all = [...urls, ...Object.keys(req.cache)].filter((u) => u.includes('node_modules'));
    return [...new Set(all.map((u) => u.replace(/\\\\/g, '/').replace(/.*node_modules\\//, '').split('/')[0]))].sort();
  };
`;

const ROOT_EXPORTS = [
  'CacheClosedError',
  'CoarseClock',
  'ConfigError',
  'DEFAULT_JITTER_SEED',
  'MDCache',
  'MDCacheInvalidator',
  'MD_CACHE_DEFAULTS',
  'METRIC_NAMES',
  'OrderBook',
  'REFRESH_LATENCY_BUCKETS_MS',
  'RealClock',
  'RefreshError',
  'RetryAfterError',
  'TickError',
  'TimeoutError',
  'UsageError',
  'VirtualClock',
  'bookBest',
  'loadConfig',
  'mdCacheConfig',
  'parseConfig',
];

describe('the package is importable by name', () => {
  it("import { MDCache, VirtualClock, RealClock, loadConfig, parseConfig, ConfigError } from 'mdcache' works from the built package", () => {
    const code = `
      import { MDCache, VirtualClock, RealClock, loadConfig, parseConfig, ConfigError, mdCacheConfig } from 'mdcache';
      const clock = new VirtualClock();
      const cache = new MDCache(mdCacheConfig({ enabled: true }), { clock, registry: null, refresh: async (s) => 'book:' + s });
      const r = await cache.get('BTCUSDT');
      const cfg = parseConfig('md_cache: { ttl_ms: 50 }');
      let problems = 0;
      try { parseConfig('md_cache: { ttl_ms: 5 }'); } catch (e) { if (e instanceof ConfigError) problems = e.problems.length; }
      console.log(JSON.stringify({ value: r.value, status: r.status, ttl: cfg.md_cache.ttl_ms, problems, real: typeof new RealClock().now(), load: typeof loadConfig }));
    `;
    expect(JSON.parse(runModule(code))).toEqual({ value: 'book:BTCUSDT', status: 'miss', ttl: 50, problems: 1, real: 'number', load: 'function' });
  });

  it('the root export is the curated cache-engine list (runtime names; types are erased)', () => {
    const out = runModule(`const m = await import('mdcache'); console.log(JSON.stringify(Object.keys(m).sort()));`);
    expect(JSON.parse(out)).toEqual(ROOT_EXPORTS);
  });

  it('importing the root loads no ws, yaml, chalk, cli-table3, hdr-histogram-js, prom-client, commander, ioredis; each loads only when used', () => {
    const code = `${PROBE}
      const { MDCache, VirtualClock, mdCacheConfig, parseConfig } = await import('mdcache');
      const afterImport = await loaded();
      const cache = new MDCache(mdCacheConfig({ enabled: true }), { clock: new VirtualClock(), registry: null, refresh: async () => 1 });
      await cache.get('X');
      const afterCacheNoRegistry = await loaded();
      parseConfig('md_cache: { ttl_ms: 50 }');
      const afterParse = await loaded();
      new MDCache(mdCacheConfig({ enabled: true }), { clock: new VirtualClock(), refresh: async () => 1 }).close?.();
      const afterDefaultRegistry = await loaded();
      console.log(JSON.stringify({ afterImport, afterCacheNoRegistry, afterParse, afterDefaultRegistry }));
    `;
    const r = JSON.parse(runModule(code)) as Record<string, string[]>;
    // seedrandom is the cache's own dependency (seeded retry jitter); nothing else.
    expect(r.afterImport).toEqual(['seedrandom']);
    // building a cache loads hdr-histogram-js (and its own dependencies) for the latency summary; no registry ⇒ no prom-client
    expect(r.afterCacheNoRegistry).toContain('hdr-histogram-js');
    expect(r.afterCacheNoRegistry).not.toContain('prom-client');
    expect(r.afterCacheNoRegistry).not.toContain('yaml');
    expect(r.afterParse).toContain('yaml');
    expect(r.afterParse).not.toContain('prom-client');
    expect(r.afterDefaultRegistry).toContain('prom-client');
    for (const heavy of ['ws', 'chalk', 'cli-table3', 'commander', 'ioredis']) expect(r.afterDefaultRegistry).not.toContain(heavy);
  });

  it('the proving ground is reachable through subpath exports', () => {
    const code = `
      const names = {};
      for (const sub of ['sim', 'gates', 'report', 'market', 'scenario', 'exchange', 'net', 'ops', 'shared']) names[sub] = Object.keys(await import('mdcache/' + sub));
      console.log(JSON.stringify(names));
    `;
    const n = JSON.parse(runModule(code)) as Record<string, string[]>;
    expect(n.sim).toEqual(expect.arrayContaining(['runBench', 'simulate', 'Simulation', 'loadBenchScenario', 'rngStream', 'PIPELINE_DEFAULTS']));
    expect(n.gates).toEqual(expect.arrayContaining(['DEFAULT_GATES', 'evaluateGates', 'compareResults', 'mannWhitneyU']));
    expect(n.report).toEqual(expect.arrayContaining(['renderMarkdownReport', 'writeReport', 'loadResults']));
    expect(n.market).toEqual(expect.arrayContaining(['MarketSim', 'LocalBook', 'OrderBook', 'MDCacheInvalidator', 'openReplay']));
    expect(n.scenario).toEqual(expect.arrayContaining(['loadScenario', 'generateLines']));
    expect(n.exchange).toEqual(expect.arrayContaining(['startExchange']));
    expect(n.net).toEqual(expect.arrayContaining(['WsBook', 'BinanceRestSource', 'connectLiveMarket']));
    expect(n.ops).toEqual(expect.arrayContaining(['runShadow', 'runCanary', 'loadProdConfig', 'startMetricsServer']));
    expect(n.shared).toEqual(expect.arrayContaining(['redisTierFor', 'SharedTier', 'RedisStore', 'SimServer', 'bookCodec']));
    // internals stay internal
    expect(Object.values(n).flat()).not.toContain('writeFileAtomic');
  });
});
