import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

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
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: resolve(__dirname, '../..'), encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ value: 'book:BTCUSDT', status: 'miss', ttl: 50, problems: 1, real: 'number', load: 'function' });
  });
});
