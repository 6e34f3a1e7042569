/** End-to-end: `mdcache sweep` through the built CLI as a child process. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, start, type Ran } from '../helpers/cli.js';

let dir: string;
const run = (args: string[]): Promise<Ran> => start(args, dir).exited;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-sweep-e2e-'));
  writeFileSync(join(dir, 'impossible.yaml'), 'gates:\n  - cached.tick_total_ms.p95 <= 1\n');
}, 60_000);

describe('mdcache sweep (child process)', () => {
  it('runs the grid on worker threads, writes sweep.json/sweep.md/charts, identical for --jobs 1 and 2; --json prints sweep.json', async () => {
    const args = ['sweep', '--duration', '1m', '--seed', '2', '--param', 'md_cache.ttl_ms=50,400', '--param', 'max_stale_ms=1000,2000', '--no-progress'];
    const [a, b] = await Promise.all([run([...args, '--jobs', '1', '--out', 'j1']), run([...args, '--jobs', '2', '--out', 'j2', '--json'])]);
    const j1 = JSON.parse(readFileSync(join(dir, 'j1', 'sweep.json'), 'utf8'));
    const j2 = JSON.parse(readFileSync(join(dir, 'j2', 'sweep.json'), 'utf8'));
    expect(JSON.parse(b.out)).toEqual(j2);
    expect(j1.schema).toBe('mdcache.sweep/v1');
    expect(j1.run.command).toBe('mdcache sweep --scenario baseline --duration 1m --seed 2 --param md_cache.ttl_ms=50,400 --param max_stale_ms=1000,2000 --objective tob_error');
    expect(j2.run.workers).toBe(2);
    expect({ ...j2, run: null }).toEqual({ ...j1, run: null });
    expect(j1.points).toHaveLength(4);
    expect(a.code).toBe(j1.recommended === null ? 1 : 0);
    expect(a.out).toMatch(/mdcache sweep: baseline \(seed 2, 1m per point, 4 points\)/);
    expect(a.out).toMatch(j1.recommended === null ? /no recommendation: / : /recommended: #\d /);
    expect(b.err).toMatch(/mdcache sweep: baseline/); // with --json the table goes to stderr
    for (const f of ['sweep.md', 'sweep-tick_total-vs-tob_error.svg', 'sweep-tick_total-vs-rest_weight.svg']) expect(existsSync(join(dir, 'j1', f)), f).toBe(true);
    expect(readFileSync(join(dir, 'j1', 'sweep.md'), 'utf8')).toContain('| # | ttl_ms | max_stale_ms | verdict |');
  }, 240_000);

  it('exit 1 with the reason when no point passes its gates', async () => {
    const r = await run(['sweep', '--duration', '1m', '--param', 'ttl_ms=50,100', '--gates', 'impossible.yaml', '--out', 'none', '--no-progress', '--jobs', '2']);
    expect(r.code).toBe(1);
    const j = JSON.parse(readFileSync(join(dir, 'none', 'sweep.json'), 'utf8'));
    expect(j.recommended).toBeNull();
    expect(r.err).toMatch(/mdcache: sweep: no point passes all its gates \(2 point\(s\)\); the most common unmet gate is 'cached.tick_total_ms.p95 <= 1'/);
  }, 120_000);

  it('bad input exits 2 with one line per problem and writes nothing', async () => {
    const r = await run(['sweep', '--param', 'md_cache.ttl_ms=1,100', '--param', 'nope=1', '--param', 'max_stale_ms=', '--jobs', '0', '--objective', 'speed', '--out', 'bad']);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toBe('mdcache: invalid sweep:');
    expect(lines.slice(1).map((l) => l.trim())).toEqual([
      "--objective: invalid value 'speed', use one of: tob_error, staleness, rest_weight, tick_total",
      "--jobs: invalid value '0', expected a whole number in [1, 1024]",
      '--param md_cache.ttl_ms: 1 is out of range [10, 5000]',
      expect.stringMatching(/^--param md_cache\.nope: 'nope' is not an md_cache key: unknown key/),
      '--param md_cache.max_stale_ms: empty value list; give at least one value',
    ]);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
    const none = await run(['sweep']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--param: missing/);
  }, 60_000);
});
