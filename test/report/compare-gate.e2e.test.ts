/** End-to-end: `mdcache compare --gate` exit codes, JUnit and step summary (the built CLI as a child process). */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../gates/helpers.js';
import { BIN, ensureBuilt } from '../helpers/cli.js';
import { findAll, parseXml } from './xml.js';

let dir: string;

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-compare-gate-'));
  for (const n of ['pass', 'fail']) copyFileSync(join(FIXTURES, `results-${n}.json`), join(dir, `${n}.json`));
});

describe('mdcache compare --gate', () => {
  it('exit 1 when HEAD is significantly worse; JUnit names the regressions; the step summary gets the verdict', () => {
    const r = run(['compare', 'pass.json', 'fail.json', '--gate', '--junit', 'cmp.xml', '--out', 'cmp.md'], { GITHUB_STEP_SUMMARY: join(dir, 'summary.md') });
    expect(r.code).toBe(1);
    expect(r.out).toContain('verdict: FAIL (max regression 5 %, α = 0.05)');
    expect(r.out).toMatch(/✗ cached hit ratio: 85\.9 % → 42\.0 %/);
    const suites = findAll(parseXml(readFileSync(join(dir, 'cmp.xml'), 'utf8')), 'testsuite');
    expect(suites).toHaveLength(1);
    const cases = findAll(suites[0]!, 'testcase');
    expect(cases).toHaveLength(23);
    const failed = cases.filter((c) => findAll(c, 'failure').length > 0).map((c) => c.attrs.name);
    expect(failed).toContain('cached fetch_md p95');
    expect(failed).not.toContain('uncached fetch_md p95');
    expect(suites[0]!.attrs.failures).toBe(String(failed.length));
    const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
    expect(summary).toContain('# mdcache compare --gate: ❌ FAIL');
    expect(summary).toContain('❌ regression');
    expect(readFileSync(join(dir, 'cmp.md'), 'utf8')).toBe(summary);
  });

  it('exit 0 when HEAD is better or the same; ~ rows never fail', () => {
    const better = run(['compare', 'fail.json', 'pass.json', '--gate']);
    expect(better.code).toBe(0);
    expect(better.out).toContain('verdict: PASS');
    const same = run(['compare', 'pass.json', 'pass.json', '--gate', '--junit', 'same.xml']);
    expect(same.code).toBe(0);
    expect(findAll(parseXml(readFileSync(join(dir, 'same.xml'), 'utf8')), 'failure')).toHaveLength(0);
  });

  it('--max-regression-pct raises the allowance; without --gate compare always exits 0', () => {
    expect(run(['compare', 'pass.json', 'fail.json', '--gate', '--max-regression-pct', '5000']).code).toBe(0);
    expect(run(['compare', 'pass.json', 'fail.json']).code).toBe(0);
  });

  it('bad input exits 2 with one line naming the flag', () => {
    const bad = run(['compare', 'pass.json', 'fail.json', '--gate', '--max-regression-pct', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--max-regression-pct: invalid value 'lots'");
    expect(run(['compare', 'pass.json', 'fail.json', '--junit', 'x.xml']).code).toBe(2);
    expect(run(['compare', 'pass.json', 'missing.json', '--gate']).code).toBe(2);
  });
});
