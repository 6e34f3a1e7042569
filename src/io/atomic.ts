/** Atomic file output: write a temp file in the same directory, fsync, then rename over the target. */
import { accessSync, constants, mkdirSync, openSync, writeSync, fsyncSync, closeSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
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

/**
 * mkdir -p without `mkdirSync(…, { recursive: true })`, which loops forever when the kernel answers ENOENT for
 * a folder whose parent exists (e.g. /proc/foo). Returns the first folder created, or undefined.
 */
function makeDirs(dir: string): string | undefined {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = statSync(d, { throwIfNoEntry: false });
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: ${d}`), { code: 'ENOTDIR', syscall: 'mkdir' });
      break;
    }
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]!);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return missing[missing.length - 1];
}

/**
 * Creates an output directory up front (so a long run fails at once, not at the end) and checks it is writable.
 * Returns a function that removes what this call created if it is still empty (a run that failed before
 * writing anything leaves no empty folder behind).
 */
export function ensureOutputDir(dir: string): () => void {
  let created: string | undefined;
  try {
    created = makeDirs(dir);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw outputError(dir, err);
  }
  return () => {
    if (created === undefined) return;
    // Remove the folders this call made, innermost first, while they are empty.
    for (let d = resolve(dir); d.length >= resolve(created).length; d = dirname(d)) {
      try {
        if (readdirSync(d).length > 0) return;
        rmdirSync(d);
      } catch {
        return;
      }
    }
  };
}

/** Checks up front that an output file (e.g. --junit) can be written: its folder is creatable and writable, it is not a folder. */
export function checkOutputFile(flag: string, file: string): void {
  try {
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${flag}: cannot write ${file}: it is a directory`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${flag}: ${outputError(file, err).message}`);
  }
  try {
    ensureOutputDir(dirname(file));
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/** Temp files being written right now: removed when a signal ends the process before they are renamed. */
const liveTemps = new Set<string>();

/** Removes the temp files of writes in progress (called on the way out after a signal). */
export function removeTempFiles(): void {
  for (const f of liveTemps) rmSync(f, { force: true });
  liveTemps.clear();
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  writeFileAtomicWith(file, (write) => write(data));
}

/**
 * One atomic write: a hidden temp file beside the target, buffered to ~1 MiB, synced and renamed into place by
 * commit(); abort() removes the temp file. Filesystem failures become UsageErrors naming the file.
 */
class AtomicFile {
  private readonly tmp: string;
  private fd: number | undefined;
  private pending: string[] = [];
  private size = 0;

  constructor(private readonly file: string) {
    const dir = dirname(file);
    try {
      makeDirs(dir);
    } catch (err) {
      throw outputError(dir, err);
    }
    this.tmp = join(dir, `.${basename(file)}.${process.pid}.${counter++}.tmp`);
    liveTemps.add(this.tmp);
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (err) {
      this.abort();
      throw outputError(file, err);
    }
  }

  readonly write = (chunk: string | Uint8Array): void => {
    if (typeof chunk !== 'string') {
      this.flush();
      writeSync(this.fd!, chunk);
      return;
    }
    this.pending.push(chunk);
    this.size += chunk.length;
    if (this.size > 1 << 20) this.flush();
  };

  private flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd!, this.pending.join(''));
    this.pending = [];
    this.size = 0;
  }

  commit(): void {
    try {
      this.flush();
      fsyncSync(this.fd!);
      closeSync(this.fd!);
      this.fd = undefined;
      renameSync(this.tmp, this.file);
      liveTemps.delete(this.tmp);
    } catch (err) {
      this.abort();
      throw outputError(this.file, err);
    }
  }

  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.tmp, { force: true });
    liveTemps.delete(this.tmp);
  }

  /** An error thrown while producing: filesystem failures are output errors, the producer's own pass through. */
  failed(err: unknown): Error {
    this.abort();
    return (err as NodeJS.ErrnoException)?.syscall ? outputError(this.file, err) : (err as Error);
  }
}

/**
 * Streams a large file atomically: `produce` calls `write` with chunks (buffered to ~1 MiB); the file appears
 * under its name only when everything was written and synced. Returns what `produce` returned.
 */
export function writeFileAtomicWith<T>(file: string, produce: (write: (chunk: string | Uint8Array) => void) => T): T {
  const f = new AtomicFile(file);
  let result: T;
  try {
    result = produce(f.write);
  } catch (err) {
    throw f.failed(err);
  }
  f.commit();
  return result;
}

/** writeFileAtomicWith for an async producer (e.g. one that yields to the event loop so signals can stop it). */
export async function writeFileAtomicWithAsync<T>(file: string, produce: (write: (chunk: string | Uint8Array) => void) => Promise<T>): Promise<T> {
  const f = new AtomicFile(file);
  let result: T;
  try {
    result = await produce(f.write);
  } catch (err) {
    throw f.failed(err);
  }
  f.commit();
  return result;
}
