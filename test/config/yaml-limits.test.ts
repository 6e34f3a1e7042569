/** #15.8: YAML resource exhaustion (alias bombs, deep nesting, huge documents) is a clear ConfigError (exit 2), never a crash. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { MAX_YAML_CHARS, parseYaml } from '../../src/config/load.js';
import { loadGatesFile, parseGatesDocument } from '../../src/gates/spec.js';
import { parseScenario } from '../../src/scenario/scenario.js';

/** A "billion laughs" document: 9^7 expansions of 'x' from a few hundred bytes. */
function aliasBomb(extra: string): string {
  const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  const names = 'abcdefg';
  for (let i = 1; i < names.length; i++) rows.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(',')}]`);
  return rows.join('\n') + '\n' + extra;
}

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => p.message).join('\n');
  }
  throw new Error('expected a ConfigError');
}

describe('YAML limits', () => {
  it('an alias bomb in a config, a scenario or a gates document is refused with a reason', () => {
    expect(problemOf(() => parseYaml(aliasBomb('md_cache: { ttl_ms: 100 }'), 'c.yaml'))).toBe('YAML document refused: too many alias expansions (more than 100; an alias bomb?)');
    expect(problemOf(() => parseScenario(aliasBomb('name: x'), 's.yaml'))).toMatch(/alias bomb/);
    expect(problemOf(() => parseGatesDocument(parseYaml(aliasBomb('gates: [*g]'), 'g.yaml')))).toMatch(/alias bomb/);
  });

  it('a few aliases (normal YAML anchors) still work', () => {
    expect(parseYaml('base: &b { ttl_ms: 100 }\nmd_cache: *b\n')).toEqual({ base: { ttl_ms: 100 }, md_cache: { ttl_ms: 100 } });
  });

  it('deep nesting and oversized documents are ConfigErrors', () => {
    expect(problemOf(() => parseYaml('a: ' + '['.repeat(5000) + ']'.repeat(5000)))).toMatch(/YAML/);
    expect(problemOf(() => parseYaml('a: "' + 'x'.repeat(MAX_YAML_CHARS) + '"'))).toMatch(/too large/);
  });

  it('a missing gates file is still a UsageError naming it', () => {
    expect(() => loadGatesFile('/nonexistent/gates.yaml')).toThrow(/gates file not found/);
  });
});
