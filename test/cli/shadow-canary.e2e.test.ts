/** End-to-end: `mdcache shadow` and `mdcache canary` through the built CLI as child processes. */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml } from '../report/xml.js';
import { ROOT, ensureBuilt, start as startCli, waitForOutput, type Ran, type Running } from '../helpers/cli.js';
import { scrapeEvery, waitUntil } from '../helpers/wait.js';

const PROD = join(ROOT, 'examples', 'prod.yaml');
let dir: string;
const children = new Set<ChildProcess>();

const start = (args: string[], cwd = dir): Running => startCli(args, cwd, children);
const run = (args: string[]): Promise<Ran> => start(args).exited;



const json = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-ops-e2e-'));
}, 60_000);

afterAll(() => {
  // only the children this file started, by pid
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
});

describe('mdcache shadow (child process)', () => {
  it('virtual time with md_cache.shared in prod.yaml: says the Redis tier is for binance sources only, runs L1 only', async () => {
    writeFileSync(join(dir, 'prod-shared.yaml'), readFileSync(PROD, 'utf8').replace(/^md_cache:.*\n/m, 'md_cache:\n  shared: { type: redis, url: "redis://127.0.0.1:1" }\n'));
    const r = await run(['shadow', '--config', 'prod-shared.yaml', '--duration', '1m', '--metrics-port', '0', '--out', 'shs', '--no-progress']);
    expect(r.err).toContain('mdcache shadow: md_cache.shared is used with source.type: binance only; this synthetic shadow runs the candidate\'s cache without it (L1 only)');
    expect(json('shs/results.json').paths.cached.cache.shared).toBeUndefined();
  });

  it('virtual time: results.json has a shadow block and report.md the shadow sections; exit follows the verdict', async () => {
    // The same config with explicit one-minute windows: 3 minutes give too few of them.
    writeFileSync(join(dir, 'prod-1m.yaml'), readFileSync(PROD, 'utf8').replace(/^shadow:\n/m, 'shadow:\n  window: 1m\n'));
    const [r3, r5] = await Promise.all([
      run(['shadow', '--config', 'prod-1m.yaml', '--duration', '3m', '--metrics-port', '0', '--out', 'sh3', '--no-progress']),
      run(['shadow', '--config', PROD, '--duration', '5m', '--metrics-port', '0', '--out', 'sh5', '--no-progress']),
    ]);
    // 5 minutes in 10 windows of 30 s (the default): the prod.yaml gates pass ⇒ exit 0
    expect(r5.err).toMatch(/^metrics: http:\/\/127\.0\.0\.1:\d+\/metrics {2}health: http:\/\/127\.0\.0\.1:\d+\/healthz\n$/);
    expect(r5.code).toBe(0);
    const res5 = json('sh5/results.json');
    expect(res5.verdict).toBe('pass');

    // 3 windows are too few for the gates: inconclusive ⇒ exit 1, but the shadow report is complete
    const res = json('sh3/results.json');
    expect(res.verdict).toBe('inconclusive');
    expect(r3.code).toBe(1);
    expect(r3.err).toContain('mdcache: verdict inconclusive');

    for (const [r, out, ms] of [[res, 'sh3', 180_000], [res5, 'sh5', 300_000]] as const) {
      expect(r.duration_ms).toBe(ms);
      expect(r.run.interrupted).toBeUndefined();
      expect(r.run.command).toContain('mdcache shadow --config');
      const s = r.shadow;
      expect(s.compared).toBeGreaterThan(0);
      // every tick both paths served is compared (baseline has no REST errors, nothing is dropped)
      expect(s.compared).toBe(r.paths.uncached.ticks);
      expect(s.compared_depth).toBe(10);
      expect(s.tob_mismatch_ratio).toBeGreaterThanOrEqual(0);
      expect(s.tob_mismatch_ratio).toBeLessThanOrEqual(1);
      expect(s.worst.length).toBeGreaterThan(0);
      expect(s.worst.length).toBeLessThanOrEqual(10);
      for (let i = 1; i < s.worst.length; i++) expect(s.worst[i].tob_mismatch_ticks).toBeLessThanOrEqual(s.worst[i - 1].tob_mismatch_ticks);
      expect(s.worst[0].tob_mismatch_ticks).toBe(s.tob_mismatch_ticks.max);
      const md = readFileSync(join(dir, out, 'report.md'), 'utf8');
      expect(md).toContain('## Shadow: candidate vs control');
      expect(md).toContain('### Worst mismatches');
      expect(md).toContain(`| ${s.worst[0].symbol} | ${s.worst[0].tob_mismatch_ticks} |`);
    }
    expect(r3.out).toMatch(new RegExp(`shadow: ${res.shadow.compared} ticks compared`));
  }, 60_000);

  it('real time: serves /metrics and /healthz while running; SIGTERM stops it cleanly with the report of what ran', async () => {
    const sh = start(['shadow', '--config', PROD, '--realtime', '--duration', '20s', '--metrics-port', '0', '--out', 'rt', '--no-progress']);
    const base = (await waitForOutput(sh, /metrics: (http:\/\/[^\s]+)\/metrics/, { timeoutMs: 15_000 }))[1];
    // /metrics is pull-only: scraped every 50 ms (and on any output of the child) until the shadow has compared ticks
    const metrics = await waitUntil(
      'cache and shadow metrics',
      async () => {
        const res = await fetch(`${base}/metrics`);
        expect(res.status).toBe(200);
        const text = await res.text();
        const compared = /^mm_md_shadow_compared_total (\d+)/m.exec(text);
        return /^mm_md_cache_hit_total\{/m.test(text) && compared && Number(compared[1]) > 0 ? text : undefined;
      },
      [scrapeEvery(50), [sh.child.stderr!, 'data']],
      15_000,
    );
    expect(metrics).toContain('mm_md_cache_hit_total');
    expect(metrics).toContain('mm_md_shadow_compared_total');
    expect(metrics).toMatch(/^# TYPE mm_md_shadow_fetch_md_latency_ms histogram/m);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect(sh.child.exitCode).toBeNull(); // still running

    sh.child.kill('SIGTERM');
    const done = await waitUntil(`an exit after SIGTERM (stderr: ${sh.err})`, () => sh.exited, [], 15_000);
    expect(done.code).toBe(1); // an interrupted shadow never passes its gates (like bench)
    expect(done.err).toContain('SIGTERM: stopping; writing the report of what ran...');
    expect(done.err).toMatch(/mdcache: shadow interrupted after .* of 20s; the results cover what ran and are not a pass/);
    expect(existsSync(join(dir, 'rt', 'report.md'))).toBe(true);
    const res = json('rt/results.json');
    expect(res.run.interrupted).toBe(true);
    expect(res.run.clock).toBe('real');
    expect(res.duration_ms).toBeGreaterThan(0);
    expect(res.duration_ms).toBeLessThan(20_000);
    expect(res.shadow.compared).toBeGreaterThan(0);
    expect(done.out).toContain('INTERRUPTED');
    // the metrics server is gone with the process
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  }, 60_000);
});

describe('mdcache canary (child process)', () => {
  it('promotes the shipped config through 3 steps; rolls back a cold cache at step 1 naming hit_ratio < 0.5', async () => {
    writeFileSync(join(dir, 'cold.yaml'), 'source: { type: synthetic, scenario: cold-cache }\n');
    const [p, c] = await Promise.all([
      run(['canary', '--config', PROD, '--step-duration', '5m', '--out', 'can', '--no-progress']),
      run(['canary', '--config', 'cold.yaml', '--step-duration', '5m', '--out', 'cold', '--no-progress']),
    ]);
    expect(p.code).toBe(0);
    const cj = json('can/canary.json');
    expect(cj.schema).toBe('mdcache.canary/v1');
    expect(cj.outcome).toBe('promoted');
    expect(cj.final_share_pct).toBe(100);
    expect(cj.steps).toHaveLength(3);
    expect(cj.steps.map((s: { share_pct: number }) => s.share_pct)).toEqual([10, 50, 100]);
    expect(cj.steps.every((s: { decision: string }) => s.decision === 'healthy')).toBe(true);
    expect(cj.step_duration_ms).toBe(300_000);
    expect(cj.steps.map((s: { start_ms: number; end_ms: number }) => [s.start_ms, s.end_ms])).toEqual([
      [0, 300_000],
      [300_000, 600_000],
      [600_000, 900_000],
    ]);
    expect(p.out).toContain('PROMOTED: all 3 steps healthy: 10 % → 50 % → 100 %');
    expect(readFileSync(join(dir, 'can', 'report.md'), 'utf8')).toContain('PROMOTED to 100\u00a0%');

    expect(c.code).toBe(1);
    const cold = json('cold/canary.json');
    expect(cold.outcome).toBe('rolled_back');
    expect(cold.final_share_pct).toBe(0);
    expect(cold.steps).toHaveLength(1);
    expect(cold.steps[0].decision).toBe('breach');
    expect(cold.steps[0].metrics.hit_ratio).toBeLessThan(0.5);
    expect(cold.reason).toMatch(/^step 1 \(10 %\): rollback: hit_ratio < 0\.5 /);
    expect(c.out).toContain('ROLLED BACK: step 1 (10 %): rollback: hit_ratio < 0.5');
    expect(c.err).toContain('mdcache: canary rolled back: step 1 (10 %): rollback: hit_ratio < 0.5');
    const md = readFileSync(join(dir, 'cold', 'report.md'), 'utf8');
    expect(md).toContain('ROLLED BACK to 0\u00a0%');
    expect(md).toContain('./canary-timeline.svg');
    const svg = parseXml(readFileSync(join(dir, 'cold', 'canary-timeline.svg'), 'utf8'));
    expect(svg.name).toBe('svg');
  }, 60_000);

  it('bad input exits 2: --steps out of order, a prod.yaml with several errors', async () => {
    writeFileSync(
      join(dir, 'bad-prod.yaml'),
      [
        'sorce: { type: synthetic }',
        'source: { type: replay }',
        'md_cache: { ttl_ms: 1 }',
        'shadow: { duration: 10x }',
        'canary: { steps: [50, 10], step_duration: 5m, window: 10m }',
        '',
      ].join('\n'),
    );
    const [steps, bad, badShadow] = await Promise.all([
      run(['canary', '--config', PROD, '--steps', '50,10', '--out', 'y1']),
      run(['canary', '--config', 'bad-prod.yaml', '--out', 'y2']),
      run(['shadow', '--config', 'bad-prod.yaml', '--no-metrics', '--out', 'y3']),
    ]);
    expect(steps.code).toBe(2);
    expect(steps.err).toBe('mdcache: --steps: 50,10 must increase strictly, e.g. 10,50,100\n');
    for (const r of [bad, badShadow]) {
      expect(r.code).toBe(2);
      expect(r.err).toContain('invalid bad-prod.yaml:');
      for (const p of [
        "sorce: unknown key (did you mean 'source'?)",
        'source.file: is required for type: replay',
        'md_cache.ttl_ms: 1 is out of range [10, 5000]',
        "shadow.duration: invalid duration '10x', use e.g. 500ms, 90s, 30m, 1h",
        'canary.steps: 50,10 must increase strictly',
        'canary.window: 600000 ms is longer than step_duration (300000 ms)',
      ])
        expect(r.err).toContain(p);
    }
    for (const d of ['y1', 'y2', 'y3']) expect(existsSync(join(dir, d))).toBe(false);
  }, 60_000);
});
