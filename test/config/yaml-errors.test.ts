/** YAML that parses but cannot be resolved (found by fuzzing): a clear ConfigError (exit 2), not a ReferenceError. */
import { describe, it, expect } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { parseYaml } from '../../src/config/load.js';
import { parseScenario } from '../../src/scenario/scenario.js';
import { parseProdConfig } from '../../src/ops/prod-config.js';

describe('parseYaml: unresolvable documents', () => {
  it('an alias to an anchor defined nowhere or later is a ConfigError naming the file', () => {
    for (const text of ['*Tw<BMnfW4', 'a: *x', 'a: *x\nb: &x 1']) {
      expect(() => parseYaml(text, 'f.yaml')).toThrow(ConfigError);
      expect(() => parseYaml(text, 'f.yaml')).toThrow(/f\.yaml/);
    }
    expect(() => parseScenario('name: x\nseed: *s', 's.yaml')).toThrow(ConfigError);
    expect(() => parseProdConfig('source: *src', 'prod.yaml')).toThrow(ConfigError);
  });
});
