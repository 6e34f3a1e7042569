/**
 * `bench --source binance --processes N --shared redis://…` through the built CLI: N real worker processes
 * against the loopback exchange (in this test process), sharing a private redis-server on a free port.
 *
 * - the fleet refreshes each symbol about once per TTL period across processes, counted at the exchange;
 * - the merged results are the exact sums of the workers' (ticks, gets, REST requests, per-window counts);
 * - kill -9 of a worker fails the run (exit 1, the worker named with its stderr tail), no process left;
 * - SIGINT to the parent: forwarded, every worker writes what ran, the merged run is marked interrupted;
 * - bad input (an unreachable Redis, --processes out of range) is one line and exit 2.
 *
 * Short runs (3 s of real clock); every wait is on an event (a line on stderr, a process exit), not a sleep.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '../../src/core/clock.js';
import { startExchange, type Exchange } from '../../src/exchange/server.js';
import { loadScenario } from '../../src/scenario/scenario.js';
import type { Results } from '../../src/results/types.js';
import { ensureBuilt, start, waitForOutput, ROOT, type Running } from '../helpers/cli.js';
import { RedisServer, freePort, redisServerPath } from '../helpers/redis-server.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const TTL_MS = 100;
const N = 4;

const SCENARIO = `name: fleet-e2e
description: two quiet symbols, 10 ticks/s per symbol per process (40/s per symbol across 4 processes, denser than the 100 ms TTL), a 1 ms REST
seed: 3
duration: 3s
symbols:
  - { symbol: BTCUSDT, tick_size: "0.01", price: "65000.00", qty_decimals: 5 }
  - { symbol: ETHUSDT, tick_size: "0.01", price: "3400.00", qty_decimals: 4 }
market:
  update_rate_hz: 10
  diffusion_ticks: 0.5
  spread: { min_ticks: 1, typical_ticks: 1, change_prob: 0.05 }
  depth: { levels: 60, base_qty: 1.5, decay: 0.02, noise: 0.6, changes_per_update: 2, change_depth_mean: 6, hole_prob: 0.0 }
rest:
  latency: { model: constant, ms: 1 }
  error_rate: 0.0
  timeout_ms: 5000
pipeline:
  ticks: { arrival: fixed, rate_hz: 10 }
  stages:
    - { name: quote, latency: { model: constant, ms: 1 } }
  deadline_ms: 1000
  on_busy: queue
md_cache:
  enabled: true
  ttl_ms: ${TTL_MS}
  max_stale_ms: 2000
  stale_ok: true
  invalidate_on_ws_gap_ms: 5000
  # generous Redis bounds: a loaded CI machine must not push the workers L1-only (that is another test)
  shared: { command_timeout_ms: 1000, connect_timeout_ms: 2000, lease_ms: 500, key_prefix: "fleet-e2e:" }
`;

const HAVE_REDIS = redisServerPath() !== undefined;

/** True while a process with this pid exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readResults(dir: string): Results {
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
}

describe.skipIf(!HAVE_REDIS)('bench --source binance --processes N --shared (real processes)', () => {
  let redis: RedisServer;
  let ex: Exchange;
  let dir: string;
  let scenarioFile: string;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'mdcache-fleet-procs-'));
    scenarioFile = join(dir, 'fleet.yaml');
    writeFileSync(scenarioFile, SCENARIO);
    redis = await RedisServer.start();
    ex = await startExchange({ scenario: loadScenario(scenarioFile), clock: new RealClock(), restFaults: false });
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await ex?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bench = (out: string, extra: string[]): Running =>
    start(['bench', '--scenario', scenarioFile, '--source', 'binance', '--rest-url', ex.restUrl, '--ws-url', ex.wsUrl, '--symbols', SYMBOLS.join(','), '--no-progress', '--no-gate', '--out', out, ...extra], ROOT, children);

  /** The worker pids the parent prints when it starts them. */
  async function workerPids(r: Running): Promise<number[]> {
    const m = await waitForOutput(r, /worker processes \(pids ([\d, ]+)\)/);
    return m[1]!.split(',').map((s) => Number(s.trim()));
  }

  it(`${N} workers share the Redis tier: about one REST refresh per symbol per TTL period across the fleet; merged = sum of workers`, async () => {
    const out = join(dir, 'shared');
    const r = bench(out, ['--duration', '3s', '--processes', String(N), '--shared', redis.url]);
    const pids = await workerPids(r);
    // Counted at the exchange from the moment every worker has connected and synced its books (the parent
    // prints the line as it sends `go`) to the end: the run's own requests.
    await waitForOutput(r, /all 4 workers connected; running/);
    const before = ex.stats().rest.requests;
    const done = await r.exited;
    expect(done.code, done.err).toBe(0);
    const atExchange = ex.stats().rest.requests - before;
    expect(pids).toHaveLength(N);
    for (const pid of pids) expect(alive(pid)).toBe(false);

    const merged = readResults(out);
    const workers = Array.from({ length: N }, (_, i) => readResults(join(out, `proc-${i}`)));
    // Every worker ran the whole run, with its own results and .hlog files.
    for (const [i, w] of workers.entries()) {
      expect(w.run.fleet_worker).toEqual({ index: i, of: N });
      expect(w.run.interrupted).toBeUndefined();
      expect(existsSync(join(out, `proc-${i}`, 'cached.fetch_md.hlog'))).toBe(true);
    }
    // Merged counters are the sums of the workers'.
    const sum = (f: (w: Results) => number): number => workers.reduce((n, w) => n + f(w), 0);
    for (const path of ['uncached', 'cached'] as const) {
      expect(merged.paths[path].ticks).toBe(sum((w) => w.paths[path].ticks));
      expect(merged.paths[path].fetch_errors).toBe(sum((w) => w.paths[path].fetch_errors));
      expect(merged.paths[path].rest!.requests).toBe(sum((w) => w.paths[path].rest!.requests));
      expect(merged.paths[path].rest!.weight).toBe(sum((w) => w.paths[path].rest!.weight));
      expect(merged.paths[path].fetch_md_ms.count).toBe(sum((w) => w.paths[path].fetch_md_ms.count));
    }
    expect(merged.paths.cached.cache!.gets).toBe(sum((w) => w.paths.cached.cache!.gets));
    expect(merged.paths.cached.cache!.refreshes).toBe(sum((w) => w.paths.cached.cache!.refreshes));
    expect(merged.paths.cached.cache!.shared!.l2_hits).toBe(sum((w) => w.paths.cached.cache!.shared!.l2_hits));
    expect(merged.windows.cached.map((w) => w.rest_requests)).toEqual(merged.windows.cached.map((_, k) => sum((w) => w.windows.cached[k]?.rest_requests ?? 0)));

    // The fleet block: one row per worker, totals = sums, as the simulated fleet's.
    const fleet = merged.fleet!;
    expect(fleet.mode).toBe('processes');
    expect(fleet.processes).toBe(N);
    expect(fleet.shared).toMatchObject({ redis: redis.url, lease_ms: 500 });
    expect(fleet.per_process.map((p) => p.process)).toEqual([0, 1, 2, 3]);
    expect(fleet.rest.requests).toBe(merged.paths.cached.rest!.requests);
    expect(fleet.per_process.reduce((n, p) => n + p.rest.requests, 0)).toBe(fleet.rest.requests);
    expect(fleet.per_process.every((p) => p.errors === 0)).toBe(true);
    expect(fleet.per_process.reduce((n, p) => n + (p.l2_hits ?? 0), 0)).toBeGreaterThan(0);

    // What the exchange counted during the run covers what the workers report (their uncached and cached
    // paths): at least all of it (less one request per worker and symbol: a worker's first tick can reach
    // the exchange before this test reads the "running" line), and at most 50 % more. On a quiet machine the
    // two agree exactly (570 = 558 reported + 12 for exchangeInfo and book syncs, measured by hand); on the
    // loaded 2-core host (load average 16) the exchange once saw 10–25 % more than the workers reported:
    // requests of ticks started late, after the run's end, were not metered. Fixed (RestMeter.end) and
    // re-measured under overload: exactly 20 more at the exchange than reported with 4 workers × 4 symbols
    // (their exchangeInfo and initial book syncs; see README). The wider bound stays for loaded CI hosts.
    const reported = merged.paths.uncached.rest!.requests + merged.paths.cached.rest!.requests;
    expect(atExchange, JSON.stringify({ atExchange, reported })).toBeGreaterThanOrEqual(reported - N * SYMBOLS.length);
    expect(atExchange, JSON.stringify({ atExchange, reported })).toBeLessThanOrEqual(1.5 * reported + N * SYMBOLS.length);

    // About one refresh per symbol per TTL period across the fleet. Tolerance: at most 1.25 × the TTL
    // periods (a refresh can start only when a tick finds the entry older than the TTL, so the period is
    // TTL + the wait for the next tick, ≤ 50 ms here: a perfect fleet makes 0.67–1 per period) plus one cold
    // refresh per worker and symbol; at least 0.4 × the periods. Without the tier each of the 4 workers
    // refreshes on its own: measured 2.45 per period (147 vs 40 requests in 3 s at 20 ticks/s).
    const periods = SYMBOLS.length * (merged.duration_ms / TTL_MS);
    const refreshes = merged.paths.cached.rest!.requests;
    expect(refreshes).toBeLessThanOrEqual(1.25 * periods + N * SYMBOLS.length);
    expect(refreshes).toBeGreaterThanOrEqual(0.4 * periods);

    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/## Fleet: REST weight with and without the shared tier/);
    expect(report).toMatch(/4 worker processes quoted the same 2 symbol\(s\)/);
    expect(report).toMatch(/shared tier \(Redis\)/);
  });

  it('kill -9 of one worker fails the run cleanly: exit 1 naming the worker, the others stopped, no process left', async () => {
    const out = join(dir, 'killed');
    const r = bench(out, ['--duration', '60s', '--processes', String(N), '--shared', redis.url]);
    const pids = await workerPids(r);
    await waitForOutput(r, /all 4 workers connected; running/);
    process.kill(pids[1]!, 'SIGKILL');
    const done = await r.exited;
    expect(done.code, done.err).toBe(1);
    expect(done.err).toContain(`mdcache: worker 1 of 4 (pid ${pids[1]}) was killed by SIGKILL during the run; the fleet run failed`);
    expect(done.err).toMatch(/Its stderr ended with:\n {4}/);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(existsSync(join(out, 'results.json'))).toBe(false); // no merged results from a broken fleet
    // The survivors were stopped with SIGTERM and wrote what they ran.
    for (const i of [0, 2, 3]) expect(readResults(join(out, `proc-${i}`)).run.interrupted).toBe(true);
  });

  it('SIGINT to the parent is forwarded: every worker writes what ran, the merged run is marked interrupted, no orphans', async () => {
    const out = join(dir, 'interrupted');
    const r = bench(out, ['--duration', '60s', '--processes', '2', '--shared', redis.url]);
    const pids = await workerPids(r);
    await waitForOutput(r, /all 2 workers connected; running/);
    r.child.kill('SIGINT');
    const done = await r.exited;
    // As a single bench: an interrupted run exits 1 when gates are evaluated, 0 with --no-gate (used here).
    expect(done.code, done.err).toBe(0);
    expect(done.err).toMatch(/SIGINT: stopping the 2 workers/);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const merged = readResults(out);
    expect(merged.run.interrupted).toBe(true);
    expect(merged.fleet!.processes).toBe(2);
    expect(merged.duration_ms).toBeLessThan(60_000);
  });

  it('an unreachable Redis is one line and exit 2, before any worker starts', async () => {
    const port = await freePort();
    const r = await bench(join(dir, 'no-redis'), ['--duration', '3s', '--processes', '2', '--shared', `redis://127.0.0.1:${port}`]).exited;
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(new RegExp(`^mdcache: --shared: Redis at redis://127.0.0.1:${port} is not reachable \\(`));
    expect(r.err).not.toMatch(/worker/);
  });

  it('an exchange that is not there: every worker exits 2 before the run and the parent exits 2 naming one (none left waiting)', async () => {
    const port = await freePort();
    // independent caches (no shared tier): a worker that failed had nothing but its IPC channel holding it up
    const r = start(['bench', '--scenario', 'baseline', '--source', 'binance', '--rest-url', `http://127.0.0.1:${port}`, '--ws-url', `ws://127.0.0.1:${port}`, '--symbols', 'BTCUSDT', '--no-gate', '--out', join(dir, 'no-exchange'), '--duration', '3s', '--processes', '2'], ROOT, children);
    const pids = await workerPids(r);
    const done = await r.exited;
    expect(done.code).toBe(2);
    expect(done.err).toMatch(/worker \d of 2 \(pid \d+\) exited with code 2 before the run started/);
    expect(done.err).toMatch(/cannot load exchangeInfo/);
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);

  it.each([
    [['--processes', '0'], /--processes: invalid value '0', expected a whole number in \[1, 256\]/],
    [['--processes', '-2'], /--processes: invalid value '-2'/],
    [['--processes', '2.5'], /--processes: invalid value '2.5'/],
    [['--processes', '65'], /--processes: 65 real worker processes is out of range \[1, 64\]/],
    [['--processes', '2', '--shared', 'http://127.0.0.1:6379'], /--shared: "http:\/\/127.0.0.1:6379" must start with redis:\/\/ or rediss:\/\//],
    [['--processes', '2', '--policies', 'ttl,refresh_ahead'], /--processes with arms/],
  ])('bad input %j: one line, exit 2', async (args, msg) => {
    const r = await bench(join(dir, 'bad'), ['--duration', '3s', ...args]).exited;
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
