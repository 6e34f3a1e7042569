/** End-to-end: runs the built CLI (node bin/mdcache.js) as a child process. */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../gates/helpers.js';
import { findAll, parseXml } from './xml.js';

const ROOT = resolve(FIXTURES, '..', '..');
const BIN = join(ROOT, 'bin', 'mdcache.js');
let dir: string;

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  // Build; other work-in-progress files may fail to type-check, tsc still emits ours.
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'pipe' });
  } catch {
    /* emitted anyway */
  }
  for (const f of ['cli/commands/gate.js', 'report/write.js', 'gates/evaluate.js']) if (!existsSync(join(ROOT, 'dist', f))) throw new Error(`build did not emit dist/${f}`);
  dir = mkdtempSync(join(tmpdir(), 'mdcache-e2e-'));
  for (const n of ['pass', 'fail', 'inconclusive', 'short']) copyFileSync(join(FIXTURES, `results-${n}.json`), join(dir, `results-${n}.json`));
});

describe('mdcache gate', () => {
  it('exit 0 on a passing run, prints the table with ✓ and intervals', () => {
    const r = run(['gate', 'results-pass.json']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('✓ pass');
    expect(r.out).toMatch(/hit_ratio >= 0\.7 .* \[[\d.]+, [\d.]+\] %/);
    expect(r.out).toContain('verdict: PASS');
    expect(r.out).not.toMatch(/\u001b\[/);
  });

  it('exit 1 on fail and on inconclusive, writes JUnit', () => {
    const f = run(['gate', 'results-fail.json', '--junit', 'out/junit.xml']);
    expect(f.code).toBe(1);
    expect(f.out).toContain('✗ fail');
    const x = parseXml(readFileSync(join(dir, 'out', 'junit.xml'), 'utf8'));
    expect(findAll(x, 'testcase')).toHaveLength(7); // the seed's four + three warn gates
    expect(findAll(x, 'failure')).toHaveLength(4);
    expect(findAll(x, 'skipped')).toHaveLength(3); // warn gates that did not pass
    const i = run(['gate', 'results-inconclusive.json']);
    expect(i.code).toBe(1);
    expect(i.out).toContain('verdict: INCONCLUSIVE');
  });

  it('exit 2 on bad input, saying which', () => {
    expect(run(['gate', 'missing.json'])).toMatchObject({ code: 2, err: 'mdcache: results file not found: missing.json\n' });
    writeFileSync(join(dir, 'notjson.json'), '{oops');
    const nj = run(['gate', 'notjson.json']);
    expect(nj.code).toBe(2);
    expect(nj.err).toMatch(/^mdcache: notjson\.json is not JSON: /);
    writeFileSync(join(dir, 'schema.json'), JSON.stringify({ schema: 'mdcache.results/v0' }));
    const sc = run(['gate', 'schema.json']);
    expect(sc.code).toBe(2);
    expect(sc.err).toContain("invalid results file schema.json (wrong schema):\n  schema: 'mdcache.results/v0'; expected 'mdcache.results/v1'");
  });

  it('--gates FILE: custom gates; config errors list every problem (exit 2)', () => {
    writeFileSync(join(dir, 'gates.yaml'), 'gates:\n  - { metric: cached.fetch_md_ms.p95, op: "<=", value: 35 }\n  - cached.cache.stale_ratio < 0.3\n');
    const ok = run(['gate', 'results-pass.json', '--gates', 'gates.yaml', '--json']);
    expect(ok.code).toBe(0);
    const ev = JSON.parse(ok.out);
    expect(ev.verdict).toBe('pass');
    expect(ev.gates.map((g: { name: string }) => g.name)).toEqual(['cached.fetch_md_ms.p95 <= 35', 'cached.cache.stale_ratio < 0.3']);
    writeFileSync(join(dir, 'bad-gates.yaml'), 'gates:\n  - { metric: cached.foo, op: "<=", value: 1 }\n  - { metric: cached.ticks, op: "~" }\n');
    const bad = run(['gate', 'results-pass.json', '--gates', 'bad-gates.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("gates[0].metric: 'cached.foo' is not a known metric");
    expect(bad.err).toContain('valid: {uncached,cached}.{fetch_md_ms,tick_total_ms}');
    expect(bad.err).toContain("gates[1].op: '~' is not allowed; use one of: <, <=, >, >=, ==, !=");
    expect(bad.err).toContain('gates[1].value: missing; a number is required');
    expect(run(['gate', 'results-pass.json', '--gates', 'nope.yaml'])).toMatchObject({ code: 2, err: 'mdcache: gates file not found: nope.yaml\n' });
  });

  it('appends the Markdown summary to $GITHUB_STEP_SUMMARY', () => {
    const f = join(dir, 'step-summary.md');
    writeFileSync(f, '# earlier step\n');
    run(['gate', 'results-pass.json'], { GITHUB_STEP_SUMMARY: f });
    run(['gate', 'results-fail.json'], { GITHUB_STEP_SUMMARY: f });
    const s = readFileSync(f, 'utf8');
    expect(s.startsWith('# earlier step\n### mdcache gates: steady — ✅ PASS')).toBe(true);
    expect(s).toContain('### mdcache gates: volatile — ❌ FAIL');
  });
});

describe('mdcache report', () => {
  it('writes report.md beside results.json, with the SVGs', () => {
    const r = run(['report', 'results-inconclusive.json']);
    expect(r.code).toBe(0);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/^# mdcache bench: borderline\n\n## ⚠️ INCONCLUSIVE/);
    for (const f of ['fetch_md-spectrum.svg', 'tick_total-spectrum.svg', 'fetch_md-p95-windows.svg', 'hit-ratio-windows.svg']) parseXml(readFileSync(join(dir, f), 'utf8'));
    expect(r.out.split('\n')[0]).toBe(join(dir, 'report.md'));
  });
  it('--out FILE puts the report and charts elsewhere; exit 2 on a missing file', () => {
    expect(run(['report', 'results-fail.json', '--out', 'elsewhere/r.md']).code).toBe(0);
    expect(readdirSync(join(dir, 'elsewhere'))).toContain('r.md');
    expect(readdirSync(join(dir, 'elsewhere'))).toContain('hit-ratio-windows.svg');
    expect(run(['report', 'nope.json']).code).toBe(2);
  });
});

describe('mdcache compare', () => {
  it('prints the side-by-side table and writes compare.md', () => {
    const r = run(['compare', 'results-pass.json', 'results-fail.json']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/cached\s+│ fetch_md p95\s+│\s+[\d.]+ ms │\s+[\d.]+ ms │\s+\+[\d.]+ ms \(\+[\d.]+ %\)/);
    const md = readFileSync(join(dir, 'compare.md'), 'utf8');
    expect(md).toContain('# mdcache compare');
    expect(md).toContain('| ~ |');
    const o = run(['compare', 'results-pass.json', 'results-pass.json', '--out', 'same.md']);
    expect(o.code).toBe(0);
    expect(readFileSync(join(dir, 'same.md'), 'utf8').match(/\| ~ \|/g)).toHaveLength(23); // 15 latency/cache rows + 4 REST rows per path
    expect(run(['compare', 'results-pass.json', 'nope.json']).code).toBe(2);
    expect(run(['compare', 'results-pass.json', 'results-fail.json', '--alpha', '2']).code).toBe(2);
  });
});
