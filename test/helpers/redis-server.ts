/**
 * Starts a private redis-server for a test: a free loopback port (found by binding port 0, since
 * `redis-server --port 0` disables TCP), no persistence, no fixed port, stopped (and waited for) after.
 * Start-up is awaited on events, not polled: the server's "Ready to accept connections" log line, then one PING.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { waitUntil } from './wait.js';

export function redisServerPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket: true when the server answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

export class RedisServer {
  private proc: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const s = new RedisServer(await freePort());
    await s.start();
    return s;
  }

  /**
   * (Re)starts the server on its port and waits for its "Ready to accept connections" log line (notice level,
   * on stdout), then checks it answers PING. Rejects when the process exits first (port taken?) or after 10 s.
   */
  async start(): Promise<void> {
    const bin = redisServerPath();
    if (!bin) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
    const p = spawn(bin, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.proc = p;
    let log = '';
    let ready = false;
    const onData = (d: Buffer): void => {
      if (ready) return; // keep reading (a full pipe would block the server), stop keeping
      log += d.toString();
      ready = log.includes('Ready to accept connections');
      if (log.length > 65_536) log = log.slice(-1024);
    };
    p.stdout!.on('data', onData);
    await waitUntil(
      `redis-server on port ${this.port} to log "Ready to accept connections"`,
      () => {
        if (p.exitCode !== null || p.signalCode !== null) throw new Error(`redis-server exited with ${p.exitCode ?? p.signalCode} (port ${this.port} taken?): ${log.slice(-300)}`);
        return ready;
      },
      [
        [p.stdout!, 'data'],
        [p, 'exit'],
      ],
    );
    if (!(await ping(this.port))) throw new Error(`redis-server on port ${this.port} logged ready but did not answer PING`);
  }

  /** Stops the server (SIGKILL when `kill9`) and waits for the process to exit. */
  async stop(kill9 = false): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(kill9 ? 'SIGKILL' : 'SIGTERM');
    await exited;
  }
}
