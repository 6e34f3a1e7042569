/** `bench --processes N` through the built CLI: the fleet section in results.json and report.md; bad input exits 2. */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, start, ROOT } from '../helpers/cli.js';

describe('bench --processes', () => {
  beforeAll(() => ensureBuilt());

  it('simulates the fleet with and without the shared tier and reports it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdcache-fleet-'));
    try {
      const r = await start(['bench', '--duration', '20s', '--symbols', '2', '--processes', '3', '--no-progress', '--no-gate', '--out', dir], ROOT).exited;
      expect(r.code, r.err).toBe(0);
      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
      expect(results.fleet.processes).toBe(3);
      expect(results.fleet.per_process).toHaveLength(3);
      expect(results.fleet.rest.weight).toBeLessThan(results.fleet.rest_l1_only.weight);
      const report = readFileSync(join(dir, 'report.md'), 'utf8');
      expect(report).toMatch(/## Fleet: REST weight with and without the shared tier/);
      expect(report).toMatch(/shared tier \(L2\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--processes', '0'], /--processes: invalid value '0', expected a whole number in \[1, 256\]/],
    [['--processes', '2', '--realtime'], /fleet is simulated in virtual time/],
  ])('bad input %j: one line, exit 2', async (args, msg) => {
    const r = await start(['bench', '--duration', '5s', '--no-progress', ...args], ROOT).exited;
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
