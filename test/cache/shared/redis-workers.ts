/** Test helper: cache processes (fixtures/redis-worker.mjs) driven over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./fixtures/redis-worker.mjs', import.meta.url));

export class Worker {
  private seq = 0;
  private readonly waiting = new Map<number, (r: any) => void>();
  readonly stderr: string[] = [];
  /** 'rest' (symbol): the worker's fake REST call for that symbol has started. */
  readonly events = new EventEmitter();
  /** REST calls started per symbol (from the worker's 'rest' announcements). */
  readonly restCalls = new Map<string, number>();
  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: any) => {
      if (m.event === 'rest') {
        this.restCalls.set(m.sym, (this.restCalls.get(m.sym) ?? 0) + 1);
        this.events.emit('rest', m.sym);
      } else if (m.id !== undefined) {
        this.waiting.get(m.id)?.(m.reply);
        this.waiting.delete(m.id);
      }
    });
    proc.stderr?.on('data', (d) => this.stderr.push(String(d)));
  }

  static start(url: string, prefix: string, config: object = {}): Promise<Worker> {
    const proc = fork(WORKER, [url, prefix, JSON.stringify(config)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const w = new Worker(proc);
    return new Promise((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`worker exited (${code}) before ready: ${w.stderr.join('')}`)));
      const onMsg = (m: any): void => {
        if (m.ready === undefined) return;
        proc.off('message', onMsg);
        if (m.ready) resolve(w);
        else reject(new Error(`worker not ready: ${m.error}`));
      };
      proc.on('message', onMsg);
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  req(msg: object): Promise<any> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.proc.send({ ...msg, id });
    });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGKILL');
    await exited;
  }
}
