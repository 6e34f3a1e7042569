/**
 * `mdcache shadow --config prod.yaml`: control = uncached (what the pipeline uses), candidate = cached (only
 * measured and compared), with /metrics while it runs. SIGINT/SIGTERM stop it cleanly: the report of what ran
 * is written (marked interrupted) and the exit code is 0.
 */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { RealClock } from '../../core/clock.js';
import { formatDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { startMetricsServer } from '../../metrics/server.js';
import { checkOutputFile, ensureOutputDir } from '../../io/atomic.js';
import { listenError } from '../listen.js';
import { checkRunLength } from '../limits.js';
import { EXIT, ExitCode } from '../exit.js';
import { loadProdConfig } from '../../ops/prod-config.js';
import { runShadow } from '../../ops/shadow.js';
import { renderShadowSections } from '../../report/shadow.js';
import { durationFlag, intFlag } from '../options.js';
import { progressBar } from '../progress.js';
import { exitOnVerdict, writeRunOutput } from '../run-output.js';
import { stopOnSignals } from '../signals.js';
import { VERSION } from '../version.js';
import { runId } from './bench.js';

interface ShadowFlags {
  config: string;
  duration?: number;
  metricsPort?: number;
  metricsHost?: string;
  metrics: boolean;
  out?: string;
  realtime?: boolean;
  json?: boolean;
  progress: boolean;
  gate: boolean;
  junit?: string;
}

export function registerShadow(program: Command): void {
  program
    .command('shadow')
    .description('run the cached path in shadow of the uncached one on the same ticks; measure latency and book divergence')
    .requiredOption('--config <file>', 'operations config (see examples/prod.yaml)')
    .option('--duration <d>', 'how long to shadow (default: shadow.duration in the config, 60m)', durationFlag('--duration'))
    .option('--metrics-port <n>', 'Prometheus /metrics port (default: shadow.metrics_port, 9464; 0 = any free port)', intFlag('--metrics-port', 0, 65535))
    .option('--metrics-host <host>', 'address to bind /metrics to (default 127.0.0.1)')
    .option('--no-metrics', 'do not serve /metrics')
    .option('--out <dir>', 'output directory (default: reports/<run-id>/)')
    .option('--realtime', 'run on the real clock (synthetic and replay sources default to virtual time)')
    .option('--json', 'print results JSON to stdout')
    .option('--no-progress', 'no progress bar')
    .option('--no-gate', 'do not evaluate gates')
    .option('--junit <file>', 'also write JUnit XML, one testcase per gate')
    .addHelpText('after', '\nExamples:\n  $ mdcache shadow --config examples/prod.yaml\n  $ mdcache shadow --config prod.yaml --duration 10m --realtime --metrics-port 9464')
    .action(async (f: ShadowFlags) => {
      const config = loadProdConfig(f.config);
      const durationMs = f.duration ?? config.shadow.duration_ms;
      if (f.junit !== undefined && !f.gate) throw new UsageError('--junit conflicts with --no-gate: the JUnit file has one testcase per gate, and --no-gate evaluates none');
      // Shadowing may run up to 24h on the real clock (bench: 1h); virtual runs and windows have the bench's limits.
      if (f.realtime && durationMs > 24 * 3_600_000) throw new UsageError(`--duration: ${formatDuration(durationMs)} is longer than 24h`);
      checkRunLength(durationMs, config.shadow.window_ms, false);
      if (f.junit) checkOutputFile('--junit', f.junit);
      const scenarioLabel = config.source.type === 'binance' ? 'binance' : config.source.scenario;
      const id = runId(`shadow-${scenarioLabel}`, config.source.type === 'binance' ? 0 : config.source.seed ?? 0);
      const outDir = f.out ?? join('reports', id);
      const removeIfEmpty = ensureOutputDir(outDir);
      const registry = new Registry();
      const server = f.metrics
        ? await startMetricsServer(registry, {
            host: f.metricsHost ?? config.shadow.metrics_host,
            port: f.metricsPort ?? config.shadow.metrics_port,
          }).catch((err: NodeJS.ErrnoException) => {
            const host = f.metricsHost ?? config.shadow.metrics_host;
            const port = f.metricsPort ?? config.shadow.metrics_port;
            const e = listenError(host, port, err, { host: '--metrics-host', port: '--metrics-port' });
            throw e instanceof UsageError ? new UsageError(`${e.message}; or --no-metrics`) : new UsageError(`--metrics-port: cannot listen on ${host}:${port}: ${err.code ?? err.message}`);
          })
        : undefined;
      if (server) process.stderr.write(`metrics: ${server.url}/metrics  health: ${server.url}/healthz\n`);
      const stop = stopOnSignals((sig) => process.stderr.write(`\n${sig}: stopping; writing the report of what ran...\n`));
      const host = new RealClock();
      const progress = progressBar('shadow', durationMs, () => host.now(), f.progress);
      try {
        const { results, hlogs } = await runShadow({
          config,
          durationMs,
          realtime: f.realtime,
          registry,
          signal: stop.signal,
          run: { id, command: `mdcache shadow --config ${f.config} --duration ${formatDuration(durationMs)}${f.realtime ? ' --realtime' : ''}`, version: VERSION, host: hostname() },
          onProgress: (t) => progress.update(t),
        }).catch((err: unknown) => {
          removeIfEmpty();
          throw err;
        });
        progress.done();
        if (!f.gate) {
          delete results.gates;
          delete results.verdict;
        }
        const s = results.shadow!;
        writeRunOutput(results, hlogs, {
          outDir,
          json: f.json,
          junit: f.junit,
          command: 'mdcache shadow',
          report: { title: `mdcache shadow: ${scenarioLabel}`, extraSections: [renderShadowSections(s)] },
          extraSummary: `shadow: ${s.compared} ticks compared; top of book differed on ${(s.tob_mismatch_ratio * 100).toFixed(2)} % (p99 ${s.tob_mismatch_ticks.p99} ticks), depth on ${(s.depth_mismatch_ratio * 100).toFixed(2)} %${results.run.interrupted ? '; INTERRUPTED' : ''}\n`,
        });
        // Like bench: an interrupted shadow never passes its gates (its figures cover part of the run).
        if (results.run.interrupted && f.gate) throw new ExitCode(EXIT.gate, `mdcache: shadow interrupted after ${formatDuration(results.duration_ms)} of ${formatDuration(durationMs)}; the results cover what ran and are not a pass`);
        exitOnVerdict(results);
      } finally {
        stop.dispose();
        await server?.close();
      }
    });
}
