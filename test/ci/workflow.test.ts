/** The shipped CI definitions run the `ci` gate: .ci/run and .github/workflows/perf-gate.yml. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/cli.js';

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
}

describe('CI definitions', () => {
  it('.ci/run runs the tests and the ci scenario gate', () => {
    const run = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    expect(run).toMatch(/^npm test$/m);
    expect(run).toMatch(/^npx mdcache bench --scenario ci .*--junit/m);
  });

  it('perf-gate.yml: tests, the ci scenario, a cached base result and compare --gate on pull requests', () => {
    const wf = parse(readFileSync(join(ROOT, '.github', 'workflows', 'perf-gate.yml'), 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, { steps: Step[] }> };
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push']);
    const steps = wf.jobs['perf-gate']!.steps;
    const runs = steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/^npm test$/m);
    expect(runs).toMatch(/npx mdcache bench --scenario ci --out reports\/head/);
    expect(runs).toMatch(/npx mdcache compare perf-base\/results.json reports\/head\/results.json --gate/);
    const save = steps.find((s) => s.uses?.startsWith('actions/cache/save'))!;
    const restore = steps.find((s) => s.uses?.startsWith('actions/cache/restore'))!;
    expect(save.with!.path).toBe(restore.with!.path); // a cache restores only under the path it was saved with
    expect(String(save.with!.key)).toBe('perf-ci-${{ github.sha }}');
    expect(String(restore.with!.key)).toBe('perf-ci-${{ github.event.pull_request.base.sha }}');
    expect(steps.some((s) => s.uses?.startsWith('actions/upload-artifact') && s.if === 'always()')).toBe(true);
  });
});
