/** The CLI: a thin shell over library functions. Only this folder imports commander. */
import { Command, CommanderError } from 'commander';
import { exitCodeFor } from './exit.js';
import { registerConfig } from './commands/config.js';
import { registerGenerate } from './commands/generate.js';
import { registerGateCommands } from './commands/gate.js';

import { VERSION } from './version.js';
import { registerBench } from './commands/bench.js';
import { registerExchange } from './commands/exchange.js';
import { registerShadow } from './commands/shadow.js';
import { registerCanary } from './commands/canary.js';
import { registerExport } from './commands/export.js';

export function buildProgram(): Command {
  const program = new Command('mdcache')
    .description('Market-data order-book cache and the proving ground that shows it is safe to ship.')
    .version(VERSION, '-V, --version')
    .option('--no-color', 'disable colours (also honours NO_COLOR)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerBench(program);
  registerExchange(program);
  registerShadow(program);
  registerCanary(program);
  registerConfig(program);
  registerGenerate(program);
  registerGateCommands(program);
  registerExport(program);
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--no-color')) process.env.NO_COLOR = '1';
  let code = 0;
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const { code: c, message } = exitCodeFor(err);
    if (message && !(err instanceof CommanderError)) process.stderr.write(message.endsWith('\n') ? message : message + '\n');
    code = c;
  }
  process.exitCode = code;
}
