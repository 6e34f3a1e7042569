/**
 * Canary by process (canary.unit: process | symbol), virtual time, the real simulator: step shares are shares
 * of processes; the rest are the control; one process and one symbol falls back to a shadow control and says so.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from '../../src/core/errors.js';
import { canaryProcessCount, canaryUnit, runCanary, type CanaryResults } from '../../src/ops/canary.js';
import { parseProdConfig } from '../../src/ops/prod-config.js';
import { renderCanaryMarkdown } from '../../src/report/canary.js';

const RUN = { id: 'canary-unit', command: 'mdcache canary (test)', version: '0.0.0-test', host: 'test-host' };
const BASE = { source: { type: 'synthetic', scenario: 'baseline', seed: 11 }, md_cache: { ttl_ms: 400, stale_ok: true, max_stale_ms: 2000 }, canary: { steps: [10, 50, 100], step_duration: '10s', window: '2s' } };
const canary = (extra: Record<string, unknown>): Promise<CanaryResults> => runCanary({ config: parseProdConfig({ ...BASE, ...extra, canary: { ...BASE.canary, ...((extra.canary as object) ?? {}) } }), run: RUN });
const strip = (c: CanaryResults): unknown => ({ ...c, run: null });

describe('canaryProcessCount', () => {
  it('10 % of 10 processes is 1, 50 % is 5, 100 % is all; at least one process for any share > 0', () => {
    expect([10, 50, 100].map((s) => canaryProcessCount(10, s))).toEqual([1, 5, 10]);
    expect(canaryProcessCount(3, 1)).toBe(1);
    expect(canaryProcessCount(3, 34)).toBe(2);
    expect(canaryProcessCount(8, 0)).toBe(0);
  });

  it('grows with the share, stays in [1, N], is N exactly at 100 % (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), (n, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const x = canaryProcessCount(n, lo);
        expect(x).toBeGreaterThanOrEqual(1);
        expect(x).toBeLessThanOrEqual(canaryProcessCount(n, hi));
        expect(canaryProcessCount(n, 100)).toBe(n);
        expect(x).toBeGreaterThanOrEqual((lo * n) / 100 - 1e-9);
      }),
    );
  });
});

describe('canary.unit', () => {
  it('defaults to process with fleet.processes > 1, else symbol; an explicit unit wins', () => {
    expect(canaryUnit(parseProdConfig({ fleet: { processes: 4 } }))).toBe('process');
    expect(canaryUnit(parseProdConfig({}))).toBe('symbol');
    expect(canaryUnit(parseProdConfig({ fleet: { processes: 1 } }))).toBe('symbol');
    expect(canaryUnit(parseProdConfig({ fleet: { processes: 4 }, canary: { unit: 'symbol' } }))).toBe('symbol');
  });

  it('a bad unit or a bad fleet is one problem each (exit 2)', () => {
    let err: unknown;
    try {
      parseProdConfig({ canary: { unit: 'proces' }, fleet: { processes: 0 } }, 'prod.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msgs = (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
    expect(msgs).toEqual([expect.stringMatching(/^canary\.unit: 'proces' is not allowed \(did you mean 'process'\?\); use one of: process, symbol$/), expect.stringMatching(/^fleet\.processes: 0 is out of range \[1, 256\]/)]);
  });

  it('10 processes: step shares are shares of processes (1, 5, 10 run the cache; the rest are the control)', async () => {
    const c = await canary({ fleet: { processes: 10 } });
    expect(c.unit).toBe('process');
    expect(c.processes).toBe(10);
    expect(c.notices).toEqual([]);
    const s = c.steps;
    expect(s[0]!.canary_processes).toEqual([0]);
    expect(s[0]!.control_processes).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s[0]!.shadow_control).toBe(false);
    // Every process quotes every symbol at the same rate: 1 canary process ticks about a ninth of what 9 control processes do.
    const r = s[0]!.metrics.canary_ticks / s[0]!.metrics.control_ticks;
    expect(r).toBeGreaterThan(0.09);
    expect(r).toBeLessThan(0.13);
    if (s.length >= 2) {
      expect(s[1]!.canary_processes).toEqual([0, 1, 2, 3, 4]);
      const r2 = s[1]!.metrics.canary_ticks / s[1]!.metrics.control_ticks;
      expect(r2).toBeGreaterThan(0.9);
      expect(r2).toBeLessThan(1.1);
    }
    if (s.length === 3) {
      expect(s[2]!.canary_processes).toHaveLength(10);
      expect(s[2]!.control_processes).toEqual([]);
      expect(s[2]!.shadow_control).toBe(true);
      expect(s[2]!.metrics.canary_ticks).toBe(s[2]!.metrics.control_ticks);
    }
    const md = renderCanaryMarkdown(c);
    expect(md).toMatch(/10 processes quote every symbol, each with its own cache/);
    expect(md).toMatch(/\| 1 \| 10[ \u00a0]% \| 1 \/ 9 \|/);
    expect(md).toMatch(/Canary processes: p0 \(of 10\)/);
    // Deterministic in virtual time.
    expect(strip(await canary({ fleet: { processes: 10 } }))).toEqual(strip(c));
  }, 120_000);

  it('one process and one symbol: says so and falls back to a shadow control at every step', async () => {
    const c = await canary({});
    expect(c.unit).toBe('symbol');
    expect(c.processes).toBe(1);
    expect(c.notices).toEqual([expect.stringMatching(/^one process and one symbol \(BTCUSDT\): no symbol to split.*shadow-style/)]);
    for (const s of c.steps) expect(s.shadow_control).toBe(true);
    expect(renderCanaryMarkdown(c)).toMatch(/ℹ️ one process and one symbol/);
    const p = await canary({ canary: { unit: 'process' } });
    expect(p.notices).toEqual([expect.stringMatching(/no process to split/)]);
    for (const s of p.steps) expect(s.shadow_control).toBe(true);
  }, 60_000);

  it('unit symbol with several processes: every process routes the same symbols (all processes, shadow with one symbol)', async () => {
    const c = await canary({ fleet: { processes: 3 }, canary: { unit: 'symbol' } });
    expect(c.unit).toBe('symbol');
    expect(c.notices).toEqual([expect.stringMatching(/canary\.unit symbol with one symbol \(BTCUSDT\).*use canary\.unit: process/)]);
    for (const s of c.steps) expect(s.shadow_control).toBe(true);
    expect(c.steps[0]!.canary_processes).toBeUndefined();
  }, 60_000);
});
