/** Config parsing (pure) and loading (file IO). Every problem is collected before failing. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { LineCounter, YAMLError } from 'yaml';
import { ConfigError, UsageError } from '../core/errors.js';
import { Reader } from './reader.js';
import { readMdCache, type MdCacheConfig } from './md-cache.js';

export interface Config {
  md_cache: MdCacheConfig;
}

/** Top-level keys of the other documents (scenario, prod.yaml) that a config file may also hold. */
export const SIBLING_TOP_LEVEL_KEYS = ['name', 'description', 'seed', 'symbols', 'market', 'rest', 'pipeline', 'gates', 'source', 'shadow', 'canary', 'fleet'];

// yaml is loaded on the first parse, not when the package is imported (`import { MDCache } from 'mdcache'` stays lean).
let yamlLib: typeof import('yaml') | undefined;
function yaml(): typeof import('yaml') {
  return (yamlLib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));
}

/** Parses YAML text into plain data; syntax errors become a ConfigError with line:column. */
export function parseYaml(text: string, source = 'input'): unknown {
  if (text.length > MAX_YAML_CHARS) {
    throw new ConfigError([{ path: '', message: `YAML document too large: ${text.length} characters; configs, scenarios and gates files take at most ${MAX_YAML_CHARS}` }], source);
  }
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  try {
    const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
    if (doc.errors.length > 0) {
      throw new ConfigError(doc.errors.map((e: YAMLError) => ({ path: '', message: yamlErrorMessage(e, source, lineCounter) })), source);
    }
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // yaml throws a ReferenceError for an alias bomb ("billion laughs"); deep nesting can overflow the stack.
    const why =
      err instanceof ReferenceError && /excessive alias count/i.test(err.message)
        ? `too many alias expansions (more than ${MAX_YAML_ALIASES}; an alias bomb?)`
        : err instanceof RangeError
          ? 'nested too deeply'
          : // e.g. an alias to an anchor defined later or nowhere
            `YAML error in ${source}: ${(err as Error).message.split('\n')[0]}`;
    throw new ConfigError([{ path: '', message: why.startsWith('YAML error') ? why : `YAML document refused: ${why}` }], source);
  }
}

/** Resource limits of every YAML document the CLI reads (configs, scenarios, gates files). */
export const MAX_YAML_CHARS = 1_000_000;
export const MAX_YAML_ALIASES = 100;

function yamlErrorMessage(e: YAMLError, source: string, lc: LineCounter): string {
  // With prettyErrors off, yaml leaves linePos unset: derive line:column from the error's offset.
  const pos = e.linePos?.[0] ?? (e.pos ? lc.linePos(e.pos[0]) : undefined);
  const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
  const first = e.message.split('\n')[0];
  return `YAML syntax error at ${where}: ${first}`;
}

/** Validates a parsed document (or YAML text) into a Config. Throws ConfigError listing every problem. */
export function parseConfig(input: unknown, source = 'config'): Config {
  const data = typeof input === 'string' ? parseYaml(input, source) : input;
  const r = new Reader();
  const top = r.object(data ?? {}, '');
  if (top) r.unknownKeys(top, '', ['md_cache', ...SIBLING_TOP_LEVEL_KEYS]);
  const md_cache = readMdCache(r, top?.md_cache, 'md_cache');
  if (!r.ok) throw new ConfigError(r.problems, source);
  return { md_cache };
}

/** Reads a file's text; a missing or unreadable file is a UsageError (exit 2) naming the file. */
export function readTextFile(file: string, what = 'file'): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${what} not found: ${file}`);
    if (code === 'EISDIR') throw new UsageError(`${what} is a directory, not a file: ${file}`);
    if (code === 'EACCES') throw new UsageError(`${what} is not readable (permission denied): ${file}`);
    throw new UsageError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

export function loadConfig(file: string): Config {
  return parseConfig(parseYaml(readTextFile(file, 'config file'), file), file);
}
