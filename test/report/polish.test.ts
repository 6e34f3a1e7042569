/** Report details found by rendering the report in a browser: time axis, legend placement, units, prices, .hlog start. */
import { describe, expect, it } from 'vitest';
import { renderCharts, timeAxis } from '../../src/report/charts.js';
import { renderLineChart } from '../../src/report/svg.js';
import { keepUnitsTogether } from '../../src/report/format.js';
import { renderShadowSections } from '../../src/report/shadow.js';
import { loadBenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench } from '../../src/sim/bench.js';
import type { Results, ShadowResult } from '../../src/results/types.js';
import { fixture } from '../gates/helpers.js';
import { findAll, parseXml } from './xml.js';

const withWindows = (r: Results, windowMs: number, n: number): Results => ({
  ...r,
  windows: { window_ms: windowMs, uncached: r.windows.uncached.slice(0, n).map((w, i) => ({ ...w, start_ms: i * windowMs })), cached: r.windows.cached.slice(0, n).map((w, i) => ({ ...w, start_ms: i * windowMs })) },
});

describe('report polish', () => {
  it('a 30 s run gets a time axis in seconds (not a lone "0"); long runs keep minutes', () => {
    const short = timeAxis(withWindows(fixture('pass'), 3000, 10), [...Array(10).keys()].map((i) => i * 3000));
    expect(short.label).toBe('time since start (s)');
    expect(short.ticks.map((t) => t.label)).toEqual(['0', '5', '10', '15', '20', '25', '30']);
    const long = timeAxis(fixture('pass'), fixture('pass').windows.cached.map((w) => w.start_ms));
    expect(long.label).toBe('time since start (min)');
    expect(long.ticks.length).toBeGreaterThanOrEqual(3);
    const svg = renderCharts(withWindows(fixture('pass'), 3000, 10))['hit-ratio-windows.svg']!;
    expect(svg).toContain('time since start (s)');
    expect(svg).toContain('>25</text>');
  });

  it('the legend sits above the plot, never over the data', () => {
    const svg = renderLineChart({ title: 't', subtitle: 's', xLabel: 'x', yLabel: 'y', xDomain: [0, 1], xTicks: [{ v: 0, label: '0' }], series: ['a long series name', 'b', 'c', 'another long series name', 'e'].map((name) => ({ name, color: '#000', points: [[0, 1], [1, 2]] })) });
    const root = parseXml(svg);
    const plotTop = Math.min(...findAll(root, 'line').filter((l) => l.attrs.x1 === '72' && l.attrs.x2 === '72').map((l) => Number(l.attrs.y1))); // the y axis
    const legend = findAll(root, 'g').find((g) => g.attrs.class === 'legend')!;
    const ys = findAll(legend, 'text').map((t) => Number(t.attrs.y));
    expect(ys).toHaveLength(5);
    for (const y of ys) expect(y).toBeLessThan(plotTop);
    for (const t of findAll(legend, 'text')) expect(Number(t.attrs.x)).toBeLessThan(760);
  });

  it('percent values never wrap apart from "%" in Markdown', () => {
    expect(keepUnitsTogether('| 96.5 % | [20.9, 43.0] % | -4.11 pp (-92.1 %) | 5 %s |')).toBe('| 96.5\u00a0% | [20.9, 43.0]\u00a0% | -4.11\u00a0pp (-92.1\u00a0%) | 5 %s |');
  });

  it("shadow's worst mismatches show prices in the instrument's decimals", () => {
    const p = { p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 };
    const s: ShadowResult = {
      compared: 10, tob_mismatch_ratio: 0.1, depth_mismatch_ratio: 0.1, compared_depth: 10, tob_mismatch_ticks: p, depth_mismatch_levels: p, candidate_staleness_ms: p,
      worst: [{ symbol: 'XRPUSDT', tick_size: '0.0001', at_ms: 1500, tob_mismatch_ticks: 3, depth_mismatches: 2, control: { bid: 6000, ask: 6001, update_id: 7 }, candidate: { bid: 5997, ask: 5998, update_id: 5, age_ms: 80, status: 'stale' } }],
    };
    const md = renderShadowSections(s);
    expect(md).toContain('| 0.6000 / 0.6001 (7) | 0.5997 / 0.5998 (5) |');
    expect(md).toContain("Prices in the instrument's decimals");
  });

  it('.hlog #[StartTime] is the real run start on the real clock, 0 in virtual time', async () => {
    const bench = loadBenchScenario('baseline');
    const run = { id: 't', command: 't', version: 't', host: 't' };
    const real = await runBench({ bench, durationMs: 300, realtime: true, run });
    const start = Number(/#\[StartTime: ([\d.]+)/.exec(real.hlogs['cached.tick_total.hlog']!)![1]);
    const began = Date.parse(real.results.run.started_at) / 1000;
    expect(Math.abs(start - began)).toBeLessThan(5);
    const virtual = await runBench({ bench, durationMs: 10_000, run });
    expect(virtual.hlogs['cached.tick_total.hlog']).toMatch(/#\[StartTime: 0\.000/);
  });
});
