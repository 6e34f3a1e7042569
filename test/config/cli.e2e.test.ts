/** End-to-end: the built CLI (`node bin/mdcache.js`, needs `npm run build`) as a child process. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYamlText } from 'yaml';
import { MD_CACHE_DEFAULTS } from '../../src/config/md-cache.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/mdcache.js');
let dir: string;

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it via pretest)');
  dir = mkdtempSync(join(tmpdir(), 'mdcache-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mdcache config validate', () => {
  it('a valid file: exit 0 and the resolved config (defaults filled in) as YAML', () => {
    const f = file('ok.yaml', 'md_cache:\n  enabled: true\n  ttl_ms: 50\n');
    const r = run('config', 'validate', f);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(parseYamlText(r.stdout)).toEqual({ md_cache: { ...MD_CACHE_DEFAULTS, enabled: true, ttl_ms: 50 } });
  });

  it('--json prints the resolved config as JSON', () => {
    const f = file('ok2.yaml', 'md_cache:\n  max_symbols: 500\n  retry:\n    max_attempts: 4\n');
    const r = run('config', 'validate', f, '--json');
    expect(r.code).toBe(0);
    const cfg = JSON.parse(r.stdout);
    expect(cfg.md_cache.max_symbols).toBe(500);
    expect(cfg.md_cache.retry).toEqual({ max_attempts: 4, base_ms: 10, max_ms: 200 });
    expect(cfg.md_cache.ttl_ms).toBe(100);
  });

  it('an invalid file: exit 2, one line per problem on stderr, nothing on stdout', () => {
    const f = file('bad.yaml', 'md_cache:\n  ttl_ms: 5\n  max_depht: 10\n  stale_ok: "yes"\n  retry:\n    max_attempts: 0\n');
    const r = run('config', 'validate', f);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`mdcache: invalid ${f}:`);
    expect(lines.slice(1).map((l) => l.trim())).toEqual([
      expect.stringMatching(/^md_cache\.max_depht: unknown key \(did you mean 'max_depth'\?\)/),
      'md_cache.ttl_ms: 5 is out of range [10, 5000]',
      "md_cache.stale_ok: expected true or false, got 'yes'",
      'md_cache.retry.max_attempts: 0 is out of range [1, 20]',
    ]);
  });

  it('cache policies: an unknown policy and refresh_ahead_ms >= ttl_ms are one line each, exit 2', () => {
    const r = run('config', 'validate', file('pol.yaml', 'md_cache:\n  policy: lru\n  ttl_ms: 100\n  refresh_ahead_ms: 100\n'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n').slice(1).map((l) => l.trim())).toEqual([
      "md_cache.policy: 'lru' is not allowed; use one of: ttl, refresh_ahead, ws_book",
      'md_cache.refresh_ahead_ms: 100 must be < ttl_ms (100)',
    ]);
    const ok = run('config', 'validate', file('pol-ok.yaml', 'md_cache:\n  policy: refresh_ahead\n  ttl_ms: 100\n  refresh_ahead_ms: 70\n'));
    expect(ok.code).toBe(0);
    expect(parseYamlText(ok.stdout).md_cache).toMatchObject({ policy: 'refresh_ahead', refresh_ahead_ms: 70 });
  });

  it('cross-field problem: max_stale_ms below ttl_ms', () => {
    const r = run('config', 'validate', file('x.yaml', 'md_cache:\n  ttl_ms: 500\n  max_stale_ms: 100\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('md_cache.max_stale_ms: 100 must be >= ttl_ms (500)');
  });

  it('a missing file: exit 2 naming the file', () => {
    const r = run('config', 'validate', 'does-not-exist.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('mdcache: config file not found: does-not-exist.yaml\n');
  });

  it('a directory instead of a file: exit 2', () => {
    const r = run('config', 'validate', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a directory');
  });

  it('a YAML syntax error: exit 2 with line:column', () => {
    const f = file('syn.yaml', 'md_cache:\n  ttl_ms: 100\n  max_depth: [1\n');
    const r = run('config', 'validate', f);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`YAML syntax error at ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `));
  });

  it('a missing argument is a usage error (exit 2)', () => {
    const r = run('config', 'validate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required argument/);
  });
});

describe('mdcache config defaults', () => {
  it('prints a commented YAML config that validates to the defaults', () => {
    const r = run('config', 'defaults');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# mdcache default configuration/);
    expect(r.stdout).toContain('ttl_ms: 100');
    expect(r.stdout).toMatch(/max_stale_ms: 1000 +# hard bound/);
    expect(parseYamlText(r.stdout)).toEqual({ md_cache: MD_CACHE_DEFAULTS });
    const f = file('defaults.yaml', r.stdout);
    const v = run('config', 'validate', f, '--json');
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toEqual({ md_cache: MD_CACHE_DEFAULTS });
  });
});
