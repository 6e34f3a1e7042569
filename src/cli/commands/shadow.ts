/**
 * `mdcache shadow --config prod.yaml`: control = uncached (what the pipeline uses), candidate = cached (only
 * measured and compared), with /metrics while it runs. SIGINT/SIGTERM stop it cleanly: the report of what ran
 * is written (marked interrupted) and the exit code is 1 (an interrupted run never passes its gates).
 *
 * With a binance source, `--processes N [--shared redis://…]` runs N real worker processes (the bench fleet
 * machinery: src/cli/fleet-procs.ts, fleet-run.ts), each shadowing its own ticks and writing its own results
 * and .hlog files (the divergence included); the parent merges them exactly (mergeRuns) and gates the merge.
 */
import { Option, type Command } from 'commander';
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
import { afterBarrier, joinFleet, workerRoleFlag, workerStreamPrefix, type WorkerRole } from '../fleet-worker.js';
import { checkRedisReachable, redisTierFactory, sharedFlag, withShared, writeWorkerOutput } from '../live-shared.js';
import { dropFlags } from '../fleet-procs.js';
import { runLiveFleet } from '../fleet-run.js';
import { resolveProdRun } from '../../ops/resolve.js';
import type { ShadowResult } from '../../results/types.js';
import { progressBar } from '../progress.js';
import { exitOnVerdict, writeRunOutput } from '../run-output.js';
import { stopOnSignals } from '../signals.js';
import { VERSION } from '../version.js';
import { MAX_WORKER_PROCESSES } from '../fleet-procs.js';
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
  processes?: number;
  shared?: string;
  fleetWorker?: WorkerRole;
}

function shadowSummary(s: ShadowResult, interrupted: boolean | undefined): string {
  return `shadow: ${s.compared} ticks compared; top of book differed on ${(s.tob_mismatch_ratio * 100).toFixed(2)} % (p99 ${s.tob_mismatch_ticks.p99} ticks), depth on ${(s.depth_mismatch_ratio * 100).toFixed(2)} %${interrupted ? '; INTERRUPTED' : ''}\n`;
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
    .option('--processes <n>', `with source.type binance: n real worker processes (at most ${MAX_WORKER_PROCESSES}), each shadowing its own ticks; the parent merges their results`, intFlag('--processes', 1, MAX_WORKER_PROCESSES))
    .option('--shared <url>', "with source.type binance: the Redis shared tier under the candidate's cache (md_cache.shared.url), e.g. redis://127.0.0.1:6379; checked before the run (unreachable: exit 2)", sharedFlag)
    .addOption(new Option('--fleet-worker <i/N>', 'internal: this process is worker i of a fleet started by --processes').argParser(workerRoleFlag).hideHelp())
    .addHelpText('after', '\nExamples:\n  $ mdcache shadow --config examples/prod.yaml\n  $ mdcache shadow --config prod.yaml --duration 10m --realtime --metrics-port 9464\n  $ mdcache shadow --config binance.yaml --duration 5m --processes 4 --shared redis://127.0.0.1:6379')
    .action(async (f: ShadowFlags) => {
      const config = loadProdConfig(f.config);
      const durationMs = f.duration ?? config.shadow.duration_ms;
      if (f.junit !== undefined && !f.gate) throw new UsageError('--junit conflicts with --no-gate: the JUnit file has one testcase per gate, and --no-gate evaluates none');
      const live = config.source.type === 'binance';
      if (!live) {
        for (const [flag, v] of [['--processes', f.processes], ['--shared', f.shared]] as const) {
          if (v !== undefined) throw new UsageError(`${flag} needs source.type: binance in ${f.config} (real worker processes against an exchange, real time, a real Redis); the source is ${config.source.type}`);
        }
        if (f.fleetWorker !== undefined) throw new UsageError('--fleet-worker is internal: it is set by --processes N on the worker processes it starts');
        // Said, not silently dropped: a Redis tier needs real processes on a real clock.
        if (config.md_cache.shared) process.stderr.write(`mdcache shadow: md_cache.shared is used with source.type: binance only; this ${config.source.type} shadow runs the candidate's cache without it (L1 only)\n`);
      }
      // The candidate's shared tier: --shared, else md_cache.shared of the config (live runs only).
      const sharedSource = f.shared !== undefined ? '--shared' : 'md_cache.shared';
      if (live) config.md_cache = withShared(config.md_cache, f.shared);
      const sharedCfg = live ? config.md_cache.shared : undefined;
      if (f.fleetWorker) joinFleet();
      // Shadowing may run up to 24h on the real clock (bench: 1h); virtual runs and windows have the bench's limits.
      if (f.realtime && durationMs > 24 * 3_600_000) throw new UsageError(`--duration: ${formatDuration(durationMs)} is longer than 24h`);
      checkRunLength(durationMs, config.shadow.window_ms, false);
      if (f.junit) checkOutputFile('--junit', f.junit);
      const scenarioLabel = config.source.type === 'binance' ? 'binance' : config.source.scenario;
      const id = runId(`shadow-${scenarioLabel}`, config.source.type === 'binance' ? 0 : config.source.seed ?? 0);
      const outDir = f.out ?? join('reports', id);
      // With a shared tier, an unreachable Redis is refused before anything runs (the library would fall back).
      if (sharedCfg && !f.fleetWorker) await checkRedisReachable(sharedCfg, sharedSource);
      const removeIfEmpty = ensureOutputDir(outDir);
      const command = `mdcache shadow --config ${f.config} --duration ${formatDuration(durationMs)}${f.realtime ? ' --realtime' : ''}`;
      if (f.processes !== undefined && !f.fleetWorker) {
        // The parent: N workers (this CLI with --fleet-worker i/N), each serving its own /metrics on a free port.
        const workerArgs = [...dropFlags(process.argv.slice(2), ['--processes', '--out', '--junit', '--metrics-port'], ['--json', '--no-gate', '--progress', '--no-progress']), '--no-gate', '--no-progress'];
        if (f.metrics) workerArgs.push('--metrics-port', '0');
        if (f.shared !== undefined && !workerArgs.some((a) => a === '--shared' || a.startsWith('--shared='))) workerArgs.push('--shared', f.shared);
        try {
          await runLiveFleet({
            label: 'mdcache shadow',
            processes: f.processes,
            outDir,
            workerArgs,
            bench: resolveProdRun(config).bench,
            shared: sharedCfg,
            run: { id, command: `${command} --processes ${f.processes}${f.shared ? ` --shared ${f.shared}` : ''}`, version: VERSION, host: hostname() },
            gates: f.gate ? undefined : null,
            durationMs,
            json: f.json,
            junit: f.junit,
            relay: /^metrics: /,
            report: (merged) => ({ title: `mdcache shadow: ${scenarioLabel}`, extraSections: merged.shadow ? [renderShadowSections(merged.shadow)] : [] }),
            extraSummary: (merged) => (merged.shadow ? shadowSummary(merged.shadow, merged.run.interrupted) : undefined),
          });
        } finally {
          removeIfEmpty();
        }
        return;
      }
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
        const shared = live && (await redisTierFactory(config.md_cache, (line) => process.stderr.write(`mdcache shadow: shared tier: ${line}\n`), registry, host));
        const { results, hlogs } = await runShadow({
          config,
          durationMs,
          realtime: f.realtime,
          registry,
          signal: stop.signal,
          run: { id, command, version: VERSION, host: hostname() },
          onProgress: (t) => progress.update(t),
          ...(shared ? { shared } : {}),
          ...(f.fleetWorker ? { wrapMarket: (m) => afterBarrier(m, stop.signal), streamPrefix: workerStreamPrefix(f.fleetWorker) } : {}),
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
        if (f.fleetWorker) {
          // A worker of a fleet: its own files only (the parent merges them and renders the report).
          results.run.fleet_worker = { index: f.fleetWorker.index, of: f.fleetWorker.of };
          writeWorkerOutput(results, hlogs, outDir);
          if (results.run.interrupted) throw new ExitCode(EXIT.gate, `mdcache: worker ${f.fleetWorker.index} interrupted after ${formatDuration(results.duration_ms)}`);
          return;
        }
        writeRunOutput(results, hlogs, {
          outDir,
          json: f.json,
          junit: f.junit,
          command: 'mdcache shadow',
          report: { title: `mdcache shadow: ${scenarioLabel}`, extraSections: [renderShadowSections(s)] },
          extraSummary: shadowSummary(s, results.run.interrupted),
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
