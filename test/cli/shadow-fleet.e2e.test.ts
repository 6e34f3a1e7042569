/**
 * `shadow --config prod.yaml --processes N --shared redis://…` through the built CLI: N real worker processes
 * shadowing against a loopback exchange (in this test process), sharing a private redis-server on a free port.
 *
 * - every worker writes its own results.json and .hlog files, the divergence histograms included; the parent's
 *   merged shadow block is exact: counts are the workers' sums and the percentiles are those of the summed
 *   histograms (rebuilt here from the workers' .hlog files), as is the scheduler lateness;
 * - `mdcache merge` of the workers' folders gives the same shadow block and lateness as the parent's merge;
 * - no worker process is left behind; SIGINT to the parent is forwarded, the workers write what they shadowed
 *   and the merged run (its shadow block included) is marked interrupted (exit 1: gated);
 * - bad input (--processes 0, --processes or --shared without a binance source, an unreachable Redis) is one
 *   line and exit 2, before any worker starts.
 *
 * Short runs (3 s of real clock); every wait is on an event (a line on stderr, a process exit), not a sleep.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '../../src/core/clock.js';
import { startExchange, type Exchange } from '../../src/exchange/server.js';
import { parseHlog } from '../../src/metrics/hlog.js';
import { WindowedHistogram } from '../../src/metrics/windowed.js';
import { LATENESS_HISTOGRAM } from '../../src/pipeline/scheduler.js';
import type { Results } from '../../src/results/types.js';
import { loadScenario } from '../../src/scenario/scenario.js';
import { SHADOW_HISTOGRAMS } from '../../src/sim/divergence.js';
import { ensureBuilt, start, waitForOutput, ROOT, type Running } from '../helpers/cli.js';
import { RedisServer, freePort, redisServerPath } from '../helpers/redis-server.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const N = 3;

const SCENARIO = `name: shadow-fleet-e2e
description: two symbols moving fast enough that a 100 ms cache diverges from REST, 10 ticks/s per symbol per process, a 1 ms REST
seed: 5
duration: 3s
symbols:
  - { symbol: BTCUSDT, tick_size: "0.01", price: "65000.00", qty_decimals: 5 }
  - { symbol: ETHUSDT, tick_size: "0.01", price: "3400.00", qty_decimals: 4 }
market:
  update_rate_hz: 20
  diffusion_ticks: 2
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
`;

const HAVE_REDIS = redisServerPath() !== undefined;

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

/** The summary of the sum of one histogram over run folders (what an exact merge must report). */
function summed(dirs: string[], name: string, scale: number): ReturnType<WindowedHistogram['summary']> {
  const h = new WindowedHistogram(name, 1000, scale);
  for (const d of dirs) h.absorb(parseHlog(readFileSync(join(d, `${name}.hlog`), 'utf8'), readResults(d).windows.window_ms, scale).windows);
  return h.summary();
}

describe.skipIf(!HAVE_REDIS)('shadow --processes N --shared (real worker processes against the loopback exchange)', () => {
  let redis: RedisServer;
  let ex: Exchange;
  let dir: string;
  let prodFile: string;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'mdcache-shadow-fleet-'));
    const scenarioFile = join(dir, 'scenario.yaml');
    writeFileSync(scenarioFile, SCENARIO);
    redis = await RedisServer.start();
    ex = await startExchange({ scenario: loadScenario(scenarioFile), clock: new RealClock(), restFaults: false });
    prodFile = join(dir, 'prod.yaml');
    writeFileSync(
      prodFile,
      `source: { type: binance, rest_url: "${ex.restUrl}", ws_url: "${ex.wsUrl}", symbols: [${SYMBOLS.join(', ')}], scenario: "${scenarioFile}" }
md_cache:
  ttl_ms: 100
  stale_ok: true
  max_stale_ms: 2000
  invalidate_on_ws_gap_ms: 5000
  # generous Redis bounds: a loaded CI machine must not push the workers L1-only
  shared: { command_timeout_ms: 1000, connect_timeout_ms: 2000, lease_ms: 500, key_prefix: "shadow-fleet-e2e:" }
shadow: { duration: 3s, window: 1s, worst_examples: 4, compare_depth: 10 }
`,
    );
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await ex?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const shadow = (out: string, extra: string[], config = prodFile): Running => start(['shadow', '--config', config, '--no-progress', '--no-gate', '--out', out, ...extra], ROOT, children);

  it(`${N} workers shadow on their own ticks over one Redis tier; the parent's merge is exact, and mdcache merge agrees`, async () => {
    const out = join(dir, 'fleet');
    const r = shadow(out, ['--processes', String(N), '--shared', redis.url]);
    const m = await waitForOutput(r, /worker processes \(pids ([\d, ]+)\)/);
    const pids = m[1]!.split(',').map((s) => Number(s.trim()));
    const done = await r.exited;
    expect(done.code, done.err).toBe(0);
    expect(pids).toHaveLength(N);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    // Each worker served its own /metrics on a free port; the parent passed the lines on.
    for (let i = 0; i < N; i++) expect(done.err).toMatch(new RegExp(`worker ${i}: metrics: http://127\\.0\\.0\\.1:\\d+/metrics`));
    expect(done.out).toMatch(/mdcache shadow[\s\S]*shadow: \d+ ticks compared/);

    const dirs = Array.from({ length: N }, (_, i) => join(out, `proc-${i}`));
    const workers = dirs.map(readResults);
    const merged = readResults(out);
    const sum = (f: (w: Results) => number): number => workers.reduce((n, w) => n + f(w), 0);
    for (const [i, w] of workers.entries()) {
      expect(w.run.fleet_worker).toEqual({ index: i, of: N });
      expect(w.shadow!.compared).toBeGreaterThan(0);
      for (const h of [...Object.values(SHADOW_HISTOGRAMS), LATENESS_HISTOGRAM]) expect(existsSync(join(dirs[i]!, `${h}.hlog`)), h).toBe(true);
      expect(w.paths.cached.cache!.shared).toBeDefined();
    }
    const s = merged.shadow!;
    expect(s.compared).toBe(sum((w) => w.shadow!.compared));
    expect(s.tob_mismatched).toBe(sum((w) => w.shadow!.tob_mismatched!));
    expect(s.depth_mismatched).toBe(sum((w) => w.shadow!.depth_mismatched!));
    expect(s.tob_mismatch_ratio).toBe(Math.round((s.tob_mismatched! / s.compared) * 1e6) / 1e6);
    expect(s.candidate_staleness_ms).toEqual(summed(dirs, SHADOW_HISTOGRAMS.staleness, 1000));
    expect(s.tob_mismatch_ticks).toEqual(summed(dirs, SHADOW_HISTOGRAMS.tob, 1));
    expect(s.depth_mismatch_levels).toEqual(summed(dirs, SHADOW_HISTOGRAMS.depth, 1));
    expect(s.worst.length).toBe(Math.min(4, sum((w) => w.shadow!.worst.length)));
    expect(merged.scheduler_lateness_ms).toEqual(summed(dirs, LATENESS_HISTOGRAM, 1000));
    expect(merged.paths.cached.ticks).toBe(sum((w) => w.paths.cached.ticks));
    expect(merged.fleet).toMatchObject({ processes: N, mode: 'processes', shared: { redis: redis.url } });
    expect(merged.paths.cached.cache!.shared!.l2_hits).toBe(sum((w) => w.paths.cached.cache!.shared!.l2_hits));
    for (const h of [...Object.values(SHADOW_HISTOGRAMS), LATENESS_HISTOGRAM]) expect(existsSync(join(out, `${h}.hlog`)), h).toBe(true);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/^# mdcache shadow: binance/m);
    expect(report).toMatch(/Shadow: candidate vs control/);
    expect(report).toMatch(/## Fleet/);

    // mdcache merge of the same folders: the same exact figures.
    const again = await start(['merge', ...dirs, '--out', join(dir, 'merged'), '--no-gate'], ROOT, children).exited;
    expect(again.code, again.err).toBe(0);
    expect(again.err).not.toMatch(/not merged/);
    const m2 = readResults(join(dir, 'merged'));
    // Its report has the shadow sections too, and so has a re-render with mdcache report.
    expect(readFileSync(join(dir, 'merged', 'report.md'), 'utf8')).toMatch(/Shadow: candidate vs control/);
    const rerender = await start(['report', join(dir, 'merged', 'results.json'), '--out', join(dir, 'rerendered', 'report.md')], ROOT, children).exited;
    expect(rerender.code, rerender.err).toBe(0);
    expect(readFileSync(join(dir, 'rerendered', 'report.md'), 'utf8')).toMatch(/Shadow: candidate vs control/);
    expect(m2.shadow).toEqual(merged.shadow);
    expect(m2.scheduler_lateness_ms).toEqual(merged.scheduler_lateness_ms);
    // (A plain merge sums no shared-tier counts — their round trips are percentiles only; the fleet parent does.)
    const noShared = (r: Results): unknown => ({ ...r.paths, cached: { ...r.paths.cached, cache: { ...r.paths.cached.cache, shared: undefined } } });
    expect(noShared(m2)).toEqual(noShared(merged));

    // Books served from L2 and from REST are aged on one clock: the candidate's staleness (measured as the
    // shadow compares) and the cached path's (measured as it fetched) agree, and stay within max_stale_ms.
    // (Before L2 books were stamped on the exchange books' host clock, L2 hits read seconds old here.)
    const st = merged.paths.cached.cache!.staleness_ms;
    expect(st.p50).toBeGreaterThan(0);
    expect(Math.abs(st.p50 - s.candidate_staleness_ms.p50), JSON.stringify({ st, cand: s.candidate_staleness_ms })).toBeLessThan(25);
    expect(st.max).toBeLessThan(2000);
    expect(s.candidate_staleness_ms.max).toBeLessThan(2000);
  }, 90_000);

  it('SIGINT to the parent: the workers write what they shadowed, the merged run (shadow block included) is marked interrupted and exits 1; no orphans', async () => {
    const out = join(dir, 'interrupted');
    // gated (no --no-gate): an interrupted shadow never passes
    const r = start(['shadow', '--config', prodFile, '--no-progress', '--no-metrics', '--out', out, '--duration', '60s', '--processes', '2', '--shared', redis.url], ROOT, children);
    const m = await waitForOutput(r, /worker processes \(pids ([\d, ]+)\)/);
    const pids = m[1]!.split(',').map((s) => Number(s.trim()));
    await waitForOutput(r, /all 2 workers connected; running/);
    r.child.kill('SIGINT');
    const done = await r.exited;
    expect(done.code, done.err).toBe(1);
    expect(done.err).toMatch(/SIGINT: stopping the 2 workers/);
    expect(done.err).toMatch(/interrupted after .* of 1m; the results cover what ran and are not a pass/);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const merged = readResults(out);
    expect(merged.run.interrupted).toBe(true);
    expect(merged.duration_ms).toBeLessThan(60_000);
    const workers = [0, 1].map((i) => readResults(join(out, `proc-${i}`)));
    expect(merged.shadow!.compared).toBe(workers[0]!.shadow!.compared + workers[1]!.shadow!.compared);
    expect(merged.fleet!.processes).toBe(2);
  }, 60_000);

  it('bad input is one line and exit 2, before any worker starts', async () => {
    const synthetic = join(dir, 'synthetic.yaml');
    writeFileSync(synthetic, 'source: { type: synthetic, scenario: baseline }\nshadow: { duration: 3s }\n');
    const port = await freePort();
    const cases: [string[], string, RegExp][] = [
      [['--processes', '0'], prodFile, /^mdcache: --processes: invalid value '0', expected a whole number in \[1, 64\]/],
      [['--processes', '65'], prodFile, /--processes: invalid value '65'/],
      [['--processes', '2'], synthetic, /--processes needs source\.type: binance in .*synthetic\.yaml .*; the source is synthetic/],
      [['--shared', redis.url], synthetic, /--shared needs source\.type: binance/],
      [['--processes', '2', '--shared', `redis://127.0.0.1:${port}`], prodFile, new RegExp(`--shared: Redis at redis://127.0.0.1:${port} is not reachable \\(`)],
      [['--processes', '2', '--shared', 'http://x'], prodFile, /--shared: .* must start with redis:\/\/ or rediss:\/\//],
    ];
    for (const [args, config, msg] of cases) {
      const r = await shadow(join(dir, 'bad'), args, config).exited;
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err).not.toMatch(/pids|worker \d/);
    }
    expect(existsSync(join(dir, 'bad', 'results.json'))).toBe(false);
  }, 60_000);
});
