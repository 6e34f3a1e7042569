/** Fleet simulation (virtual time): N processes with and without the simulated shared tier, same draws. */
import { describe, it, expect } from 'vitest';
import { runFleet } from '../../src/sim/fleet.js';
import { parseBenchScenario, loadBenchScenario } from '../../src/sim/bench-scenario.js';
import { withSymbolCount } from '../../src/scenario/scenario.js';
import { FLEET_SHARED_DEFAULTS } from '../../src/sim/fleet-config.js';
import { ConfigError } from '../../src/core/errors.js';

describe('fleet simulation', () => {
  it('4 processes × 3 symbols: the shared tier cuts the fleet REST weight, no caller error, deterministic', async () => {
    const bench = loadBenchScenario('baseline');
    const scenario = withSymbolCount(bench.scenario, 3);
    const run = () => runFleet({ bench, scenario, seed: 7, durationMs: 20_000, windowMs: 5000, fleet: { processes: 4, shared: { ...FLEET_SHARED_DEFAULTS } } });
    const a = await run();
    expect(a.processes).toBe(4);
    expect(a.per_process).toHaveLength(4);
    expect(a.rest_l1_only!.requests).toBeGreaterThan(0);
    // each process alone refreshes ~5 times/s/symbol (ticks every 200 ms > ttl 100 ms); shared: ~1 fleet refresh per ~120 ms
    expect(a.weight_ratio).toBeLessThan(0.35);
    expect(a.rest.requests).toBe(a.per_process.reduce((n, p) => n + p.rest.requests, 0));
    expect(a.per_process.every((p) => p.errors === 0)).toBe(true);
    expect(a.per_process.reduce((n, p) => n + (p.l2_hits ?? 0), 0)).toBeGreaterThan(0);
    const b = await run();
    expect(b).toEqual(a);
  });

  it('an outage of the shared tier: the fleet falls back (more REST), callers see no error', async () => {
    const bench = loadBenchScenario('baseline');
    const scenario = withSymbolCount(bench.scenario, 2);
    const faults = { outages: [{ at_ms: 5000, for_ms: 5000, mode: 'hang' as const, restart: true }], slow: [] };
    const calm = await runFleet({ bench, scenario, seed: 3, durationMs: 20_000, windowMs: 5000, fleet: { processes: 3, shared: { ...FLEET_SHARED_DEFAULTS } } });
    const out = await runFleet({ bench, scenario, seed: 3, durationMs: 20_000, windowMs: 5000, fleet: { processes: 3, shared: { ...FLEET_SHARED_DEFAULTS, faults } } });
    expect(out.per_process.every((p) => p.errors === 0)).toBe(true);
    expect(out.per_process.every((p) => (p.fallbacks ?? 0) >= 1)).toBe(true);
    expect(out.rest.requests).toBeGreaterThan(calm.rest.requests);
    expect(out.rest.requests).toBeLessThan(out.rest_l1_only!.requests);
  });

  it('scenario fleet: block is validated (processes: 0, unknown keys, bad faults → one error each)', () => {
    const base = { name: 'f', symbols: [{ symbol: 'BTCUSDT', tick_size: '0.01', price: '100.00' }] };
    const ok = parseBenchScenario({ ...base, fleet: { processes: 8, shared: { latency: { model: 'constant', ms: 1 }, faults: { outages: [{ at_ms: 10, for_ms: 5, mode: 'hang' }] } } } });
    expect(ok.fleet?.processes).toBe(8);
    expect(ok.fleet?.shared?.faults.outages[0]).toEqual({ at_ms: 10, for_ms: 5, mode: 'hang', restart: false });
    let err: unknown;
    try {
      parseBenchScenario({ ...base, fleet: { processes: 0, shared: { leese_ms: 1, faults: { outages: [{ mode: 'gone' }] } } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^fleet\.processes: 0 is out of range \[1, 256\]/),
        expect.stringMatching(/^fleet\.shared\.leese_ms: unknown key/),
        expect.stringMatching(/^fleet\.shared\.faults\.outages\[0\]\.mode: /),
      ]),
    );
  });
});
