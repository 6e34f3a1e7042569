/** `mdcache generate --scenario NAME|FILE --duration 10m --seed N --out FILE.jsonl` */
import { RealClock, hostElapsedMs } from '../../core/clock.js';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { durationFlag, intFlag } from '../options.js';
import { listScenarios, loadScenario, MAX_SYMBOLS, withSymbolCount } from '../../scenario/scenario.js';
import { generateToFileAsync } from '../../scenario/generate.js';
import { checkOutputFile } from '../../io/atomic.js';
import { stopOnSignals } from '../signals.js';
import { EXIT, ExitCode } from '../exit.js';
import { MAX_VIRTUAL_DURATION_MS } from '../../sim/limits.js';

interface GenerateFlags {
  scenario?: string;
  duration?: number;
  seed?: number;
  out?: string;
  symbols?: number;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('write a scenario\'s synthetic market event stream (ground truth + what was delivered) as JSONL')
    .requiredOption('--scenario <name|file>', `shipped scenario name (${listScenarios().join(', ')}) or a YAML file`)
    .option('--duration <dur>', 'simulated time, e.g. 90s, 10m (default: the scenario\'s duration, else 10m)', durationFlag('--duration'))
    .option('--seed <n>', 'overrides the scenario seed', intFlag('--seed', 0, Number.MAX_SAFE_INTEGER))
    .option('--symbols <n>', 'overrides the number of symbols', intFlag('--symbols', 1, MAX_SYMBOLS))
    .requiredOption('--out <file.jsonl>', 'output file (written atomically)')
    .addHelpText('after', '\nExample:\n  $ mdcache generate --scenario flaky-ws --duration 10m --seed 7 --out flaky.jsonl')
    .action(async (opts: GenerateFlags) => {
      if (!opts.out) throw new UsageError('--out: missing output file');
      let scenario = loadScenario(opts.scenario!);
      if (opts.symbols !== undefined) scenario = withSymbolCount(scenario, opts.symbols);
      const durationMs = opts.duration ?? scenario.duration_ms ?? 600_000;
      if (durationMs > MAX_VIRTUAL_DURATION_MS) throw new UsageError(`--duration: ${formatDuration(durationMs)} is too long; generate takes at most 24h`);
      checkOutputFile('--out', opts.out);
      const tty = process.stderr.isTTY === true;
      const started = hostElapsedMs();
      let lastPct = -1;
      // Yield to the event loop every ~50 ms of work so SIGINT/SIGTERM can stop the run (and remove the temp file).
      const host = new RealClock();
      let lastYield = host.now();
      const pause = (): Promise<void> | undefined => {
        if (host.now() - lastYield < 50) return undefined;
        return host.sleep(0).then(() => void (lastYield = host.now()));
      };
      const stop = stopOnSignals();
      const stats = await generateToFileAsync(
        {
          scenario,
          seed: opts.seed,
          durationMs,
          onProgress: tty
            ? (f, st) => {
                const pct = Math.floor(f * 100);
                if (pct !== lastPct) {
                  lastPct = pct;
                  process.stderr.write(`\rgenerating ${scenario.name}: ${pct}% (${st.events} events)`);
                }
              }
            : undefined,
        },
        opts.out,
        { pause, signal: stop.signal },
      )
        .catch((err: unknown) => {
          const by = stop.stoppedBy();
          if (by) throw new ExitCode(EXIT.gate, `${tty ? '\n' : ''}mdcache: generate stopped by ${by}; nothing written to ${opts.out}`);
          throw err;
        })
        .finally(() => stop.dispose());
      if (tty) process.stderr.write('\n');
      const secs = (hostElapsedMs() - started) / 1000;
      process.stderr.write(
        `wrote ${opts.out}: ${stats.events} events (${stats.delivered} delivered) over ${formatDuration(durationMs)} of scenario ${scenario.name}, seed ${opts.seed ?? scenario.seed}, in ${secs.toFixed(1)} s\n`,
      );
    });
}
