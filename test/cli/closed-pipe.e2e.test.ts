/** `mdcache … | head`: a reader that closes stdout early must not turn a run into an EPIPE crash. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the CLI with stdout a pipe that is closed as soon as the first byte arrives (what `| head -c1` does). */
function runWithStdoutClosedEarly(args: string[], cwd: string): Promise<{ code: number | null; err: string; bytes: number }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' } });
  let err = '';
  let bytes = 0;
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  child.stdout.once('data', (c: Buffer) => {
    bytes = c.length;
    child.stdout.destroy();
  });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done({ code, err, bytes }));
  });
}

describe('stdout closed by the reader', () => {
  it('--help exits 0 without a stack trace', async () => {
    const r = await runWithStdoutClosedEarly(['--help'], tmpdir());
    expect(r.bytes).toBeGreaterThan(0);
    expect(r.err).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(r.code).toBe(0);
  });

  it('a bench still writes its report and exits with its gate verdict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdcache-pipe-'));
    dirs.push(dir);
    const out = join(dir, 'run');
    const r = await runWithStdoutClosedEarly(['bench', '--duration', '2m', '--out', out], dir);
    expect(r.err).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(r.code === 0 || r.code === 1).toBe(true);
    expect(existsSync(join(out, 'results.json'))).toBe(true);
    expect(existsSync(join(out, 'report.md'))).toBe(true);
  });
});
