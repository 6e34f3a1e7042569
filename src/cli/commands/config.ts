/** `mdcache config validate FILE` and `mdcache config defaults`. */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { parseConfig, parseYaml, readTextFile } from '../../config/load.js';
import { isObj } from '../../config/reader.js';
import { renderDefaultConfig } from '../../config/defaults-doc.js';
import { parseBenchScenario } from '../../sim/bench-scenario.js';
import { loadProdConfig } from '../../ops/prod-config.js';

export type DocumentKind = 'prod' | 'scenario' | 'config';

/**
 * What kind of file `config validate` was given: an operations config (has source/shadow/canary), a
 * scenario (has name/duration/symbols/market/rest), else a cache config (an md_cache: block).
 */
export function documentKind(data: unknown): DocumentKind {
  if (!isObj(data)) return 'config';
  if (['source', 'shadow', 'canary'].some((k) => k in data)) return 'prod';
  if (['name', 'duration', 'symbols', 'market', 'rest'].some((k) => k in data)) return 'scenario';
  return 'config';
}

const KIND_LABEL: Record<DocumentKind, string> = {
  prod: 'an operations config (shadow/canary, like examples/prod.yaml)',
  scenario: 'a scenario (bench/generate/exchange --scenario)',
  config: 'a cache config (md_cache:)',
};

/** Validates a file as what it is, with the defaults the commands that read it use. */
export function validateFile(file: string): { kind: DocumentKind; resolved: unknown } {
  const data = parseYaml(readTextFile(file, 'config file'), file);
  const kind = documentKind(data);
  if (kind === 'prod') {
    const { file: _f, ...cfg } = loadProdConfig(file);
    return { kind, resolved: cfg };
  }
  if (kind === 'scenario') {
    const b = parseBenchScenario(data, file);
    const { source: _s, pipeline: _p, md_cache: _m, gates: _g, ...scenario } = b.scenario;
    return { kind, resolved: { ...scenario, pipeline: b.pipeline, md_cache: b.mdCache, ...(b.gates ? { gates: b.gates } : {}) } };
  }
  return { kind, resolved: parseConfig(data, file) };
}

export function registerConfig(program: Command): void {
  const config = program.command('config').description('validate a config file or print the defaults');
  config
    .command('validate')
    .argument('<file>', 'a YAML file: a cache config (md_cache:), a scenario (scenarios/*.yaml) or an operations config (examples/prod.yaml)')
    .option('--json', 'print the resolved document as JSON')
    .description('validate a cache config, a scenario or an operations config; prints it resolved with defaults (exit 0) or every problem (exit 2)')
    .addHelpText('after', '\nThe kind is detected: source/shadow/canary keys → operations config; name/duration/symbols/market/rest → scenario; else an md_cache: config.\n\nExamples:\n  $ mdcache config validate examples/prod.yaml --json\n  $ mdcache config validate scenarios/flaky-ws.yaml')
    .action((file: string, opts: { json?: boolean }) => {
      const { kind, resolved } = validateFile(file);
      process.stdout.write(opts.json ? JSON.stringify(resolved, null, 2) + '\n' : `# ${file}: valid, ${KIND_LABEL[kind]}; resolved with defaults\n${stringify(resolved)}`);
    });
  config
    .command('defaults')
    .description('print a commented default config')
    .action(() => {
      process.stdout.write(renderDefaultConfig());
    });
}
