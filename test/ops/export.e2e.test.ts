/**
 * The operations kit: alert rules and the Grafana dashboard, validated with the real tools. promtool (Debian's
 * prometheus package; .ci/run installs it) checks the rules, unit-tests that they fire, and lints a real
 * /metrics exposition. Without promtool those checks skip with a message; the rest always run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DashboardCursorSync, ThresholdsMode, VariableHide, VariableRefresh, VariableSort } from '@grafana/schema';
import { MDCache } from '../../src/cache/md-cache.js';
import { mdCacheConfig } from '../../src/config/md-cache.js';
import { VirtualClock } from '../../src/core/clock.js';
import { ERROR_DEFAULT_GATES as DEFAULT_GATES, ROLLBACK_GATES, loadGatesFile } from '../../src/gates/spec.js';
import { alertRules } from '../../src/ops/alerts.js';
import { grafanaDashboard } from '../../src/ops/grafana.js';
import { shadowMetrics } from '../../src/sim/shadow-metrics.js';
import { exposeRestMetrics } from '../../src/metrics/rest-metrics.js';
import { RestMeter } from '../../src/sim/rest-meter.js';
import { ROOT } from '../helpers/cli.js';

const PROMTOOL = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!PROMTOOL) console.warn('promtool not found (apt-get install prometheus): skipping the promtool checks of the exported rules and /metrics');
const withPromtool = it.skipIf(!PROMTOOL);

const dir = mkdtempSync(join(tmpdir(), 'mdcache-export-'));
function promtool(args: string[], input?: string): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', input, cwd: dir });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A real exposition: a cache and the shadow metrics on one registry, after some traffic. */
async function exposition(): Promise<string> {
  const registry = new Registry();
  const clock = new VirtualClock(0);
  const cache = new MDCache<{ v: number }>(mdCacheConfig({ enabled: true }), { clock, registry, refresh: async () => ({ v: 1 }) });
  await cache.get('BTCUSDT');
  cache.invalidate('BTCUSDT', 'seq_gap');
  await cache.get('BTCUSDT');
  await cache.get('ETHUSDT');
  const s = shadowMetrics(registry);
  s.latency('control', 20);
  s.latency('candidate', 0.2);
  s.divergence(1, 2, 80);
  s.simTime(1000);
  const uncached = new RestMeter(1000);
  const cached = new RestMeter(1000);
  uncached.sent(0, 100);
  uncached.throttledAt(5);
  cached.sent(0, 1000);
  exposeRestMetrics(registry, { paths: { uncached, cached }, budgetPerMin: 6000, usedWeight1m: () => ({ venue: 'http://127.0.0.1:8089', weight: 55 }) });
  return registry.metrics();
}

describe('export alerts', () => {
  const ci = loadGatesFile(join(ROOT, 'scenarios', 'ci.yaml'));

  it('one rule per live-observable gate and rollback condition; the rest listed as skipped', () => {
    const r = alertRules(DEFAULT_GATES, ROLLBACK_GATES);
    expect(r.rules.map((x) => x.alert)).toEqual(['MdCacheGateHitRatioGe07', 'MdCacheGateFetchMdP95ImprovementGe20Ms', 'MdCacheRollbackHitRatioLt05', 'MdCacheRollbackFetchMdP95RegressionGt15Pct', 'MdCacheRestWeightHigh', 'MdCacheRestUsedWeightHigh']);
    expect(r.rules.find((x) => x.alert === 'MdCacheRestWeightHigh')!.expr).toBe('(sum (rate(mm_md_rest_weight_total[5m])) * 60) > 0.8 * max(mm_md_rest_weight_budget_per_min)');
    expect(alertRules(DEFAULT_GATES, ROLLBACK_GATES, { restBudgetShare: 0.9 }).rules.find((x) => x.alert === 'MdCacheRestUsedWeightHigh')!.expr).toBe('(max(mm_md_rest_used_weight_1m)) > 0.9 * max(mm_md_rest_weight_budget_per_min)');
    expect(r.rules.find((x) => x.alert === 'MdCacheGateHitRatioGe07')!.expr).toMatch(/\) < 0\.7$/); // gate negated
    expect(r.rules.find((x) => x.alert === 'MdCacheRollbackHitRatioLt05')!.expr).toMatch(/\) < 0\.5$/); // condition as is
    expect(r.skipped.map((s) => s.gate)).toEqual(['tick_total p95 <= 130 ms', 'deadline_miss < 2 %']);
    const c = alertRules(ci, ROLLBACK_GATES);
    expect(c.rules.map((x) => x.source)).toEqual(expect.arrayContaining(['cached.cache.refreshes_per_tick <= 0.8', 'cached.fetch_md_ms.p99 <= 45', 'cached.cache.staleness_ms.p99 <= 225']));
  });

  withPromtool('promtool check rules accepts the default and the ci rules', () => {
    for (const [name, gates] of [['default', DEFAULT_GATES], ['ci', ci]] as const) {
      writeFileSync(join(dir, `${name}.yml`), alertRules(gates, ROLLBACK_GATES).yaml);
      const r = promtool(['check', 'rules', `${name}.yml`]);
      expect(r.out).toContain('SUCCESS');
      expect(r.code, r.out).toBe(0);
    }
  });

  withPromtool('promtool test rules: a 40 % hit ratio fires the gate and the rollback alert; 90 % fires neither', () => {
    const r = alertRules(DEFAULT_GATES, ROLLBACK_GATES);
    writeFileSync(join(dir, 'alerts.yml'), r.yaml);
    const fired = (alert: string, value: string) => {
      const rule = r.rules.find((x) => x.alert === alert)!;
      const kind = rule.severity === 'warning' ? 'gate' : 'rollback';
      const cond = rule.source.replace(/^rollback:\s*/, '');
      return {
        exp_labels: { severity: rule.severity, [`mdcache_${kind}`]: rule.source },
        exp_annotations:
          kind === 'gate'
            ? { summary: `mdcache gate breached: ${rule.source}`, description: `The gate '${rule.source}' has not held for 5m (value ${value}).` }
            : { summary: `mdcache rollback condition met: ${cond}`, description: `The canary rollback condition '${cond}' has held for 5m (value ${value}): roll the cache back (md_cache.enabled: false).` },
      };
    };
    const series = (hitsPerMin: number, missesPerMin: number) => [
      { series: 'mm_md_cache_hit_total{symbol="BTCUSDT"}', values: `0+${hitsPerMin}x30` },
      { series: 'mm_md_cache_miss_total{symbol="BTCUSDT"}', values: `0+${missesPerMin}x30` },
    ];
    const test = {
      rule_files: ['alerts.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: series(40, 60),
          alert_rule_test: [
            { eval_time: '3m', alertname: 'MdCacheRollbackHitRatioLt05', exp_alerts: [] }, // pending: not yet 5m
            { eval_time: '15m', alertname: 'MdCacheRollbackHitRatioLt05', exp_alerts: [fired('MdCacheRollbackHitRatioLt05', '0.4')] },
            { eval_time: '15m', alertname: 'MdCacheGateHitRatioGe07', exp_alerts: [fired('MdCacheGateHitRatioGe07', '0.4')] },
          ],
        },
        {
          interval: '1m',
          input_series: series(90, 10),
          alert_rule_test: r.rules.map((x) => ({ eval_time: '15m', alertname: x.alert, exp_alerts: [] })),
        },
      ],
    };
    writeFileSync(join(dir, 'alerts.test.yml'), JSON.stringify(test, null, 2)); // JSON is YAML
    const t = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(t.out).toContain('SUCCESS');
    expect(t.code, t.out).toBe(0);
  });

  withPromtool('promtool test rules: REST weight at 90 % of the budget fires the REST alerts after 5m; 50 % fires none', () => {
    const r = alertRules(DEFAULT_GATES, ROLLBACK_GATES);
    writeFileSync(join(dir, 'rest-alerts.yml'), r.yaml);
    const rest = r.rules.filter((x) => x.alert.startsWith('MdCacheRest'));
    const fired = (alert: string, value: string) => {
      const rule = rest.find((x) => x.alert === alert)!;
      const what = alert === 'MdCacheRestWeightHigh' ? 'REST weight sent per minute' : 'Venue-reported used weight (X-MBX-USED-WEIGHT-1M)';
      return {
        exp_labels: { severity: 'warning', mdcache_rest: rule.source },
        exp_annotations: {
          summary: `mdcache REST weight near the venue's limit: ${rule.source}`,
          description: `${what} has been above 80 % of the budget for 5m (value ${value}): the venue answers 429 and then bans (418) past its limit; lower the refresh rate or the snapshot depth.`,
        },
      };
    };
    // weight per minute split over two paths (the sum is what the venue counts), the budget gauge, the venue's figure
    const series = (perMin: number, used: number) => [
      { series: 'mm_md_rest_weight_total{path="uncached"}', values: `0+${perMin / 2}x30` },
      { series: 'mm_md_rest_weight_total{path="cached"}', values: `0+${perMin / 2}x30` },
      { series: 'mm_md_rest_weight_budget_per_min', values: '6000x30' },
      { series: 'mm_md_rest_used_weight_1m{venue="http://127.0.0.1:8089"}', values: `${used}x30` },
    ];
    const test = {
      rule_files: ['rest-alerts.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: series(5400, 5500),
          alert_rule_test: [
            { eval_time: '3m', alertname: 'MdCacheRestWeightHigh', exp_alerts: [] }, // pending: not yet 5m
            { eval_time: '15m', alertname: 'MdCacheRestWeightHigh', exp_alerts: [fired('MdCacheRestWeightHigh', '5400')] },
            { eval_time: '15m', alertname: 'MdCacheRestUsedWeightHigh', exp_alerts: [fired('MdCacheRestUsedWeightHigh', '5500')] },
          ],
        },
        {
          interval: '1m',
          input_series: series(3000, 3100),
          alert_rule_test: rest.map((x) => ({ eval_time: '15m', alertname: x.alert, exp_alerts: [] })),
        },
      ],
    };
    writeFileSync(join(dir, 'rest-alerts.test.yml'), JSON.stringify(test, null, 2));
    const t = promtool(['test', 'rules', 'rest-alerts.test.yml']);
    expect(t.out).toContain('SUCCESS');
    expect(t.code, t.out).toBe(0);
  });

  withPromtool('promtool check metrics: a real /metrics exposition is clean except the documented _ms names', async () => {
    const text = await exposition();
    const r = promtool(['check', 'metrics'], text);
    const problems = r.out.split('\n').filter((l) => l.trim() !== '');
    const allowed = /^(mm_md_cache_age_ms|mm_md_refresh_latency_ms|mm_md_shadow_candidate_staleness_ms|mm_md_shadow_fetch_md_latency_ms) metric names should not contain abbreviated units$/;
    expect(problems.filter((l) => !allowed.test(l))).toEqual([]);
    expect(problems.length).toBeGreaterThan(0); // the deviation is real and documented, not hidden
  });
});

/**
 * The property names of an interface in Grafana's published dashboard schema (@grafana/schema's generated
 * types.gen.d.ts), so the dashboard can be checked key by key against the schema Grafana itself uses.
 */
function schemaKeys(iface: string): Set<string> {
  const file = createRequire(import.meta.url).resolve('@grafana/schema/package.json').replace(/package\.json$/, 'dist/types/raw/dashboard/x/types.gen.d.ts');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(`export interface ${iface} {`);
  if (start < 0) throw new Error(`no interface ${iface} in ${file}`);
  const keys = new Set<string>();
  let depth = 0;
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (depth === 0 && /^}/.test(line)) break;
    const m = /^ {4}(\w+)\??:/.exec(line);
    if (depth === 0 && m) keys.add(m[1]!);
    depth += (line.match(/{/g) ?? []).length - (line.match(/}/g) ?? []).length;
  }
  return keys;
}

type PanelJson = Record<string, unknown> & { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; targets?: Record<string, unknown>[]; fieldConfig?: { defaults: Record<string, unknown> & { thresholds?: { mode: string; steps: { color: string; value: number | null }[] } } } };

describe('export grafana', () => {
  const dashboard = grafanaDashboard() as Record<string, unknown> & { panels: PanelJson[]; templating: { list: Record<string, unknown>[] } };

  it("every key is one Grafana's dashboard schema defines (@grafana/schema), enum values included", () => {
    const unknownKeys = (o: Record<string, unknown>, iface: string) => Object.keys(o).filter((k) => !schemaKeys(iface).has(k));
    expect(unknownKeys(dashboard, 'Dashboard')).toEqual([]);
    for (const k of ['schemaVersion', 'title', 'uid', 'panels', 'templating', 'time']) expect(dashboard).toHaveProperty(k);
    for (const p of dashboard.panels) {
      expect(unknownKeys(p, p.type === 'row' ? 'RowPanel' : 'Panel'), p.title).toEqual([]);
      expect(unknownKeys(p.gridPos, 'GridPos')).toEqual([]);
      if (p.type === 'row') continue;
      expect(unknownKeys(p.fieldConfig!, 'FieldConfigSource')).toEqual([]);
      expect(unknownKeys(p.fieldConfig!.defaults, 'FieldConfig')).toEqual([]);
      const th = p.fieldConfig!.defaults.thresholds;
      if (th) {
        expect(Object.values(ThresholdsMode)).toContain(th.mode);
        expect(th.steps[0]!.value).toBeNull(); // Grafana's base step
      }
    }
    for (const v of dashboard.templating.list) {
      expect(unknownKeys(v, 'VariableModel'), String(v.name)).toEqual([]);
      expect(Object.values(VariableHide)).toContain(v.hide);
      expect(Object.values(VariableRefresh)).toContain(v.refresh);
      if (v.sort !== undefined) expect(Object.values(VariableSort)).toContain(v.sort);
    }
    expect(Object.values(DashboardCursorSync)).toContain(dashboard.graphTooltip);
  });

  it('well-formed: unique ids, panels inside 24 columns and not overlapping, datasource and symbol variables', () => {
    expect(dashboard.schemaVersion).toBe(39);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const g = p.gridPos;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'symbol']);
    expect(dashboard.panels.map((p) => p.title)).toEqual(expect.arrayContaining(['Hit ratio', 'Age of the cached book', 'Refresh latency', 'Shadow divergence', 'REST weight per minute', 'REST weight, share of the budget']));
  });

  it('every query names only metrics a real /metrics exposition has', async () => {
    const exposed = new Set([...(await exposition()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap((m) => (m[2] === 'histogram' ? [`${m[1]}_bucket`, `${m[1]}_sum`, `${m[1]}_count`] : [m[1]!])));
    const targets = dashboard.panels.flatMap((p) => (p.targets ?? []) as { expr: string; datasource: { uid: string } }[]);
    expect(targets.length).toBeGreaterThan(10);
    for (const t of targets) {
      expect(t.datasource.uid).toBe('${datasource}');
      for (const m of t.expr.match(/\bmm_md_\w+/g) ?? []) expect(exposed.has(m), `${m} in ${t.expr}`).toBe(true);
    }
  });

  withPromtool('every panel query is valid PromQL (promtool parses them as recording rules)', () => {
    const targets = dashboard.panels.flatMap((p) => (p.targets ?? []) as { expr: string }[]);
    const rules = targets.map((t, i) => `      - record: mdcache:panel_query_${i}\n        expr: ${JSON.stringify(t.expr.replace(/\$__rate_interval/g, '5m').replace(/\$symbol/g, '.*'))}`);
    writeFileSync(join(dir, 'panels.yml'), `groups:\n  - name: panels\n    rules:\n${rules.join('\n')}\n`);
    const r = promtool(['check', 'rules', 'panels.yml']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`SUCCESS: ${targets.length} rules found`);
  });

  it('the CLI writes the same dashboard, and alert rules; bad flags exit 2', () => {
    const bin = join(ROOT, 'bin', 'mdcache.js');
    const out = execFileSync(process.execPath, [bin, 'export', 'grafana'], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(grafanaDashboard());
    const alerts = spawnSync(process.execPath, [bin, 'export', 'alerts', '--out', join(dir, 'cli.yml'), '--for', '10m'], { encoding: 'utf8' });
    expect(alerts.status).toBe(0);
    expect(alerts.stderr).toContain('skipped: tick_total p95 <= 130 ms');
    const bad = spawnSync(process.execPath, [bin, 'export', 'alerts', '--for', 'soon'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--for: invalid duration 'soon'");
    expect(spawnSync(process.execPath, [bin, 'export', 'alerts', '--gates', join(dir, 'missing.yml')], { encoding: 'utf8' }).status).toBe(2);
  });
});
