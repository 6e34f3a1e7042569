import { describe, expect, it } from 'vitest';
import { renderMarkdownReport, renderStepSummary } from '../../src/report/markdown.js';
import { CHART_FILES, renderCharts, spectrumX } from '../../src/report/charts.js';
import { renderJUnit } from '../../src/report/junit.js';
import { renderGateTable, renderTerminalSummary } from '../../src/report/terminal.js';
import { renderCompareMarkdown, renderCompareTerminal } from '../../src/report/compare.js';
import { compareResults } from '../../src/gates/compare.js';
import { evaluateGates } from '../../src/gates/evaluate.js';
import { niceTicks } from '../../src/report/svg.js';
import { keepUnitsTogether, fmtInterval, fmtMs, fmtRatio, fmtThreshold } from '../../src/report/format.js';
import { fixture } from '../gates/helpers.js';
import { findAll, parseXml } from './xml.js';

const ANSI = /\u001b\[/;

describe('markdown report', () => {
  it('puts the verdict first, then gates, latency, cache, charts and reproduce', () => {
    const md = renderMarkdownReport(fixture('fail'));
    const heads = md.split('\n').filter((l) => l.startsWith('#'));
    expect(heads).toEqual(['# mdcache bench: volatile', '## ❌ FAIL', '## Gates', '## Latency: uncached vs cached', '## Cache behaviour', '## REST cost', '## Charts', '## Reproduce']);
    expect(md).toContain('**Verdict: fail** — 4 gate(s): 0 passed, 4 failed, 0 inconclusive; 3 warn gate(s): 3 ⚠️ warning(s)');
    expect(md).toContain('mdcache bench --scenario scenarios/volatile.yaml --seed 202 --duration 30m --out reports/fail');
    for (const f of Object.values(CHART_FILES)) expect(md).toContain(`](./${f})`);
  });

  it('shows each gate with value, interval and threshold', () => {
    const r = fixture('inconclusive');
    const ev = evaluateGates(r);
    const md = renderMarkdownReport(r, { evaluation: ev });
    expect(md).toMatch(/^## ⚠️ INCONCLUSIVE$/m);
    expect(md).toMatch(/\| ⚠️ \| tob_error p99 <= 2 ticks _\(warn\)_<br><sub>`cached\.cache\.tob_error_ticks\.p99`<\/sub> \| 3\.00 ticks \| .* \| warn: fail \|/);
    const hit = ev.gates[0]!;
    expect(md).toContain(keepUnitsTogether(`| ⚠️ | hit_ratio >= 0.7<br><sub>\`cached.cache.hit_ratio\`</sub> | ${fmtRatio(hit.value)} | ${fmtInterval(hit.ci, 'ratio')} | >= 70 % | inconclusive |`));
    expect(md).toMatch(/\| tick_total p95 <= 130 ms<br><sub>`cached\.tick_total_ms\.p95`<\/sub> \| [\d.]+ ms \| \[[\d.]+, [\d.]+\] ms \| <= 130 ms \| inconclusive \|/);
    expect(md).toContain('`uncached.fetch_md_ms.p95 − cached.fetch_md_ms.p95`');
  });

  it('covers the cache behaviour: ratios, refreshes, invalidations, staleness, top-of-book error', () => {
    const md = renderMarkdownReport(fixture('pass'));
    expect(md).toContain('| Hit ratio | Fresh | Stale | Miss | Gets | Refreshes | Refresh failures | Evictions |');
    expect(md).toMatch(/\| `ttl` \| [\d,]+ \| [\d.]+\u00a0% \|/);
    expect(md).toContain('| staleness (ms): age of the book served | 42.0 | 88.0 | 97.0 | 140 | 380 | 920 |');
    expect(md).toContain('| top-of-book error (exchange ticks) |');
    expect(md).toMatch(/\| fetch_md p95 \| [\d.]+ \| [\d.]+ \| -[\d.]+ ms \(-[\d.]+\u00a0%\) \|/);
  });

  it('uses the stored gates when the results carry them, and the step summary is shorter', () => {
    const r = fixture('pass');
    r.gates = [{ name: 'stored gate', metric: 'cached.ticks', op: '>', threshold: 1, value: 5, ci: [5, 5], status: 'pass' }];
    r.verdict = 'pass';
    expect(renderMarkdownReport(r)).toContain('stored gate');
    const s = renderStepSummary(fixture('fail'));
    expect(s).toMatch(/^### mdcache gates: volatile — ❌ FAIL/);
    expect(s).toContain('<details><summary>Latency: uncached vs cached</summary>');
    expect(s).not.toContain('## Charts');
  });
});

describe('SVG charts', () => {
  const charts = renderCharts(fixture('pass'));

  it('renders four well-formed SVGs with titles, axes labels and both series', () => {
    expect(Object.keys(charts).sort()).toEqual(Object.values(CHART_FILES).sort());
    for (const [name, svg] of Object.entries(charts)) {
      const root = parseXml(svg);
      expect(root.name, name).toBe('svg');
      expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
      expect(findAll(root, 'title')[0]!.text.length).toBeGreaterThan(5);
      const series = findAll(root, 'g').filter((g) => g.attrs.class === 'series');
      expect(series.length, name).toBeGreaterThanOrEqual(2);
      for (const s of series) expect(findAll(s, 'path'), `${name} ${s.attrs['data-name']}`).toHaveLength(1);
    }
  });

  it('spectrum: log axis of 1/(1−p) labelled 0% … 99.99%, uncached and cached', () => {
    const root = parseXml(charts[CHART_FILES.fetchSpectrum]!);
    const texts = findAll(root, 'text').map((t) => t.text);
    for (const l of ['0%', '90%', '99%', '99.9%', '99.99%']) expect(texts).toContain(l);
    expect(texts).toContain('latency (ms)');
    expect(texts).toContain('percentile (log scale of 1/(1−p))');
    const names = findAll(root, 'g').filter((g) => g.attrs.class === 'series').map((g) => g.attrs['data-name']);
    expect(names).toEqual(['uncached', 'cached']);
    const path = findAll(root, 'g').find((g) => g.attrs['data-name'] === 'cached')!.children[0]!.attrs.d!;
    expect(path.split(/[ML]/).filter(Boolean)).toHaveLength(fixture('pass').spectra.fetch_md_ms!.cached.length);
    expect(spectrumX(0)).toBe(0);
    expect(spectrumX(90)).toBeCloseTo(1, 9);
    expect(spectrumX(99.99)).toBeCloseTo(4, 6);
    expect(spectrumX(100)).toBeCloseTo(5, 6);
  });

  it('per-window charts: one point per window, the hit-ratio chart has the 0.7 gate and 0.5 rollback lines', () => {
    const p95 = parseXml(charts[CHART_FILES.fetchP95Windows]!);
    expect(findAll(p95, 'circle')).toHaveLength(60);
    const hit = parseXml(charts[CHART_FILES.hitRatioWindows]!);
    const refs = findAll(hit, 'g').filter((g) => g.attrs.class === 'ref-line').map((g) => findAll(g, 'text')[0]!.text);
    expect(refs).toEqual(['gate ≥ 70%', 'rollback &lt; 50%']);
    expect(findAll(hit, 'text').map((t) => t.text)).toContain('100%');
  });

  it('escapes text and draws "no data" when a run has no windows', () => {
    const r = fixture('pass');
    r.scenario = { name: 'a<b & "c"' };
    r.windows = { window_ms: 60_000, uncached: [], cached: [] };
    const c = renderCharts(r);
    for (const svg of Object.values(c)) parseXml(svg);
    expect(c[CHART_FILES.fetchP95Windows]).toContain('no data');
    expect(c[CHART_FILES.fetchSpectrum]).toContain('a&lt;b &amp; &quot;c&quot;');
  });

  it('nice ticks', () => {
    expect(niceTicks(0, 200, 5)).toEqual([0, 50, 100, 150, 200]);
    expect(niceTicks(0, 1, 6)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
});

describe('JUnit', () => {
  it('is well-formed with one testcase per gate and failures for fail and inconclusive', () => {
    for (const [name, failures] of [
      ['pass', 0],
      ['fail', 4],
      ['inconclusive', 4],
    ] as const) {
      const xml = renderJUnit(fixture(name));
      expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
      const root = parseXml(xml);
      expect(root.name).toBe('testsuites');
      const cases = findAll(root, 'testcase');
      expect(cases.map((c) => c.attrs.name).slice(0, 4)).toEqual(['hit_ratio &gt;= 0.7', 'fetch_md p95 improvement &gt;= 20 ms', 'tick_total p95 &lt;= 130 ms', 'deadline_miss &lt; 2 %']);
      const f = findAll(root, 'failure');
      expect(f).toHaveLength(failures);
      expect(root.attrs.failures).toBe(String(failures));
      // the seed's four (error) plus the three default warn gates; a warn gate that did not pass is <skipped>
      expect(root.attrs.tests).toBe('7');
      const warned = cases.filter((c) => findAll(c, 'skipped').length > 0);
      expect(root.attrs.skipped).toBe(String(warned.length));
      for (const c of warned) expect(findAll(c, 'skipped')[0]!.attrs.message).toMatch(/^warning \(warn gate (fail|inconclusive); does not change the verdict\): /);
      expect(warned.length).toBeGreaterThan(0);
      if (name !== 'pass') for (const x of f) expect(x.attrs.type).toBe(`gate.${name}`);
      expect(findAll(root, 'property').find((p) => p.attrs.name === 'verdict')!.attrs.value).toBe(name);
    }
  });
});

describe('terminal', () => {
  it('summary: latency rows, deadline miss, cache ratios, invalidations, gates with ✓ and intervals; no colour unless asked', () => {
    const out = renderTerminalSummary(fixture('pass'), { color: false });
    expect(out).not.toMatch(ANSI);
    for (const s of ['fetch_md p50', 'fetch_md p99.9', 'fetch_md max', 'tick_total p95', 'deadline miss', 'hit', 'fresh', 'stale', 'miss', 'invalidations: ttl', '✓ pass', 'verdict: PASS', 'Δ cached − uncached']) expect(out).toContain(s);
    expect(out).toMatch(/\[[\d.]+, [\d.]+\] %/);
    expect(renderTerminalSummary(fixture('fail'), { color: true })).toMatch(ANSI);
  });

  it('gate table marks ✗ and ? and prints notes', () => {
    const out = renderGateTable(evaluateGates(fixture('inconclusive')), { color: false });
    expect(out).toContain('? inconclusive');
    expect(out).toContain('verdict: INCONCLUSIVE');
    expect(out).toMatch(/Mann-Whitney U/);
    expect(renderGateTable(evaluateGates(fixture('fail')), { color: false })).toContain('✗ fail');
  });
});

describe('compare renderers', () => {
  it('prints ~ for non-significant changes and the change with % otherwise', () => {
    const cmp = compareResults(fixture('pass'), fixture('fail'));
    const md = renderCompareMarkdown(cmp, { a: 'a.json', b: 'b.json' });
    expect(md).toMatch(/\| cached \| fetch_md p95 \| [\d.]+ ms \| [\d.]+ ms \| \+[\d.]+ ms \(\+[\d.]+\u00a0%\) \| p=\S+ n=30\+30 \| ❌ worse \|/);
    expect(md).toMatch(/\| cached \| hit ratio \| [\d.]+\u00a0% \| [\d.]+\u00a0% \| -[\d.]+\u00a0pp \(-[\d.]+\u00a0%\) \|/);
    expect(md).not.toMatch(/\d (%|pp)/); // a number and its unit never wrap apart
    const same = renderCompareMarkdown(compareResults(fixture('pass'), fixture('pass')), { a: 'a', b: 'b' });
    expect(same.split('\n').filter((l) => l.startsWith('| cached') || l.startsWith('| uncached')).every((l) => l.includes('| ~ |'))).toBe(true);
    const t = renderCompareTerminal(cmp, { a: 'a.json', b: 'b.json' }, { color: false });
    expect(t).not.toMatch(ANSI);
    expect(t).toContain('~ = not significant');
  });
});

describe('format', () => {
  it('formats values, intervals and thresholds', () => {
    expect(fmtMs(0.4123)).toBe('0.412');
    expect(fmtMs(62.07)).toBe('62.1');
    expect(fmtMs(1250.4)).toBe('1250');
    expect(fmtRatio(0.0035)).toBe('0.35 %');
    expect(fmtInterval([0.5, 0.5], 'ratio')).toBe('[50.0 %] (zero width)');
    expect(fmtThreshold({ op: '<', threshold: 0.02, metric: 'cached.deadline_miss_ratio' })).toBe('< 2 %');
    expect(fmtThreshold({ op: '>=', threshold: 20, metric: 'uncached.fetch_md_ms.p95 − cached.fetch_md_ms.p95' })).toBe('>= 20 ms');
  });
});
