/** Atomic file output: write a temp file in the same directory, fsync, then rename over the target. */
import { accessSync, constants, mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { UsageError } from '../core/errors.js';

let counter = 0;

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a parent is a file, not a directory',
  EISDIR: 'it is a directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such directory',
  EEXIST: 'a parent is a file, not a directory',
};

/** Turns a filesystem error into a UsageError (exit 2) that names the path and the reason. */
function outputError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code && WHY[code]) return new UsageError(`cannot write ${path}: ${WHY[code]}`);
  return err as Error;
}

/** Creates an output directory up front (so a long run fails at once, not at the end) and checks it is writable. */
export function ensureOutputDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw outputError(dir, err);
  }
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  writeFileAtomicWith(file, (write) => write(data));
}

/**
 * Streams a large file atomically: `produce` calls `write` with chunks (buffered to ~1 MiB); the file appears
 * under its name only when everything was written and synced. Returns what `produce` returned.
 */
export function writeFileAtomicWith<T>(file: string, produce: (write: (chunk: string | Uint8Array) => void) => T): T {
  const dir = dirname(file);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw outputError(dir, err);
  }
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${counter++}.tmp`);
  let fd: number | undefined;
  let produced = false;
  try {
    fd = openSync(tmp, 'w');
    const out = fd;
    let pending: string[] = [];
    let size = 0;
    const flush = (): void => {
      if (pending.length === 0) return;
      writeSync(out, pending.join(''));
      pending = [];
      size = 0;
    };
    const result = produce((chunk) => {
      if (typeof chunk !== 'string') {
        flush();
        writeSync(out, chunk);
        return;
      }
      pending.push(chunk);
      size += chunk.length;
      if (size > 1 << 20) flush();
    });
    produced = true;
    flush();
    fsyncSync(out);
    closeSync(out);
    fd = undefined;
    renameSync(tmp, file);
    return result;
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    // An error from `produce` is the producer's own; only filesystem failures are reported as output errors.
    throw produced || (err as NodeJS.ErrnoException)?.syscall ? outputError(file, err) : err;
  }
}
