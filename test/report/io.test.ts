import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { loadResults, parseResults } from '../../src/report/results-file.js';
import { appendStepSummary } from '../../src/report/github.js';
import { writeReport, writeReportFile } from '../../src/report/write.js';
import { CHART_FILES } from '../../src/report/charts.js';
import { FIXTURES, fixture } from '../gates/helpers.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'mdcache-report-'));

describe('results file', () => {
  it('loads the fixtures', () => {
    for (const n of ['pass', 'fail', 'inconclusive', 'short']) expect(loadResults(`${FIXTURES}results-${n}.json`).schema).toBe('mdcache.results/v1');
  });
  it('says which kind of bad input: missing, not JSON, wrong schema', () => {
    expect(() => loadResults('/nope/results.json')).toThrow(new UsageError('results file not found: /nope/results.json'));
    expect(() => parseResults('{x', 'r.json')).toThrow(/^r\.json is not JSON: /);
    expect(() => parseResults('[1]', 'r.json')).toThrow(ConfigError);
    expect(() => parseResults('{"schema":"other/v9"}', 'r.json')).toThrow(/schema: 'other\/v9'; expected 'mdcache\.results\/v1'/);
  });
  it('lists every schema problem with its path', () => {
    const r = fixture('pass') as unknown as Record<string, any>;
    delete r.paths.cached.fetch_md_ms.p95;
    r.paths.uncached.deadline_miss_ratio = 'x';
    r.windows.cached[3].fetch_md_p95 = null;
    delete r.run.command;
    try {
      parseResults(JSON.stringify(r), 'r.json');
      throw new Error('expected ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).message).toMatch(/^invalid results file r\.json \(wrong schema\):/);
      expect((e as ConfigError).problems.map((p) => p.path)).toEqual(['run.command', 'paths.uncached.deadline_miss_ratio', 'paths.cached.fetch_md_ms.p95', 'windows.cached[3].fetch_md_p95']);
    }
  });
});

describe('writeReport', () => {
  it('writes report.md and the SVGs into the out dir (no temp files left)', () => {
    const dir = tmp();
    const w = writeReport(dir, fixture('pass'));
    expect(w.report).toBe(join(dir, 'report.md'));
    expect(readdirSync(dir).sort()).toEqual(['report.md', ...Object.values(CHART_FILES)].sort());
    expect(readFileSync(w.report, 'utf8')).toMatch(/^# mdcache bench: steady\n\n## ✅ PASS/);
    const w2 = writeReportFile(join(dir, 'sub', 'custom.md'), fixture('fail'));
    expect(readdirSync(join(dir, 'sub')).sort()).toEqual(['custom.md', ...Object.values(CHART_FILES)].sort());
    expect(w2.charts).toHaveLength(Object.keys(CHART_FILES).length);
  });
});

describe('appendStepSummary', () => {
  it('does nothing without GITHUB_STEP_SUMMARY and appends (keeping content) when set', () => {
    expect(appendStepSummary('# x', {})).toBeUndefined();
    const f = join(tmp(), 'summary.md');
    expect(appendStepSummary('# one', { GITHUB_STEP_SUMMARY: f })).toBe(f);
    writeFileSync(f, readFileSync(f, 'utf8') + 'written by another step');
    appendStepSummary('# two\n', { GITHUB_STEP_SUMMARY: f });
    expect(readFileSync(f, 'utf8')).toBe('# one\nwritten by another step\n# two\n');
  });
});
