/** End-to-end: REST cost through the built CLI (bench, gate, compare) and its config errors. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, start, type Ran } from '../helpers/cli.js';

let dir: string;
const run = (args: string[]): Promise<Ran> => start(args, dir).exited;

const SCENARIO = `name: rest-e2e
seed: 5
symbols:
  - { symbol: BTCUSDT, tick_size: "0.01", price: "50000.00" }
  - { symbol: ETHUSDT, tick_size: "0.01", price: "3000.00" }
pipeline: { ticks: { arrival: jitter, rate_hz: 5, jitter_pct: 20 }, deadline_ms: 200 }
md_cache: { ttl_ms: 100, max_depth: 200 }
rest:
  budget: { weight_per_min: 4000 }
`;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-rest-e2e-'));
  writeFileSync(join(dir, 'rest.yaml'), SCENARIO);
}, 60_000);

describe('REST cost (child process)', () => {
  it('bench: results.json, terminal table, report section and chart; gate metrics <path>.rest.*; compare rows', async () => {
    writeFileSync(join(dir, 'gates.yaml'), 'gates:\n  - cached.rest.weight_per_min.max <= 4000\n  - { metric: rest.requests, regression_pct: { op: "<=", value: 0 } }\n');
    const [a, b] = await Promise.all([
      run(['bench', '--scenario', 'rest.yaml', '--duration', '2m', '--out', 'a', '--no-progress', '--gates', 'gates.yaml']),
      run(['bench', '--scenario', 'rest.yaml', '--duration', '2m', '--out', 'b', '--no-progress', '--gates', 'gates.yaml']),
    ]);
    const res = JSON.parse(readFileSync(join(dir, 'a', 'results.json'), 'utf8'));
    const resB = JSON.parse(readFileSync(join(dir, 'b', 'results.json'), 'utf8'));
    expect(resB.paths).toEqual(res.paths); // deterministic for a seed
    expect(resB.windows).toEqual(res.windows);
    for (const p of ['uncached', 'cached']) {
      const rest = res.paths[p].rest;
      const keys = ['banned', 'rate_limited', 'refused', 'requests', 'requests_per_min', 'throttled', 'weight', 'weight_per_min'];
      expect(Object.keys(rest).sort()).toEqual(p === 'cached' ? [...keys, 'saving'].sort() : keys);
      // max_depth 200 → limit 500 → weight 25 per request
      expect(rest.weight).toBe(25 * rest.requests);
      expect(rest.weight_per_min.count).toBe(10);
      for (const w of res.windows[p]) for (const k of ['rest_requests', 'rest_weight', 'rest_throttled']) expect(w).toHaveProperty(k);
    }
    // two symbols × 5 ticks/s × 25 weight ≈ 15,000 per minute uncached: far over the 4,000 budget
    expect(res.paths.uncached.rest.weight_per_min.mean).toBeGreaterThan(14_000);
    expect(res.scenario.rest.budget).toEqual({ weight_per_min: 4000 });
    expect(a.out).toMatch(/REST cost\s+│\s+requests\s+│\s+weight/);
    expect(a.out).toContain('REST budget: 4,000 weight per minute');
    expect(res.gates.map((g: { metric: string }) => g.metric)).toEqual(['cached.rest.weight_per_min.max', '(cached.rest.requests − uncached.rest.requests) / uncached.rest.requests × 100']);
    expect(res.gates[0].status).toBe('fail');
    expect(a.code).toBe(1);
    const md = readFileSync(join(dir, 'a', 'report.md'), 'utf8');
    expect(md).toContain('## REST cost');
    expect(md).toContain('Budget: **4,000 weight per minute**');
    expect(md).toContain('**over budget**');
    expect(md).toContain('](./rest-weight-windows.svg)');
    const svg = readFileSync(join(dir, 'a', 'rest-weight-windows.svg'), 'utf8');
    expect(svg).toContain('budget 4,000/min');

    const g = await run(['gate', join('a', 'results.json'), '--gates', 'gates.yaml']);
    expect(g.code).toBe(1);
    expect(g.out).toContain('cached.rest.weight_per_min.max <= 4000');

    const c = await run(['compare', join('a', 'results.json'), join('b', 'results.json'), '--out', 'cmp.md']);
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/cached\s+│\s+REST weight \/ min\s+│/);
    expect(readFileSync(join(dir, 'cmp.md'), 'utf8')).toContain('| uncached | REST requests / min |');
  });

  it('bad rest keys: exit 2 with one line per problem', async () => {
    writeFileSync(join(dir, 'bad.yaml'), SCENARIO.replace('budget: { weight_per_min: 4000 }', 'budget: { weight_per_min: -1 }\n  weights: [{ max_limit: 500, weight: 25 }, { max_limit: 100, weight: 5 }]\n  rate_limit: { per_min: 10 }'));
    const r = await run(['bench', '--scenario', 'bad.yaml', '--duration', '1m', '--no-progress']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('rest.budget.weight_per_min: -1 must be greater than 0');
    expect(r.err).toContain("rest.weights[1].max_limit: 100 must be greater than the previous step's max_limit (500)");
    expect(r.err).toContain('rest.rate_limit.per_min: unknown key; allowed: weight_per_min');
    expect(r.err).toContain('rest.rate_limit.weight_per_min: missing; a weight per rolling minute > 0 and ≤ 100000000, e.g. 6000');
    const gb = await run(['bench', '--scenario', 'rest.yaml', '--duration', '1m', '--no-progress', '--gates', 'nogates.yaml']);
    expect(gb.code).toBe(2);
  });
});
