/**
 * `bench --source binance` over loopback: the cached path refreshes from the exchange's REST endpoint and
 * is invalidated by the WebSocket feed; the uncached path calls REST directly. Same cache semantics as the
 * virtual-time bench of the same scenario: fresh hits, misses after invalidations, the same reasons.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '../../src/core/clock.js';
import { startExchange, type Exchange } from '../../src/exchange/server.js';
import { loadBenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench } from '../../src/sim/bench.js';
import { connectLiveMarket } from '../../src/net/live-market.js';
import type { Results } from '../../src/results/types.js';

const open: Exchange[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

const run = { id: 't', command: 'test', version: '0', host: 'test' };

function expectCacheSemantics(r: Results): void {
  const c = r.paths.cached.cache!;
  expect(r.paths.cached.ticks).toBeGreaterThan(20);
  expect(c.gets).toBeGreaterThan(20);
  expect(c.hit_ratio).toBeGreaterThan(0.2); // fresh or stale hits
  expect(c.miss_ratio).toBeGreaterThan(0); // misses (cold start and after invalidations)
  expect(c.invalidations.seq_gap ?? 0).toBeGreaterThan(0);
  expect(r.paths.cached.fetch_md_ms.p50).toBeLessThan(r.paths.uncached.fetch_md_ms.p50);
}

describe('bench over the network', () => {
  it('live (real time, two symbols) behaves like virtual time for the cache', async () => {
    const bench = loadBenchScenario('flaky-ws');
    const ex = await startExchange({ scenario: bench.scenario, clock: new RealClock() });
    open.push(ex);
    let market: Awaited<ReturnType<typeof connectLiveMarket>> | undefined;
    const live = await runBench({
      bench,
      durationMs: 4000,
      gates: null,
      run,
      market: async (clock) => (market = await connectLiveMarket({ restUrl: ex.restUrl, wsUrl: ex.wsUrl, symbols: ['BTCUSDT', 'SOLUSDT'], clock, restTimeoutMs: bench.scenario.rest.timeout_ms, wsBook: { silenceMs: bench.mdCache.invalidate_on_ws_gap_ms } })),
    });
    expect(live.results.run.clock).toBe('real');
    expect(live.results.scenario).toMatchObject({ source: 'binance', symbols: ['BTCUSDT', 'SOLUSDT'], rest_url: ex.restUrl });
    expectCacheSemantics(live.results);
    expect(market!.restStats().cached.requests).toBeGreaterThan(0);
    expect(market!.restStats().uncached.requests).toBeGreaterThan(market!.restStats().cached.requests);
    expect(market!.wsStats().messages).toBeGreaterThan(50);
    expect(market!.wsStats().applied).toBeGreaterThan(0);
    expect(ex.clientCount()).toBe(0); // closed after the run

    const virtual = await runBench({ bench, durationMs: 4000, gates: null, run });
    expect(virtual.results.run.clock).toBe('virtual');
    expectCacheSemantics(virtual.results);
    const reasons = (r: Results) => Object.keys(r.paths.cached.cache!.invalidations).filter((k) => r.paths.cached.cache!.invalidations[k]! > 0);
    expect(reasons(live.results)).toContain('seq_gap');
    expect(reasons(virtual.results)).toContain('seq_gap');
  }, 30_000);

  it('mdcache bench --source binance (CLI) against the exchange', async () => {
    const root = join(import.meta.dirname, '../..');
    const bench = loadBenchScenario('flaky-ws');
    const ex = await startExchange({ scenario: bench.scenario, clock: new RealClock() });
    open.push(ex);
    const out = mkdtempSync(join(tmpdir(), 'mdlive-'));
    const bin = join(root, 'bin/mdcache.js');
    // async spawn: the exchange runs in this process and must keep serving while the CLI runs
    const cli = (a: string[]) =>
      new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [bin, ...a], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (status) => resolve({ status, stderr }));
      });
    if (!existsSync(join(root, 'dist/net/bench-source.js'))) throw new Error('dist/ is not built: run npx tsc -p tsconfig.build.json');
    const args = ['bench', '--scenario', 'flaky-ws', '--source', 'binance', '--rest-url', ex.restUrl, '--ws-url', ex.wsUrl, '--symbols', 'BTCUSDT,SOLUSDT', '--duration', '3s', '--no-gate', '--no-progress', '--out', out];
    const r = await cli(args);
    expect(r.stderr).toBe('mdcache bench: running flaky-ws for 3s on the real clock (Ctrl-C stops it and writes what ran)\n');
    expect(r.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.scenario.source).toBe('binance');
    expect(results.run.command).toContain('--source binance');
    expect(results.paths.cached.cache!.gets).toBeGreaterThan(10);
    // usage errors
    const bad = await cli(['bench', '--source', 'binance', '--symbols', '2', '--rest-url', ex.restUrl, '--ws-url', ex.wsUrl]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/comma-separated list/);
    const missing = await cli(['bench', '--source', 'binance', '--symbols', 'BTCUSDT']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--rest-url is required/);
    const unknown = await cli(['bench', '--source', 'binance', '--symbols', 'ETHUSDT', '--rest-url', ex.restUrl, '--ws-url', ex.wsUrl, '--duration', '1s']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/ETHUSDT not listed/);
  }, 30_000);
});
