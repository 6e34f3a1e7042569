/** Shared helpers of the end-to-end tests that run the built CLI (node bin/mdcache.js) as a child process. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'mdcache.js');

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

export interface Running {
  child: ChildProcess;
  readonly out: string;
  readonly err: string;
  exited: Promise<Ran>;
}

/** Starts the CLI without blocking the event loop (independent runs can overlap); colour and CI summaries off. */
export function start(args: string[], cwd: string, children?: Set<ChildProcess>): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' } });
  children?.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<Ran>((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => {
      children?.delete(child);
      done({ code, signal, out, err });
    });
  });
  return {
    child,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    exited,
  };
}

/**
 * Resolves with the first match of `re` in the child's stderr (or stdout), checked on each chunk it writes — an
 * event, not a polling loop; rejects when the child exits first or after `timeoutMs`.
 */
export function waitForOutput(r: Running, re: RegExp, opts: { stream?: 'err' | 'out'; timeoutMs?: number } = {}): Promise<RegExpExecArray> {
  const stream = opts.stream === 'out' ? r.child.stdout! : r.child.stderr!;
  const text = (): string => (opts.stream === 'out' ? r.out : r.err);
  return new Promise((resolve, reject) => {
    const done = (): void => {
      stream.off('data', check);
      r.child.off('close', closed);
      clearTimeout(timer);
    };
    const check = (): void => {
      // 'data' listeners run in order: the helper's own (which appends to r.out/r.err) was added first.
      const m = re.exec(text());
      if (m) {
        done();
        resolve(m);
      }
    };
    const closed = (): void => {
      done();
      reject(new Error(`the process exited before printing ${re}; stderr: ${r.err}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${re} within ${opts.timeoutMs ?? 30_000} ms; stderr: ${r.err}`));
    }, opts.timeoutMs ?? 30_000);
    stream.on('data', check);
    r.child.on('close', closed);
    check();
  });
}

/** The newest mtime of files ending in `ext` under a directory (ms). */
function newest(d: string, ext: string): number {
  let t = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, ext));
    else if (e.name.endsWith(ext)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/ unless it is newer than every source file (`npm test` already built it in pretest). */
export function ensureBuilt(): void {
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newest(join(ROOT, 'src'), '.ts')) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'pipe' });
  if (!existsSync(main)) throw new Error('build did not emit dist/cli/main.js');
}
