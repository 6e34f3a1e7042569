/** End-to-end: `mdcache bench` with arms (scenario `arms:` and `--policies`) through the built CLI. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, start, type Ran } from '../helpers/cli.js';

let dir: string;
const run = (args: string[]): Promise<Ran> => start(args, dir).exited;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-arms-e2e-'));
  const baseline = readFileSync(join(ROOT, 'scenarios', 'baseline.yaml'), 'utf8');
  writeFileSync(
    join(dir, 'arms.yaml'),
    baseline.replace(/^name: baseline$/m, 'name: arms-e2e') +
      '\narms:\n  - { name: ttl100 }\n  - { name: ttl400, md_cache: { ttl_ms: 400, max_stale_ms: 2000 } }\n',
  );
  writeFileSync(join(dir, 'arm-gates.yaml'), 'gates:\n  - ttl400.cache.fresh_ratio < 0.01\n  - uncached.ticks > 0\n');
}, 60_000);

describe('mdcache bench with arms (child process)', () => {
  it('runs every arm on one workload: paths.cached is the first arm, each arm by name, side-by-side table, per-arm verdicts', async () => {
    const r = await run(['bench', '--scenario', 'arms.yaml', '--duration', '2m', '--seed', '4', '--out', 'a', '--no-progress']);
    const res = JSON.parse(readFileSync(join(dir, 'a', 'results.json'), 'utf8'));
    expect(Object.keys(res.paths)).toEqual(['uncached', 'cached', 'ttl100', 'ttl400']);
    expect(res.paths.ttl100).toEqual(res.paths.cached);
    expect(res.paths.ttl400.ticks).toBe(res.paths.uncached.ticks);
    expect(res.arms.map((a: { name: string }) => a.name)).toEqual(['ttl100', 'ttl400']);
    for (const a of res.arms) expect(['pass', 'fail', 'inconclusive']).toContain(a.verdict);
    expect(res.gates.filter((g: { arm?: string }) => g.arm === 'ttl400')).toHaveLength(7); // the seed's four + three warn gates
    expect(r.code).toBe(res.verdict === 'pass' ? 0 : 1);
    expect(r.out).toMatch(/arms \(same workload; cached = ttl100\)/);
    expect(r.out).toMatch(/ttl400: hit_ratio >= 0.7/);
    const md = readFileSync(join(dir, 'a', 'report.md'), 'utf8');
    expect(md).toContain('| metric | uncached | ttl100 | ttl400 |');
    expect(readFileSync(join(dir, 'a', 'ttl400.fetch_md.hlog'), 'utf8')).toMatch(/^#\[/m);
  }, 120_000);

  it('--gates may name an arm; a gate that one arm fails fails that arm and the run (exit 1)', async () => {
    const r = await run(['bench', '--scenario', 'arms.yaml', '--duration', '2m', '--seed', '4', '--out', 'g', '--no-progress', '--gates', 'arm-gates.yaml']);
    const res = JSON.parse(readFileSync(join(dir, 'g', 'results.json'), 'utf8'));
    expect(res.gates.map((g: { metric: string }) => g.metric)).toEqual(['ttl400.cache.fresh_ratio', 'uncached.ticks']);
    expect(res.arms.find((a: { name: string }) => a.name === 'ttl400').verdict).toBe('fail');
    expect(res.arms.find((a: { name: string }) => a.name === 'ttl100').verdict).toBe('pass');
    expect(r.code).toBe(1);
    expect(r.out).toContain('arms passing: ttl100; failing: ttl400');
    // re-evaluating the saved run reads the arm names from it
    const g = await run(['gate', join('g', 'results.json'), '--gates', 'arm-gates.yaml']);
    expect(g.code).toBe(1);
    expect(g.out).toContain('ttl400.cache.fresh_ratio');
  }, 120_000);

  it('bad arms exit 2 with one line per problem', async () => {
    writeFileSync(join(dir, 'bad.yaml'), readFileSync(join(dir, 'arms.yaml'), 'utf8').replace('name: ttl100', 'name: cached').replace('ttl_ms: 400', 'ttl_ms: 1'));
    const r = await run(['bench', '--scenario', 'bad.yaml', '--duration', '1m', '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/arms\[0\]\.name: 'cached' is reserved/);
    expect(r.err).toMatch(/arms\[1\]\.md_cache\.ttl_ms: /);
    const p = await run(['bench', '--policies', 'nope', '--duration', '1m', '--no-progress']);
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/--policies\[0\]\.md_cache\.policy: /);
    const e = await run(['bench', '--policies', ',', '--duration', '1m', '--no-progress']);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/--policies: empty/);
  }, 60_000);
});
