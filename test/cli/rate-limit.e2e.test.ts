/**
 * `mdcache exchange --weight-limit` and `rest.rate_limit` from the built CLI: bad values exit 2 with one
 * line; a limit is enforced on the wire (429 with Retry-After, X-MBX-USED-WEIGHT-1M); a bench with a limit
 * writes the 429 / 418 / refused counts and the report says so.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, start, waitForOutput, type Ran, type Running } from '../helpers/cli.js';

let dir: string;
const run = (args: string[], cwd = dir): Promise<Ran> => start(args, cwd).exited;
const running: Running[] = [];

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-ratelimit-e2e-'));
}, 60_000);

afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGTERM');
  await Promise.all(running.map((r) => r.exited));
});

describe('mdcache exchange --weight-limit', () => {
  it('bad values exit 2 with one line naming the flag, the value and what is allowed', async () => {
    for (const v of ['0', '-5', 'lots', '1e9', '']) {
      const r = await run(['exchange', '--weight-limit', v, '--duration', '1s']);
      expect(r.code, v).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n'), v).toEqual([`mdcache: --weight-limit: invalid value '${v}', expected a request weight per rolling minute > 0 and ≤ 100000000, e.g. 6000`]);
    }
  });

  it('a limit is enforced on the wire: X-MBX-USED-WEIGHT-1M, then 429 with Retry-After', async () => {
    const r = start(['exchange', '--port', '0', '--json', '--no-rest-faults', '--weight-limit', '12', '--duration', '2m'], dir);
    running.push(r);
    const line = await waitForOutput(r, /\{.*\}\n/, { stream: 'out' });
    const info = JSON.parse(line[0]) as { rest: string; weight_limit: number };
    expect(info.weight_limit).toBe(12);
    const a = await fetch(`${info.rest}/api/v3/depth?symbol=BTCUSDT&limit=5`);
    expect([a.status, a.headers.get('x-mbx-used-weight-1m')]).toEqual([200, '5']);
    await a.text();
    const b = await fetch(`${info.rest}/api/v3/depth?symbol=BTCUSDT&limit=5`);
    expect([b.status, b.headers.get('x-mbx-used-weight-1m')]).toEqual([200, '10']);
    await b.text();
    const c = await fetch(`${info.rest}/api/v3/depth?symbol=BTCUSDT&limit=5`);
    expect(c.status).toBe(429);
    expect(Number(c.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(((await c.json()) as { code: number }).code).toBe(-1003);
    r.child.kill('SIGINT');
    const done = await r.exited;
    expect(done.code).toBe(0);
  });
});

describe('bench with rest.rate_limit', () => {
  it('bad rest.rate_limit values exit 2; a limit is counted in results.json and stated in report.md', async () => {
    const base = readFileSync(join(ROOT, 'scenarios', 'baseline.yaml'), 'utf8');
    const withLimit = (v: string): string => base.replace('  timeout_ms: 1000', `  timeout_ms: 1000\n  rate_limit: { weight_per_min: ${v} }`);
    writeFileSync(join(dir, 'bad.yaml'), withLimit('"fast"'));
    const bad = await run(['bench', '--scenario', 'bad.yaml', '--duration', '1m', '--no-progress']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("rest.rate_limit.weight_per_min: invalid value 'fast'; expected a weight per rolling minute > 0 and ≤ 100000000");

    writeFileSync(join(dir, 'limited.yaml'), withLimit('1200'));
    const r = await run(['bench', '--scenario', 'limited.yaml', '--duration', '3m', '--window', '1m', '--no-progress', '--out', 'out']);
    expect(r.err).not.toMatch(/internal error/);
    const res = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8'));
    const u = res.paths.uncached.rest;
    expect(u.rate_limited).toBeGreaterThan(0);
    expect(u.refused).toBeGreaterThan(0);
    expect(u.weight_per_min.max).toBeLessThanOrEqual(1200);
    const md = readFileSync(join(dir, 'out', 'report.md'), 'utf8');
    expect(md).toContain('The endpoint enforced a limit of 1,200 weight per rolling minute');
    expect(md).toMatch(new RegExp(`uncached: ${u.rate_limited} × 429, ${u.banned} × 418, ${u.refused.toLocaleString('en-US')} calls refused`));
    expect(readFileSync(join(dir, 'out', 'rest-weight-windows.svg'), 'utf8')).toContain('enforced limit 1,200/min');
  });
});
