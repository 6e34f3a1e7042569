import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openReplay } from '../../src/market/jsonl.js';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/mdcache.js');
const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });

describe('mdcache generate (child process)', () => {
  beforeAll(() => {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  }, 120_000);

  it('writes a deterministic JSONL stream atomically that replays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdgen-'));
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'sub/b.jsonl');
    const r1 = run(['generate', '--scenario', 'flaky-ws', '--duration', '20s', '--seed', '7', '--out', a]);
    expect(r1.status).toBe(0);
    expect(r1.stderr).toMatch(/wrote .*a\.jsonl: \d+ events/);
    const r2 = run(['generate', '--scenario', join(root, 'scenarios/flaky-ws.yaml'), '--duration', '20s', '--seed', '7', '--out', b]);
    expect(r2.status).toBe(0);
    const text = readFileSync(a, 'utf8');
    expect(readFileSync(b, 'utf8') === text).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'header', format: 'mdcache-events/1', scenario: 'flaky-ws', seed: 7, duration_ms: 20_000 });
    expect(lines[1].type).toBe('snapshot');
    expect(lines.at(-1).type).toBe('end');
    expect(lines.some((l) => l.fate === 'seq_gap')).toBe(true);
    const replay = openReplay(a);
    replay.advanceTo(20_000);
    expect(replay.stats().events).toBe(lines.at(-1).events);
    const r3 = run(['generate', '--scenario', 'baseline', '--duration', '5s', '--symbols', '3', '--out', join(dir, 'c.jsonl')]);
    expect(r3.status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'c.jsonl'), 'utf8').split('\n')[0]!).symbols.length).toBe(3);
  }, 60_000);

  it('bad flags and inputs exit 2 naming the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdgen-'));
    const out = join(dir, 'x.jsonl');
    let r = run(['generate', '--scenario', 'baseline', '--duration', '10 minutes', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--duration: invalid duration '10 minutes'/);
    r = run(['generate', '--scenario', 'baselin', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown scenario 'baselin' \(did you mean 'baseline'\?\)/);
    r = run(['generate', '--scenario', 'baseline', '--seed', 'x', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--seed: invalid value 'x'/);
    r = run(['generate', '--scenario', 'baseline']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
