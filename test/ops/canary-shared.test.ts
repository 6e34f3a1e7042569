/**
 * Canary by process over a shared tier (prod.yaml `fleet.shared`): the canary processes' caches share one
 * simulated L2 (src/ops/process-shared.ts), the same SharedTier code as Redis and bench's fleet simulation.
 * Virtual time, the real simulator, nothing mocked: the same seed gives the same ticks with and without the
 * tier, so the REST weight difference is the tier's doing.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { SimServer } from '../../src/cache/shared/sim-store.js';
import type { StoreEvent } from '../../src/cache/shared/types.js';
import { runCanary, type CanaryResults } from '../../src/ops/canary.js';
import { parseProdConfig } from '../../src/ops/prod-config.js';
import { processKeyedStore } from '../../src/ops/process-shared.js';
import { renderCanaryMarkdown } from '../../src/report/canary.js';

const RUN = { id: 'canary-shared', command: 'mdcache canary (test)', version: '0.0.0-test', host: 'test-host' };
const BASE = { source: { type: 'synthetic', scenario: 'baseline', seed: 11 }, md_cache: { ttl_ms: 400, stale_ok: true, max_stale_ms: 2000 }, canary: { unit: 'process', steps: [50, 100], step_duration: '10s', window: '2s' } };
const canary = (fleet: Record<string, unknown>): Promise<CanaryResults> => runCanary({ config: parseProdConfig({ ...BASE, fleet }), run: RUN });

describe('canary by process with fleet.shared', () => {
  it('4 processes: the canary processes share one L2, so the canary sends a fraction of the REST weight on the same ticks', async () => {
    const own = await canary({ processes: 4 });
    const shared = await canary({ processes: 4, shared: { latency: { model: 'constant', ms: 0.3 } } });
    expect(own.steps).toHaveLength(2);
    expect(shared.steps).toHaveLength(2);
    expect(own.shared).toBeUndefined();
    expect(shared.shared!.l2_hits).toBeGreaterThan(0);
    expect(shared.shared!.lease_wins).toBeGreaterThan(0);
    expect(shared.shared!.errors).toBe(0);
    expect(shared.scenario.fleet_shared).toMatchObject({ lease_ms: 250 });
    const weights = [own, shared].map((c) => c.steps.map((s) => s.metrics.canary_rest_weight));
    for (const [i, s] of shared.steps.entries()) {
      const o = own.steps[i]!;
      // The same processes and ticks either way (routing and arrivals do not depend on the tier).
      expect(s.canary_processes).toEqual(o.canary_processes);
      expect(s.metrics.canary_ticks).toBe(o.metrics.canary_ticks);
      expect(o.metrics.canary_rest_weight).toBeGreaterThan(0);
    }
    // Step 1 (2 of 4 processes): the two share one refresh per symbol per TTL period instead of one each,
    // at most about half; step 2 (all 4): about a quarter. Measured (seed 11): see the README.
    expect(weights[1]![0]!, JSON.stringify(weights)).toBeLessThan(0.65 * weights[0]![0]!);
    expect(weights[1]![1]!, JSON.stringify(weights)).toBeLessThan(0.4 * weights[0]![1]!);
    const md = renderCanaryMarkdown(shared);
    expect(md).toMatch(/## Shared tier \(simulated, `fleet\.shared`\)/);
    expect(md).toContain(`Canary REST: ${shared.steps[1]!.metrics.canary_rest_requests} snapshot requests, weight ${weights[1]![1]}.`);
    expect(renderCanaryMarkdown(own)).not.toMatch(/Shared tier/);
  }, 60_000);

  it('fleet.shared has no effect with one process, and is absent unless written out in prod.yaml', async () => {
    expect(parseProdConfig({ fleet: { processes: 4 } }).fleet!.shared).toBeUndefined();
    expect(parseProdConfig({ fleet: { processes: 4, shared: {} } }).fleet!.shared).toMatchObject({ lease_ms: 250, command_timeout_ms: 50 });
    const one = await runCanary({ config: parseProdConfig({ ...BASE, canary: { ...BASE.canary, unit: 'symbol' }, fleet: { processes: 1, shared: {} } }), run: RUN });
    expect(one.shared).toBeUndefined();
  }, 60_000);

  it('a real-clock canary does not use the simulated tier and says so', async () => {
    const ac = new AbortController();
    ac.abort(); // the notices are settled before the first step; nothing needs to run
    const c = await runCanary({ config: parseProdConfig({ ...BASE, fleet: { processes: 4, shared: {} } }), realtime: true, signal: ac.signal, run: RUN });
    expect(c.shared).toBeUndefined();
    expect(c.notices).toContain('fleet.shared is a simulated tier, used in virtual time only: this real-clock canary runs each process with its own cache');
  });
});

describe('processKeyedStore', () => {
  it('maps every process key to the symbol: one lease and one book for the fleet; notices reach every process, the origin sees its own', async () => {
    const clock = new VirtualClock(0);
    const server = new SimServer(clock);
    const store = processKeyedStore(server.client(() => 1), 3);
    const events: StoreEvent[] = [];
    store.subscribe(
      (e) => events.push(e),
      () => {},
    );
    const settle = async <T>(p: Promise<T>): Promise<T> => {
      await clock.advance(5);
      return p;
    };
    const { epoch } = await settle(store.read('p0/BTCUSDT'));
    expect(await settle(store.acquire('p0/BTCUSDT', 't0', 100))).toBe(true);
    expect(await settle(store.acquire('p2/BTCUSDT', 't2', 100))).toBe(false); // one lease per symbol
    expect(await settle(store.write('p0/BTCUSDT', epoch, new Uint8Array([1, 2, 3]), 10, 0, 10_000, 'canary'))).toBe(true);
    const r = await settle(store.read('p2/BTCUSDT'));
    expect(r.book?.bytes).toEqual(new Uint8Array([1, 2, 3]));
    expect(events.filter((e) => e.type === 'written').map((e) => e.symbol)).toEqual(['p0/BTCUSDT', 'p1/BTCUSDT', 'p2/BTCUSDT']);
    events.length = 0;
    await settle(store.invalidate('p1/BTCUSDT', 'canary'));
    expect(events.map((e) => [e.type, e.symbol, e.origin])).toEqual([
      ['invalidated', 'p0/BTCUSDT', 'canary#p1'],
      ['invalidated', 'p1/BTCUSDT', 'canary'],
      ['invalidated', 'p2/BTCUSDT', 'canary#p1'],
    ]);
    // The epoch moved for every process: a write begun before the invalidation is refused.
    expect(await settle(store.write('p2/BTCUSDT', epoch, new Uint8Array([9]), 10, 0, 10_000, 'canary'))).toBe(false);
    expect((await settle(store.read('p0/BTCUSDT'))).book).toBeUndefined();
    await store.close();
  });
});
