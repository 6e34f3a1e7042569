/** Test helper: cache processes (fixtures/redis-worker.mjs) driven over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./fixtures/redis-worker.mjs', import.meta.url));

export class Worker {
  private seq = 0;
  private readonly waiting = new Map<number, (r: any) => void>();
  readonly stderr: string[] = [];
  /**
   * The worker's announcements, each with its symbol: 'rest' (its fake REST call started), 'write-refused' (the
   * store refused its L2 write: the epoch had moved).
   */
  readonly events = new EventEmitter();
  /** REST calls started per symbol (from the worker's 'rest' announcements). */
  readonly restCalls = new Map<string, number>();
  /** Refused L2 writes per symbol. */
  readonly writesRefused = new Map<string, number>();
  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: any) => {
      if (m.event === 'rest' || m.event === 'write-refused') {
        const counts = m.event === 'rest' ? this.restCalls : this.writesRefused;
        counts.set(m.sym, (counts.get(m.sym) ?? 0) + 1);
        this.events.emit(m.event, m.sym);
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
