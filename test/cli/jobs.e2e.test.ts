/** End-to-end: `mdcache bench --jobs N` shards symbols across worker threads with identical results. */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, start, type Ran } from '../helpers/cli.js';

let dir: string;
const run = (args: string[]): Promise<Ran> => start(args, dir).exited;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-jobs-e2e-'));
}, 60_000);

describe('mdcache bench --jobs (child process)', () => {
  it('results.json (but run) and every .hlog are identical for --jobs 1 and --jobs 3; the run records its shards', async () => {
    const args = ['bench', '--scenario', 'many-symbols', '--symbols', '5', '--duration', '1m', '--seed', '3', '--no-gate', '--no-progress'];
    const [a, b] = await Promise.all([run([...args, '--jobs', '1', '--out', 'j1']), run([...args, '--jobs', '3', '--out', 'j3'])]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const r1 = JSON.parse(readFileSync(join(dir, 'j1', 'results.json'), 'utf8'));
    const r3 = JSON.parse(readFileSync(join(dir, 'j3', 'results.json'), 'utf8'));
    expect(r1.run.shards).toBeUndefined();
    expect(r3.run.shards).toBe(3);
    expect(r3.run.worker_peak_heap_mb).toBeGreaterThan(0);
    expect({ ...r3, run: null }).toEqual({ ...r1, run: null });
    const hlogs = readdirSync(join(dir, 'j1')).filter((f) => f.endsWith('.hlog'));
    expect(hlogs.length).toBeGreaterThanOrEqual(10);
    for (const f of hlogs) expect(readFileSync(join(dir, 'j3', f), 'utf8'), f).toBe(readFileSync(join(dir, 'j1', f), 'utf8'));
  }, 180_000);

  it('--jobs 0 is bad input (exit 2)', async () => {
    const r = await run(['bench', '--jobs', '0', '--duration', '1m']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--jobs: invalid value '0', expected a whole number in \[1, 1024\]/);
  }, 60_000);
});
