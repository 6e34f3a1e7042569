/**
 * shadow and canary with `source: { type: binance }` in prod.yaml: the real CLI (child process) against the
 * loopback exchange (in-process, real sockets). The cached path refreshes over REST and is invalidated by
 * the WebSocket feed.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '../../src/core/clock.js';
import { startExchange, type Exchange } from '../../src/exchange/server.js';
import { loadScenario } from '../../src/scenario/scenario.js';
import { start } from '../helpers/cli.js';

const open: Exchange[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

const runCli = (args: string[]) => start(args, process.cwd()).exited.then((r) => ({ code: r.code, stdout: r.out, stderr: r.err }));

async function liveConfig(): Promise<{ file: string; dir: string }> {
  const ex = await startExchange({ scenario: loadScenario('baseline'), clock: new RealClock() });
  open.push(ex);
  const dir = mkdtempSync(join(tmpdir(), 'mdcache-ops-live-'));
  const file = join(dir, 'prod.yaml');
  writeFileSync(
    file,
    [
      `source: { type: binance, rest_url: "${ex.restUrl}", ws_url: "${ex.wsUrl}", symbols: [BTCUSDT], scenario: baseline }`,
      'shadow: { window: 1s }',
      'canary: { window: 1s }',
      '',
    ].join('\n'),
  );
  return { file, dir };
}

describe('shadow and canary over the network (source: binance)', () => {
  it('shadow compares the candidate with the control on live ticks', async () => {
    const { file, dir } = await liveConfig();
    const out = join(dir, 'shadow');
    const r = await runCli(['shadow', '--config', file, '--duration', '6s', '--metrics-port', '0', '--out', out, '--no-progress', '--no-gate']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.run.clock).toBe('real');
    expect(results.scenario.source).toBe('binance');
    expect(results.shadow.compared).toBeGreaterThan(10);
    expect(results.paths.cached.cache.gets).toBeGreaterThan(10);
    expect(results.paths.cached.cache.hit_ratio).toBeGreaterThan(0.5);
    expect(existsSync(join(out, 'report.md'))).toBe(true);
  });

  it('canary promotes through its steps on live data', async () => {
    const { file, dir } = await liveConfig();
    const out = join(dir, 'canary');
    const r = await runCli(['canary', '--config', file, '--steps', '50,100', '--step-duration', '10s', '--out', out, '--no-progress']);
    expect(r.stderr).not.toMatch(/internal error/);
    const c = JSON.parse(readFileSync(join(out, 'canary.json'), 'utf8'));
    expect(c.run.clock).toBe('real');
    expect(c.steps.length).toBeGreaterThanOrEqual(1);
    expect(c.steps[0].metrics.canary_ticks).toBeGreaterThan(5);
    expect(c.outcome).toBe('promoted');
    expect(r.code).toBe(0);
  });
});
