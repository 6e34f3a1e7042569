/**
 * The CLI: a thin shell over library functions. Only this folder imports commander.
 *
 * Commands load lazily: the program is built from the COMMANDS table (name, help line) and only the command
 * being run — or asked for with `help <command>` / `<command> --help` — imports its module (and, through it,
 * the simulator, ws, yaml, prom-client, …). `mdcache --version` and `mdcache --help` import no command at
 * all. test/cli/lazy-main.test.ts checks that the table matches what the command modules register.
 */
import { Command, CommanderError, Help } from 'commander';
import { exitCodeFor } from './exit.js';
import { VERSION } from './version.js';
import { tolerateClosedPipe } from './closed-pipe.js';

/** One top-level command: its name, its help line (as commander prints it) and how to register it for real. */
export interface LazyCommand {
  readonly name: string;
  /** The term in the top-level help, e.g. `gate [options] <results>`. */
  readonly term: string;
  readonly description: string;
  load(): Promise<(program: Command) => void>;
}

/** Every top-level command, in help order. A new command goes here (not as a static import). */
export const COMMANDS: readonly LazyCommand[] = [
  {
    name: 'bench',
    term: 'bench [options]',
    description: 'compare the uncached and the cached fetch path on the same seeded workload; exit 1 when a gate does not pass',
    load: async () => (await import('./commands/bench.js')).registerBench,
  },
  {
    name: 'sweep',
    term: 'sweep [options]',
    description: 'run a grid of md_cache configurations (each vs uncached on the same workload) in parallel and recommend one; exit 0 when a point passes, 1 when none does',
    load: async () => (await import('./commands/sweep.js')).registerSweep,
  },
  {
    name: 'exchange',
    term: 'exchange [options]',
    description: "serve a Binance-compatible REST + WebSocket exchange on loopback, driven by a scenario's seeded market (its faults happen on the wire)",
    load: async () => (await import('./commands/exchange.js')).registerExchange,
  },
  {
    name: 'shadow',
    term: 'shadow [options]',
    description: 'run the cached path in shadow of the uncached one on the same ticks; measure latency and book divergence',
    load: async () => (await import('./commands/shadow.js')).registerShadow,
  },
  {
    name: 'canary',
    term: 'canary [options]',
    description: 'staged rollout of the cache (e.g. 10 % → 50 % → 100 % of symbols) with rollback conditions per step; exit 0 promoted, 1 rolled back/halted',
    load: async () => (await import('./commands/canary.js')).registerCanary,
  },
  {
    name: 'config',
    term: 'config',
    description: 'validate a config file or print the defaults',
    load: async () => (await import('./commands/config.js')).registerConfig,
  },
  {
    name: 'generate',
    term: 'generate [options]',
    description: 'write a scenario\'s synthetic market event stream (ground truth + what was delivered) as JSONL',
    load: async () => (await import('./commands/generate.js')).registerGenerate,
  },
  {
    name: 'gate',
    term: 'gate [options] <results>',
    description: 're-evaluate the gates of a saved run; exit 0 pass, 1 fail or inconclusive, 2 bad input',
    load: async () => (await import('./commands/gate.js')).registerGate,
  },
  {
    name: 'report',
    term: 'report [options] <results>',
    description: 're-render report.md and its SVG charts from a saved run',
    load: async () => (await import('./commands/report.js')).registerReport,
  },
  {
    name: 'compare',
    term: 'compare [options] <a> <b>',
    description: 'compare two runs: per path p50/p95/p99 of fetch_md and tick_total, hit ratio, deadline miss; ~ when not significant',
    load: async () => (await import('./commands/compare.js')).registerCompare,
  },
  {
    name: 'merge',
    term: 'merge [options] <dirs...>',
    description: 'merge runs from several processes or hosts into one results.json + report: histograms added exactly, counters summed, windows aligned; exit 2 on runs of different scenarios unless --force',
    load: async () => (await import('./commands/merge.js')).registerMerge,
  },
  {
    name: 'record',
    term: 'record [options]',
    description: 'record a Binance-compatible depth stream (REST snapshots + WebSocket diffs) as mdcache-events/1 JSONL for replay',
    load: async () => (await import('./commands/record.js')).registerRecord,
  },
  {
    name: 'import',
    term: 'import',
    description: 'convert market data recorded elsewhere into an mdcache-events/1 recording for replay',
    load: async () => (await import('./commands/import.js')).registerImport,
  },
  {
    name: 'export',
    term: 'export',
    description: 'operations kit: a Grafana dashboard and Prometheus alert rules for the mm_md_* metrics',
    load: async () => (await import('./commands/export.js')).registerExport,
  },
];

function baseProgram(): Command {
  return new Command('mdcache')
    .description('Market-data order-book cache and the proving ground that shows it is safe to ship.')
    .version(VERSION, '-V, --version')
    .option('--no-color', 'disable colours (also honours NO_COLOR)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
}

function finish(program: Command): Command {
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

/** The top-level command named by argv (the first operand; `help X` names X), if any. */
export function commandNamed(argv: readonly string[]): string | undefined {
  const operands = argv.slice(2).filter((a) => !a.startsWith('-'));
  return operands[0] === 'help' ? operands[1] : operands[0];
}

/**
 * The program for one invocation: the command argv names is registered for real (its module imported); every
 * other command is a placeholder carrying only its help line, which is all `mdcache --help` shows of it.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const wanted = commandNamed(argv);
  const program = baseProgram();
  const terms = new Map<string, string>();
  for (const c of COMMANDS) {
    if (c.name === wanted) (await c.load())(program);
    else {
      program.command(c.name).description(c.description);
      terms.set(c.name, c.term);
    }
  }
  const plain = new Help();
  program.configureHelp({ subcommandTerm: (cmd: Command) => terms.get(cmd.name()) ?? plain.subcommandTerm(cmd) });
  return finish(program);
}

/** Every command registered for real (what the placeholders stand for; used by tests and tools). */
export async function buildFullProgram(): Promise<Command> {
  const program = baseProgram();
  for (const c of COMMANDS) (await c.load())(program);
  return finish(program);
}

export async function main(argv: string[]): Promise<void> {
  tolerateClosedPipe(process.stdout);
  tolerateClosedPipe(process.stderr);
  if (argv.includes('--no-color')) process.env.NO_COLOR = '1';
  let code = 0;
  try {
    await (await buildProgram(argv)).parseAsync(argv);
  } catch (err) {
    const { code: c, message } = exitCodeFor(err);
    if (message && !(err instanceof CommanderError)) process.stderr.write(message.endsWith('\n') ? message : message + '\n');
    code = c;
  }
  process.exitCode = code;
}
