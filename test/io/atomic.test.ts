/** #15.25 / #15.29 / #15.6: temp files never outlive a failed or stopped write; failed runs leave no empty folder; unwritable outputs are refused up front. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutputFile, ensureOutputDir, removeTempFiles, writeFileAtomicWith, writeFileAtomicWithAsync } from '../../src/io/atomic.js';
import { UsageError } from '../../src/core/errors.js';
import { generateToFileAsync } from '../../src/scenario/generate.js';
import { loadScenario } from '../../src/scenario/scenario.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mdcache-atomic-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic writes', () => {
  it('a producer that throws leaves neither the file nor its temp file', async () => {
    const d = join(dir, 'throws');
    expect(() => writeFileAtomicWith(join(d, 'a.txt'), (w) => (w('x'), (() => { throw new Error('producer'); })()))).toThrow('producer');
    await expect(writeFileAtomicWithAsync(join(d, 'b.txt'), async (w) => (w('x'), Promise.reject(new Error('async producer'))))).rejects.toThrow('async producer');
    expect(readdirSync(d)).toEqual([]);
  });

  it('removeTempFiles (called when a signal ends the process) deletes the temp files of writes in progress', async () => {
    const d = join(dir, 'signal');
    let release!: () => void;
    const p = writeFileAtomicWithAsync(join(d, 'big.jsonl'), async (w) => {
      w('partial');
      await new Promise<void>((r) => (release = r));
    });
    expect(readdirSync(d).filter((f) => f.endsWith('.tmp'))).toHaveLength(1);
    removeTempFiles();
    expect(readdirSync(d)).toEqual([]);
    release();
    await expect(p).rejects.toThrow(); // the rename finds no temp file
    expect(readdirSync(d)).toEqual([]);
  });

  it('an aborted generate writes nothing and removes its temp file', async () => {
    const d = join(dir, 'gen');
    const ac = new AbortController();
    let chunks = 0;
    const p = generateToFileAsync({ scenario: loadScenario('baseline'), durationMs: 3_600_000 }, join(d, 'out.jsonl'), {
      signal: ac.signal,
      pause: () => {
        if (++chunks === 20) ac.abort(new Error('SIGINT'));
        return undefined;
      },
    });
    await expect(p).rejects.toThrow('SIGINT');
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('output folders', () => {
  it('ensureOutputDir returns a cleanup that removes only the empty folders it created', () => {
    const top = join(dir, 'new', 'deeper');
    const cleanup = ensureOutputDir(top);
    expect(existsSync(top)).toBe(true);
    cleanup();
    expect(existsSync(join(dir, 'new'))).toBe(false);
    expect(existsSync(dir)).toBe(true);

    const kept = join(dir, 'kept');
    const cleanup2 = ensureOutputDir(kept);
    writeFileSync(join(kept, 'results.json'), '{}');
    cleanup2();
    expect(existsSync(join(kept, 'results.json'))).toBe(true);

    mkdirSync(join(dir, 'existing'));
    ensureOutputDir(join(dir, 'existing'))();
    expect(existsSync(join(dir, 'existing'))).toBe(true); // not created by the call: never removed
  });

  it('checkOutputFile refuses a directory and an uncreatable folder, naming the flag', () => {
    expect(() => checkOutputFile('--junit', dir)).toThrow(UsageError);
    expect(() => checkOutputFile('--junit', dir)).toThrow(/^--junit: cannot write .*: it is a directory$/);
    writeFileSync(join(dir, 'afile'), 'x');
    expect(() => checkOutputFile('--junit', join(dir, 'afile', 'j.xml'))).toThrow(/^--junit: cannot write .*: a parent is a file, not a directory$/);
    expect(() => checkOutputFile('--junit', join(dir, 'ok', 'j.xml'))).not.toThrow();
  });
});
