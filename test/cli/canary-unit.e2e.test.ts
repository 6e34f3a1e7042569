/** End-to-end: `mdcache canary` by process through the real CLI (virtual time); bad units exit 2 with one line. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, start, type Ran } from '../helpers/cli.js';

let dir: string;
const run = (args: string[]): Promise<Ran> => start(args, dir).exited;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-canary-unit-e2e-'));
  writeFileSync(join(dir, 'fleet.yaml'), 'source: { type: synthetic, scenario: baseline, seed: 5 }\nmd_cache: { ttl_ms: 400, stale_ok: true, max_stale_ms: 2000 }\nfleet: { processes: 10 }\ncanary: { steps: [10, 50, 100], step_duration: 10s, window: 2s }\n');
  writeFileSync(join(dir, 'one.yaml'), 'source: { type: synthetic, scenario: baseline, seed: 5 }\nmd_cache: { ttl_ms: 400, stale_ok: true, max_stale_ms: 2000 }\ncanary: { steps: [10, 100], step_duration: 10s, window: 2s }\n');
  writeFileSync(join(dir, 'bad.yaml'), 'canary: { unit: processes }\n');
}, 60_000);

describe('mdcache canary by process (child process)', () => {
  it('fleet.processes 10: the steps split processes (1/9, 5/5, all with a shadow control); canary.json and the report say so', async () => {
    const r = await run(['canary', '--config', 'fleet.yaml', '--out', 'c', '--no-progress']);
    const c = JSON.parse(readFileSync(join(dir, 'c', 'canary.json'), 'utf8'));
    expect(r.code, r.err).toBe(c.outcome === 'promoted' ? 0 : 1);
    expect(c.unit).toBe('process');
    expect(c.processes).toBe(10);
    expect(c.steps[0].canary_processes).toEqual([0]);
    expect(c.steps[0].control_processes).toHaveLength(9);
    expect(r.out).toMatch(/step 1 +10 % {2}processes 1\/10/);
    expect(readFileSync(join(dir, 'c', 'report.md'), 'utf8')).toMatch(/canary \/ control processes/);
  }, 120_000);

  it('one process, one symbol: a note on stderr, a shadow control at every step; --processes 4 switches to process units', async () => {
    const r = await run(['canary', '--config', 'one.yaml', '--out', 'o', '--no-progress']);
    expect(r.err).toMatch(/mdcache canary: note: one process and one symbol \(BTCUSDT\): no symbol to split/);
    const c = JSON.parse(readFileSync(join(dir, 'o', 'canary.json'), 'utf8'));
    expect(c.steps.every((s: { shadow_control: boolean }) => s.shadow_control)).toBe(true);
    const p = await run(['canary', '--config', 'one.yaml', '--processes', '4', '--out', 'p', '--no-progress']);
    const cp = JSON.parse(readFileSync(join(dir, 'p', 'canary.json'), 'utf8'));
    expect(cp.unit).toBe('process');
    expect(cp.steps[0].canary_processes).toEqual([0]);
    expect(cp.run.command).toMatch(/--processes 4/);
    expect(p.err).not.toMatch(/note:/);
  }, 120_000);

  it('a bad canary.unit, --unit or --processes is bad input: exit 2, one line', async () => {
    const a = await run(['canary', '--config', 'bad.yaml', '--out', 'x']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/canary\.unit: 'processes' is not allowed \(did you mean 'process'\?\); use one of: process, symbol/);
    const b = await run(['canary', '--config', 'one.yaml', '--unit', 'host', '--out', 'x']);
    expect(b.code).toBe(2);
    expect(b.err.trim()).toBe("mdcache: --unit: invalid value 'host', use process or symbol");
    const c = await run(['canary', '--config', 'one.yaml', '--processes', '0', '--out', 'x']);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--processes: invalid value '0'/);
  }, 60_000);
});
