import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, ensureBuilt, start } from '../helpers/cli.js';

describe('mdcache bench --realtime: the catch-up scheduler on the real clock', () => {
  it('starts every scheduled tick, records scheduler_lateness_ms, ends with its duration and counts the ticks still queued', async () => {
    ensureBuilt();
    const d = mkdtempSync(join(tmpdir(), 'mdcache-rt-'));
    // 2 symbols × 100 fixed ticks/s for 3 s; the uncached path (REST p50 20 ms) cannot keep up: ticks queue.
    const r = await start(['bench', '--realtime', '--scenario', join(ROOT, 'bench', 'realtime-1k.yaml'), '--symbols', '2', '--duration', '3s', '--no-gate', '--out', 'out', '--no-progress'], d).exited;
    expect(r.code).toBe(0);
    const results = JSON.parse(readFileSync(join(d, 'out', 'results.json'), 'utf8'));
    expect(results.run.clock).toBe('real');
    const l = results.scheduler_lateness_ms;
    expect(l.count).toBe(2 * 299); // arrivals at 10, 20, … 2990 ms on each symbol: all started
    expect(l.p50).toBeGreaterThanOrEqual(0);
    expect(l.max).toBeGreaterThanOrEqual(l.p99);
    const { uncached, cached } = results.paths;
    expect(uncached.dropped_at_end).toBeGreaterThan(0);
    expect(cached.dropped_at_end).toBeGreaterThanOrEqual(0);
    for (const p of [uncached, cached]) expect(p.ticks + p.dropped + p.dropped_at_end).toBe(2 * 299);
    // the run ends with its duration (it does not wait for the queue): the whole run well under the queue's length
    expect(results.run.wall_ms).toBeLessThan(3000 + 2500);
    const md = readFileSync(join(d, 'out', 'report.md'), 'utf8');
    expect(md).toContain('## Real-time scheduling');
    expect(r.err + r.out).toMatch(/scheduler lateness \(ms\): p50/);
  }, 60_000);
});
