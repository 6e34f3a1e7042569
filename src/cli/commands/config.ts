/** `mdcache config validate FILE` and `mdcache config defaults`. */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig } from '../../config/load.js';
import { renderDefaultConfig } from '../../config/defaults-doc.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('validate a config file or print the defaults');
  config
    .command('validate')
    .argument('<file>', 'YAML file with an md_cache: block')
    .option('--json', 'print the resolved config as JSON')
    .description('validate a config; prints the resolved config (exit 0) or every problem (exit 2)')
    .addHelpText('after', '\nExample:\n  $ mdcache config validate examples/prod.yaml --json')
    .action((file: string, opts: { json?: boolean }) => {
      const cfg = loadConfig(file);
      process.stdout.write(opts.json ? JSON.stringify(cfg, null, 2) + '\n' : stringify(cfg));
    });
  config
    .command('defaults')
    .description('print a commented default config')
    .action(() => {
      process.stdout.write(renderDefaultConfig());
    });
}
