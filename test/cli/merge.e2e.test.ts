/**
 * End-to-end: `mdcache merge` through the real CLI. Two benches over disjoint symbols, merged, reproduce the
 * bench over both symbols (results figures and .hlog bytes); incompatible runs exit 2 with one line naming
 * the difference unless --force; gates are re-evaluated on the merged figures (exit 1 when they do not pass).
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, start, type Ran } from '../helpers/cli.js';

let dir: string;
const run = (args: string[]): Promise<Ran> => start(args, dir).exited;
const json = (f: string): Record<string, any> => JSON.parse(readFileSync(join(dir, f), 'utf8'));

const ETH = '  - { symbol: ETHUSDT, tick_size: "0.01", price: "3500.00", qty_decimals: 4 }';
const BTC = '  - { symbol: BTCUSDT, tick_size: "0.01", price: "65000.00", qty_decimals: 5 }';

/** The baseline scenario under one name, with the given symbol lines (and md_cache ttl). */
function scenario(file: string, symbols: string[], ttl = 100): string {
  const base = readFileSync(join(ROOT, 'scenarios', 'baseline.yaml'), 'utf8');
  const text = base
    .replace(/^name: .*$/m, 'name: merge-e2e')
    .replace(/^symbols:\n(  - .*\n)+/m, `symbols:\n${symbols.join('\n')}\n`)
    .replace(/ttl_ms: 100/, `ttl_ms: ${ttl}`);
  writeFileSync(join(dir, file), text);
  return file;
}

const BENCH = ['bench', '--duration', '1m', '--window', '6s', '--seed', '5', '--no-progress', '--jobs', '1'];

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-merge-e2e-'));
  const runs = await Promise.all([
    run([...BENCH, '--scenario', scenario('both.yaml', [BTC, ETH]), '--no-gate', '--out', 'both']),
    run([...BENCH, '--scenario', scenario('btc.yaml', [BTC]), '--no-gate', '--out', 'btc']),
    run([...BENCH, '--scenario', scenario('eth.yaml', [ETH]), '--no-gate', '--out', 'eth']),
    run([...BENCH, '--scenario', scenario('eth-ttl.yaml', [ETH], 250), '--no-gate', '--out', 'eth-ttl']),
    run([...BENCH, '--scenario', 'eth.yaml', '--out', 'eth-gated']),
    run([...BENCH, '--scenario', 'btc.yaml', '--window', '10s', '--no-gate', '--out', 'btc-10s']),
  ]);
  for (const r of runs.slice(0, 4)) expect(r.code, r.err).toBe(0);
}, 180_000);

describe('mdcache merge (child process)', () => {
  it('merging the BTC run and the ETH run reproduces the run over both: figures and .hlog bytes; exit 0', async () => {
    const r = await run(['merge', 'btc', 'eth', '--out', 'merged']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/mdcache merge \(2 runs\)/);
    expect(r.out).toMatch(/wrote merged\/results\.json, merged\/report\.md/);
    const m = json('merged/results.json');
    const both = json('both/results.json');
    for (const k of ['paths', 'windows', 'spectra', 'histograms', 'duration_ms', 'seed']) expect(m[k], k).toEqual(both[k]);
    expect(m.scenario.symbol_count).toBe(2);
    expect(m.run.merged.runs.map((x: { dir: string }) => x.dir)).toEqual(['btc', 'eth']);
    expect(m.gates).toBeUndefined();
    const hlogs = readdirSync(join(dir, 'both')).filter((f) => f.endsWith('.hlog'));
    expect(hlogs.length).toBeGreaterThanOrEqual(10);
    for (const f of hlogs) expect(readFileSync(join(dir, 'merged', f), 'utf8'), f).toBe(readFileSync(join(dir, 'both', f), 'utf8'));
    expect(readFileSync(join(dir, 'merged', 'report.md'), 'utf8')).toMatch(/fetch_md/);
  }, 60_000);

  it('runs of different configs: exit 2 with one line naming the field; --force merges them (exit 0) and says so', async () => {
    const r = await run(['merge', 'btc', 'eth-ttl', '--out', 'm-ttl']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^mdcache: merge: refusing to merge: btc and eth-ttl differ in scenario\.md_cache\.ttl_ms \(100 vs 250\); use --force to merge anyway/);
    const f = await run(['merge', 'btc', 'eth-ttl', '--out', 'm-ttl', '--force']);
    expect(f.code, f.err).toBe(0);
    expect(f.err).toMatch(/note: merged despite: .*ttl_ms.*\(--force\)/);
    expect(json('m-ttl/results.json').run.merged.forced).toHaveLength(1);
  }, 60_000);

  it('different windows are never merged, even with --force (exit 2)', async () => {
    const r = await run(['merge', 'btc', 'btc-10s', '--out', 'm-win', '--force']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot merge: btc and btc-10s have different window lengths \(6000 ms vs 10000 ms\)/);
  }, 60_000);

  it('bad input: a missing folder, a folder without results.json, --out among the inputs (exit 2, one line)', async () => {
    for (const [args, re] of [
      [['merge', 'btc', 'nope', '--out', 'x'], /merge: nope: no such directory/],
      [['merge', 'btc', '.', '--out', 'x'], /merge: \. has no results\.json/],
      [['merge', 'btc', 'eth', '--out', 'eth'], /--out eth is one of the runs being merged/],
      [['merge', 'btc', 'eth'], /required option '--out <dir>' not specified/],
    ] as const) {
      const r = await run([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(re);
    }
  }, 60_000);

  it('gated runs: the gates are re-evaluated on the merged figures; the exit code follows the merged verdict', async () => {
    const r = await run(['merge', 'btc', 'eth-gated', '--out', 'm-gated']);
    const m = json('m-gated/results.json');
    expect(m.gates.length).toBeGreaterThan(0);
    expect(r.code, r.err).toBe(m.verdict === 'pass' ? 0 : 1);
    const ticks = m.gates.find((g: { metric: string }) => /deadline_miss_ratio/.test(g.metric));
    if (ticks) expect(ticks.value).toBe(m.paths[ticks.metric.split('.')[0]].deadline_miss_ratio);
    const n = await run(['merge', 'btc', 'eth-gated', '--out', 'm-nogate', '--no-gate']);
    expect(n.code).toBe(0);
    expect(json('m-nogate/results.json').gates).toBeUndefined();
  }, 60_000);
});
