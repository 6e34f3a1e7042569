/**
 * `mdcache export grafana [--out FILE]` and `mdcache export alerts [--gates FILE] [--out FILE] [--for 5m]`:
 * the operations kit — a Grafana dashboard for the mm_md_* metrics and Prometheus alert rules generated from
 * the gates and the canary rollback conditions. Output to stdout, or atomically to --out.
 */
import type { Command } from 'commander';
import { writeFileAtomic } from '../../io/atomic.js';
import { UsageError } from '../../core/errors.js';
import { ERROR_DEFAULT_GATES, ROLLBACK_GATES, loadGatesFile } from '../../gates/spec.js';
import { grafanaDashboard } from '../../ops/grafana.js';
import { alertRules } from '../../ops/alerts.js';
import { intFlag } from '../options.js';

function emit(text: string, out: string | undefined): void {
  if (out) {
    writeFileAtomic(out, text);
    process.stderr.write(`wrote ${out}\n`);
  } else process.stdout.write(text);
}

function promDuration(v: string): string {
  if (!/^([0-9]+(ms|s|m|h|d|w|y))+$/.test(v.trim())) throw new UsageError(`--for: invalid duration '${v}', use a Prometheus duration, e.g. 5m, 90s, 1h`);
  return v.trim();
}

export function registerExport(program: Command): void {
  const exp = program.command('export').description('operations kit: a Grafana dashboard and Prometheus alert rules for the mm_md_* metrics');
  exp
    .command('grafana')
    .description('write a Grafana dashboard (JSON) for the mm_md_* metrics: hit ratio, age, refresh latency, shadow divergence, REST weight')
    .option('--out <file>', 'write the dashboard here (atomically) instead of stdout')
    .addHelpText('after', '\nExample:\n  $ mdcache export grafana --out mdcache-dashboard.json   # then Dashboards → Import in Grafana')
    .action((opts: { out?: string }) => emit(JSON.stringify(grafanaDashboard(), null, 2) + '\n', opts.out));
  exp
    .command('alerts')
    .description('write Prometheus alerting rules generated from the gates (warning) and the canary rollback conditions (critical)')
    .option('--gates <file>', 'YAML file with a gates: list (default: the default gates)')
    .option('--out <file>', 'write the rules here (atomically) instead of stdout')
    .option('--for <duration>', 'how long a condition must hold before the alert fires', promDuration, '5m')
    .option('--rest-budget-pct <n>', 'the REST weight alerts fire above this share of rest.budget.weight_per_min (percent)', intFlag('--rest-budget-pct', 1, 100), 80)
    .addHelpText('after', '\nExamples:\n  $ mdcache export alerts --out mdcache-alerts.yml && promtool check rules mdcache-alerts.yml\n  $ mdcache export alerts --gates scenarios/ci.yaml --for 10m --rest-budget-pct 90')
    .action((opts: { gates?: string; out?: string; for: string; restBudgetPct: number }) => {
      const gates = opts.gates ? loadGatesFile(opts.gates) : ERROR_DEFAULT_GATES;
      const r = alertRules(gates, ROLLBACK_GATES, { forDuration: opts.for, restBudgetShare: opts.restBudgetPct / 100 });
      for (const s of r.skipped) process.stderr.write(`skipped: ${s.gate} (${s.reason})\n`);
      emit(r.yaml, opts.out);
    });
  for (const c of exp.commands) c.exitOverride().showHelpAfterError('(run with --help for usage)');
}
