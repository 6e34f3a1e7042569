/**
 * End-to-end regression tests of issue #15's CLI defects (5–14, 21, 22, 24–26, 28, 29): the built CLI as a
 * child process. Bad input exits 2 with one clear line before anything runs; stopped runs exit 1 promptly and
 * leave no temp files.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, start, waitForOutput, type Ran } from '../helpers/cli.js';

let dir: string;
const run = (args: string[], cwd = dir): Promise<Ran> => start(args, cwd).exited;
const PROD = join(ROOT, 'examples', 'prod.yaml');

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-robust-e2e-'));
}, 60_000);

/** Exit 2, one `mdcache: …` line on stderr matching `re`, nothing on stdout, no output folder. */
async function refused(args: string[], re: RegExp): Promise<void> {
  const r = await run(args);
  expect(r.err, args.join(' ')).toMatch(re);
  expect(r.code, args.join(' ')).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).not.toMatch(/internal error|\n\s+at /);
}

describe('bad input is refused before the run (exit 2)', () => {
  it('conflicting bench flags (#15.7) and --junit with --no-gate (#15.26)', async () => {
    writeFileSync(join(dir, 'r.jsonl'), '');
    await refused(['bench', '--source', 'replay:r.jsonl', '--symbols', '5', '--out', 'x1'], /^mdcache: --symbols conflicts with --source replay:r\.jsonl/);
    await refused(['bench', '--rest-url', 'http://127.0.0.1:1', '--out', 'x2'], /^mdcache: --rest-url only applies to --source binance/);
    await refused(['bench', '--junit', 'j.xml', '--no-gate', '--out', 'x3'], /^mdcache: --junit conflicts with --no-gate/);
    await refused(['bench', '--junit', dir, '--duration', '1m', '--out', 'x4'], /^mdcache: --junit: cannot write .*: it is a directory/);
    for (const d of ['x1', 'x2', 'x3', 'x4']) expect(existsSync(join(dir, d))).toBe(false);
  });

  it('runs that cannot finish: duration, windows, symbols, unwritable output (#15.6, #15.10, #15.21)', async () => {
    await refused(['bench', '--duration', '99999h', '--out', 'y1'], /^mdcache: --duration: 99999h is too long; a run simulates at most 24h/);
    await refused(['bench', '--duration', '1m', '--window', '1ms', '--out', 'y2'], /^mdcache: --window: 1ms makes 60000 windows; a run has at most 1000/);
    await refused(['bench', '--scenario', 'many-symbols', '--symbols', '100000', '--out', 'y3'], /^mdcache: --symbols: invalid value '100000', expected a whole number in \[1, 10000\]/);
    await refused(['bench', '--duration', '1m', '--out', '/proc/foo'], /^mdcache: cannot write \/proc\/foo: /);
    await refused(['bench', '--symbols', '1.5', '--out', 'y4'], /^mdcache: --symbols: invalid value '1\.5', expected a whole number/);
  });

  it('a YAML alias bomb is exit 2, not an internal error (#15.8)', async () => {
    const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [p, n] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg']) rows.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(',')}]`);
    writeFileSync(join(dir, 'bomb.yaml'), rows.join('\n') + '\ngates: [*g]\n');
    await refused(['config', 'validate', 'bomb.yaml'], /too many alias expansions/);
    await refused(['bench', '--gates', 'bomb.yaml', '--out', 'z1'], /too many alias expansions/);
  });

  it('canary: fractional shares and steps too short to decide (#15.14)', async () => {
    await refused(['canary', '--config', PROD, '--steps', '0.5,100', '--out', 'c1'], /^mdcache: --steps: 0\.5 is not a traffic share; use whole percentages in \[1, 100\]/);
    await refused(['canary', '--config', PROD, '--step-duration', '1ms', '--out', 'c2'], /^mdcache: --step-duration: 1ms is too short; a step needs at least 10s/);
  });

  it('gates: [] is refused: it would pass with nothing checked (#15.26)', async () => {
    writeFileSync(join(dir, 'nogates.yaml'), 'gates: []\n');
    await refused(['bench', '--gates', 'nogates.yaml', '--out', 'g1'], /gates: is empty: no gate would be checked/);
  });

  it('replays: a crossed snapshot names its line; a run longer than the recording is refused (#15.12, #15.28)', async () => {
    const gen = await run(['generate', '--scenario', 'baseline', '--duration', '20s', '--out', 'base.jsonl']);
    expect(gen.code).toBe(0);
    const lines = readFileSync(join(dir, 'base.jsonl'), 'utf8').split('\n');
    const snap = JSON.parse(lines[1]!);
    snap.bids[0][0] = snap.asks[0][0];
    writeFileSync(join(dir, 'crossed.jsonl'), [lines[0], JSON.stringify(snap), ...lines.slice(2)].join('\n'));
    await refused(['bench', '--source', 'replay:crossed.jsonl', '--out', 'r1'], /line 2: the snapshot of \w+ is crossed/);
    await refused(['bench', '--source', 'replay:base.jsonl', '--duration', '30m', '--out', 'r2'], /^mdcache: --duration: 30m is longer than the replay \(20s recorded in base\.jsonl\)/);
  });
});

describe('mdcache exchange: bind failures are exit 2 with the reason (#15.13)', () => {
  let busy: Server;
  afterAll(() => busy?.close());

  it('a port in use and a host that does not resolve', async () => {
    busy = createServer();
    await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', ok));
    const port = (busy.address() as { port: number }).port;
    await refused(['exchange', '--port', String(port), '--duration', '1s'], new RegExp(`^mdcache: --port: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
    await refused(['exchange', '--host', 'nonexistent.invalid', '--duration', '1s'], /^mdcache: --host: cannot listen on nonexistent\.invalid:0: /);
  });
});

describe('config validate takes every file the commands read (#15.9, #15.29)', () => {
  it('a shipped scenario validates as a scenario; prod.yaml shows the enabled cache its runs use', async () => {
    const s = await run(['config', 'validate', join(ROOT, 'scenarios', 'flaky-ws.yaml'), '--json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.out)).toMatchObject({ name: 'flaky-ws', seed: 1234, duration_ms: 1_800_000, md_cache: { enabled: true } });
    const p = await run(['config', 'validate', PROD]);
    expect(p.code).toBe(0);
    expect(p.out).toMatch(/^# .*prod\.yaml: valid, an operations config/);
    expect(p.out).toMatch(/md_cache:\n {2}enabled: true\n/);
  });
});

describe('an interrupted run never passes (#15.11, #15.24) and stops promptly (#15.5, #15.22)', () => {
  it('gate on the results of an interrupted run exits 1', async () => {
    const res = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'results-pass.json'), 'utf8'));
    expect((await run(['gate', join(ROOT, 'test', 'fixtures', 'results-pass.json')])).code).toBe(0);
    res.run.interrupted = true;
    writeFileSync(join(dir, 'interrupted.json'), JSON.stringify(res));
    const r = await run(['gate', 'interrupted.json']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/interrupted\.json is an interrupted run .*never a pass/);
  });

  it('SIGTERM on a 24h virtual bench stops it at once, writes what ran (results.json last) and exits 1', async () => {
    const running = start(['bench', '--duration', '24h', '--out', 'long', '--no-progress'], dir);
    await waitForOutput(running, /simulating 24h of baseline/);
    const t0 = performance.now();
    running.child.kill('SIGTERM');
    const r = await running.exited;
    const stopMs = performance.now() - t0;
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/interrupted after .* of 24h/);
    expect(stopMs).toBeLessThan(10_000); // measured ~1-2 s on a loaded 2-core machine (was: never)
    const res = JSON.parse(readFileSync(join(dir, 'long', 'results.json'), 'utf8'));
    expect(res.run.interrupted).toBe(true);
    expect(res.duration_ms).toBeLessThan(24 * 3_600_000);
    // Paths as given: the "wrote" line is relative like --out (#15.29).
    expect(r.out).toMatch(/\nwrote long\/results\.json, long\/report\.md \(/);
    expect(readdirSync(join(dir, 'long')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('an interrupted canary (halted) exits 1', async () => {
    const running = start(['canary', '--config', PROD, '--realtime', '--steps', '10,100', '--step-duration', '10s', '--out', 'can', '--no-progress'], dir);
    await waitForOutput(running, /on the real clock/);
    running.child.kill('SIGTERM');
    const r = await running.exited;
    expect(r.code).toBe(1);
    const c = JSON.parse(readFileSync(join(dir, 'can', 'canary.json'), 'utf8'));
    expect(c.outcome).toBe('halted');
    expect(c.run.interrupted).toBe(true);
  }, 60_000);

  it('an interrupted generate leaves no temp file behind (#15.25)', async () => {
    const out = join(dir, 'gen');
    mkdirSync(out);
    const tmpSeen = new Promise<void>((ok) => {
      const w = watch(out, (_e, name) => {
        if (name && String(name).endsWith('.tmp')) {
          w.close();
          ok();
        }
      });
    });
    const running = start(['generate', '--scenario', 'many-symbols', '--duration', '24h', '--out', join(out, 'big.jsonl')], dir);
    await tmpSeen;
    running.child.kill('SIGINT');
    const r = await running.exited;
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/generate stopped by SIGINT; nothing written/);
    expect(readdirSync(out)).toEqual([]);
  }, 60_000);

  it('a run that fails before writing leaves no empty report folder (#15.29)', async () => {
    const r = await run(['bench', '--source', 'binance', '--rest-url', 'http://127.0.0.1:1', '--ws-url', 'ws://127.0.0.1:1', '--symbols', 'BTCUSDT', '--duration', '10s', '--out', 'gone/x']);
    expect(r.code).toBe(2);
    expect(existsSync(join(dir, 'gone'))).toBe(false);
  });
});
