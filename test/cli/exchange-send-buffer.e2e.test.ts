/**
 * `mdcache exchange --max-send-buffer`: the slow-reader bound (library-tested in
 * test/exchange/slow-reader.e2e.test.ts) set from the CLI; bad values exit 2 with one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, start, type Running } from '../helpers/cli.js';

let dir: string;
const running: Running[] = [];

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-sendbuf-e2e-'));
}, 60_000);

afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGTERM');
  await Promise.all(running.map((r) => r.exited));
  rmSync(dir, { recursive: true, force: true });
});

describe('mdcache exchange --max-send-buffer', () => {
  it('bad values exit 2 with one line naming the flag, the value and what is allowed', async () => {
    for (const v of ['0', '1023', '-5', 'lots', '2147483648']) {
      const r = await start(['exchange', '--max-send-buffer', v, '--duration', '1s'], dir).exited;
      expect(r.code, v).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n'), v).toEqual([`mdcache: --max-send-buffer: invalid value '${v}', expected a whole number in [1024, 1073741824]`]);
    }
  });

  it('the bound reaches the exchange (default 4 MiB) and the stop line counts slow readers', async () => {
    for (const [args, bytes] of [[['--max-send-buffer', '65536'], 65536], [[], 4194304]] as const) {
      // stops by itself (no signal racing the handler's installation)
      const r = start(['exchange', '--port', '0', '--no-rest-faults', ...args, '--duration', '1s'], dir);
      running.push(r);
      const done = await r.exited;
      expect(done.out).toContain(`ws queue   ${bytes} bytes per client; a slower reader is dropped`);
      expect(done.code).toBe(0);
      expect(done.err).toMatch(/, 0 slow readers dropped, /);
    }
  });
});
