/**
 * A Grafana dashboard (JSON model, schemaVersion 39) for the mm_md_* metrics of a process running the cache
 * or `mdcache shadow` (pure). A `datasource` variable picks the Prometheus data source and a `symbol`
 * variable filters the per-symbol panels.
 */
import { M, hitRatioExpr, quantileExpr, restWeightPerMinExpr, sumRate } from './promql.js';

type Json = Record<string, unknown>;

interface PanelDef {
  title: string;
  description: string;
  type: 'timeseries' | 'stat';
  unit: string;
  w: number;
  h: number;
  targets: { expr: string; legend: string }[];
  /** Threshold lines (value, colour), drawn on the panel. */
  thresholds?: [number, string][];
  min?: number;
  max?: number;
}

const DS = { type: 'prometheus', uid: '${datasource}' };
const R = '$__rate_interval';
const SYM = 'symbol=~"$symbol"';

const ROWS: { title: string; panels: PanelDef[] }[] = [
  {
    title: 'Cache',
    panels: [
      {
        title: 'Hit ratio',
        description: '(fresh + stale served) / gets, over the rate interval. The gate is 70 %; the canary rolls back below 50 %.',
        type: 'stat',
        unit: 'percentunit',
        w: 6,
        h: 8,
        targets: [{ expr: hitRatioExpr(R, { sel: SYM }), legend: 'hit ratio' }],
        thresholds: [[0, 'red'], [0.5, 'orange'], [0.7, 'green']],
        min: 0,
        max: 1,
      },
      {
        title: 'Hit ratio by symbol',
        description: 'Per symbol: (fresh + stale served) / gets.',
        type: 'timeseries',
        unit: 'percentunit',
        w: 18,
        h: 8,
        targets: [{ expr: hitRatioExpr(R, { by: 'symbol', sel: SYM }), legend: '{{symbol}}' }],
        thresholds: [[0, 'red'], [0.5, 'orange'], [0.7, 'green']],
        min: 0,
        max: 1,
      },
      {
        title: 'Age of the cached book',
        description: 'Time since each symbol’s entry was refreshed (mm_md_cache_age_ms, milliseconds).',
        type: 'timeseries',
        unit: 'ms',
        w: 12,
        h: 8,
        targets: [{ expr: `max by (symbol) (${M.age}{${SYM}})`, legend: '{{symbol}}' }],
      },
      {
        title: 'Refresh latency',
        description: 'REST snapshot refreshes made by the cache (mm_md_refresh_latency_ms histogram, milliseconds).',
        type: 'timeseries',
        unit: 'ms',
        w: 12,
        h: 8,
        targets: [
          { expr: quantileExpr(0.5, M.refreshLatency, R), legend: 'p50' },
          { expr: quantileExpr(0.95, M.refreshLatency, R), legend: 'p95' },
          { expr: quantileExpr(0.99, M.refreshLatency, R), legend: 'p99' },
        ],
      },
      {
        title: 'Refreshes and failures',
        description: 'Refreshes completed and refresh attempts that failed or timed out, per second.',
        type: 'timeseries',
        unit: 'reqps',
        w: 12,
        h: 8,
        targets: [
          { expr: sumRate(`${M.refreshLatency}_count`, R), legend: 'refreshes' },
          { expr: sumRate(M.refreshFailures, R, { sel: SYM }), legend: 'failures' },
        ],
      },
      {
        title: 'Invalidations by reason',
        description: 'Entries invalidated per second (ws_gap, seq_gap, jump, crossed, reconnect, manual, …).',
        type: 'timeseries',
        unit: 'ops',
        w: 12,
        h: 8,
        targets: [{ expr: sumRate(M.invalidations, R, { by: 'reason', sel: SYM }), legend: '{{reason}}' }],
      },
    ],
  },
  {
    title: 'Shadow: candidate (cached) vs control (uncached)',
    panels: [
      {
        title: 'fetch_md p95: control vs candidate',
        description: 'mdcache shadow: fetch_md latency per path (milliseconds). The canary rolls back when the candidate regresses by more than 15 %.',
        type: 'timeseries',
        unit: 'ms',
        w: 12,
        h: 8,
        targets: [
          { expr: quantileExpr(0.95, M.shadowLatency, R, { by: 'path' }), legend: '{{path}} p95' },
          { expr: quantileExpr(0.99, M.shadowLatency, R, { by: 'path' }), legend: '{{path}} p99' },
        ],
      },
      {
        title: 'Shadow divergence',
        description: 'Share of compared ticks whose candidate book differed from the control’s: best bid/ask, and any compared depth level.',
        type: 'timeseries',
        unit: 'percentunit',
        w: 12,
        h: 8,
        targets: [
          { expr: `${sumRate(M.shadowTobMismatch, R)} / ${sumRate(M.shadowCompared, R)}`, legend: 'top of book' },
          { expr: `${sumRate(M.shadowDepthMismatch, R)} / ${sumRate(M.shadowCompared, R)}`, legend: 'depth' },
        ],
        min: 0,
      },
      {
        title: 'Top-of-book divergence (ticks)',
        description: 'Distribution of the candidate’s best bid/ask difference from the control, in exchange ticks.',
        type: 'timeseries',
        unit: 'none',
        w: 12,
        h: 8,
        targets: [
          { expr: quantileExpr(0.5, M.shadowTob, R), legend: 'p50' },
          { expr: quantileExpr(0.99, M.shadowTob, R), legend: 'p99' },
        ],
      },
      {
        title: 'Candidate staleness',
        description: 'Age of the candidate (cached) book when a tick used it (milliseconds).',
        type: 'timeseries',
        unit: 'ms',
        w: 12,
        h: 8,
        targets: [
          { expr: quantileExpr(0.5, M.shadowStaleness, R), legend: 'p50' },
          { expr: quantileExpr(0.99, M.shadowStaleness, R), legend: 'p99' },
        ],
      },
    ],
  },
  {
    title: 'REST weight (venue rate limit)',
    panels: [
      {
        title: 'REST weight, share of the budget',
        description: 'Request weight sent per minute (all paths) / rest.budget.weight_per_min. The alert fires above 80 % for 5 minutes; the venue answers 429, then 418 bans, past its limit.',
        type: 'stat',
        unit: 'percentunit',
        w: 6,
        h: 8,
        targets: [{ expr: `${restWeightPerMinExpr(R)} / max(${M.restBudget})`, legend: 'of budget' }],
        thresholds: [[0, 'green'], [0.8, 'orange'], [1, 'red']],
        min: 0,
      },
      {
        title: 'REST weight per minute',
        description: 'Request weight sent per minute by path (mm_md_rest_weight_total: the weight of each depth request by the limit asked for), the budget, and the used weight the venue reports in X-MBX-USED-WEIGHT-1M (its rolling minute, whole IP; live exchanges only).',
        type: 'timeseries',
        unit: 'none',
        w: 18,
        h: 8,
        targets: [
          { expr: restWeightPerMinExpr(R, 'path'), legend: '{{path}}' },
          { expr: `max(${M.restBudget})`, legend: 'budget' },
          { expr: `max by (venue) (${M.restUsedWeight})`, legend: 'venue-reported used weight (1m)' },
        ],
        min: 0,
      },
      {
        title: 'REST requests and throttling',
        description: 'Snapshot requests sent per second by path, and 429 (rate limited) / 418 (banned) responses.',
        type: 'timeseries',
        unit: 'reqps',
        w: 24,
        h: 8,
        targets: [
          { expr: sumRate(M.restRequests, R, { by: 'path' }), legend: '{{path}} requests' },
          { expr: sumRate(M.restThrottled, R, { by: 'path' }), legend: '{{path}} 429/418' },
        ],
        min: 0,
      },
    ],
  },
];

/** Extra rows (e.g. REST weight panels) can be appended by callers that expose more metrics. */
export interface DashboardOptions {
  title?: string;
  uid?: string;
  extraRows?: { title: string; panels: PanelDef[] }[];
}
export type { PanelDef };

function panel(p: PanelDef, id: number, x: number, y: number): Json {
  const defaults: Json = { unit: p.unit };
  if (p.min !== undefined) defaults.min = p.min;
  if (p.max !== undefined) defaults.max = p.max;
  if (p.thresholds) defaults.thresholds = { mode: 'absolute', steps: p.thresholds.map(([v, color], i) => ({ color, value: i === 0 ? null : v })) };
  if (p.type === 'timeseries' && p.thresholds) defaults.custom = { thresholdsStyle: { mode: 'line' } };
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource: DS,
    gridPos: { h: p.h, w: p.w, x, y },
    fieldConfig: { defaults, overrides: [] },
    options: p.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'area' } : { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'none' } },
    targets: p.targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource: DS, expr: t.expr, legendFormat: t.legend, range: true })),
  };
}

export function grafanaDashboard(opts: DashboardOptions = {}): Json {
  const panels: Json[] = [];
  let id = 1;
  let y = 0;
  for (const row of [...ROWS, ...(opts.extraRows ?? [])]) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let rowH = 0;
    for (const p of row.panels) {
      if (x + p.w > 24) {
        x = 0;
        y += rowH;
        rowH = 0;
      }
      panels.push(panel(p, id++, x, y));
      x += p.w;
      rowH = Math.max(rowH, p.h);
    }
    y += rowH;
  }
  return {
    title: opts.title ?? 'mdcache: order-book cache',
    uid: opts.uid ?? 'mdcache-cache',
    description: 'mm_md_* metrics of the mdcache order-book cache and of `mdcache shadow` (generated by `mdcache export grafana`).',
    tags: ['mdcache', 'market-data'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    timezone: 'utc',
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [],
    annotations: { list: [] },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '', options: [] },
        {
          name: 'symbol',
          label: 'Symbol',
          type: 'query',
          datasource: DS,
          query: { query: `label_values(${M.hit}, symbol)`, refId: 'symbols' },
          includeAll: true,
          multi: true,
          allValue: '.*',
          current: { text: 'All', value: '$__all' },
          refresh: 2,
          sort: 1,
          hide: 0,
          options: [],
        },
      ],
    },
    panels,
  };
}
