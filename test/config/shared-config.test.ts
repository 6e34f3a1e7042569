import { describe, it, expect } from 'vitest';
import { Reader } from '../../src/config/reader.js';
import { readMdCache, SHARED_DEFAULTS } from '../../src/config/md-cache.js';
import { renderDefaultConfig } from '../../src/config/defaults-doc.js';

const read = (raw: unknown) => {
  const r = new Reader();
  const cfg = readMdCache(r, raw);
  return { cfg, problems: r.problems.map((p) => `${p.path}: ${p.message}`) };
};

describe('md_cache.shared', () => {
  it('is off by default', () => {
    expect(read({}).cfg.shared).toBeUndefined();
  });
  it('fills defaults', () => {
    const { cfg, problems } = read({ shared: { type: 'redis', url: 'redis://10.0.0.5:6380' } });
    expect(problems).toEqual([]);
    expect(cfg.shared).toEqual({ ...SHARED_DEFAULTS, url: 'redis://10.0.0.5:6380' });
  });
  it('rejects a bad URL, a bad type, out-of-range numbers and unknown keys', () => {
    const { problems } = read({ shared: { type: 'memcached', url: 'http://x', lease_ms: 0, command_timeout_ms: -1, leese_ms: 5 } });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^md_cache\.shared\.type: .*redis/),
        expect.stringMatching(/^md_cache\.shared\.url: .*redis:\/\//),
        expect.stringMatching(/^md_cache\.shared\.lease_ms: 0 is out of range/),
        expect.stringMatching(/^md_cache\.shared\.command_timeout_ms: /),
        expect.stringMatching(/^md_cache\.shared\.leese_ms: unknown key \(did you mean 'lease_ms'/),
      ]),
    );
    expect(read({ shared: { url: 'not a url' } }).problems[0]).toMatch(/not a URL/);
  });
  it('is listed (commented out) in the default config', () => {
    expect(renderDefaultConfig()).toMatch(/# shared:[\s\S]*#   lease_ms: 250/);
  });
});
