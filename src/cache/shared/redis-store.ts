/**
 * RedisStore: the shared store on a real Redis (ioredis). Every multi-step operation is one Lua script, so it
 * is atomic on the server: the epoch-checked read, the epoch compare-and-set write (with its `written`
 * notice), the invalidation (`INCR` + delete + `invalidated` notice) and the lease release by
 * compare-and-delete. The lease itself is `SET lease:<sym> <token> NX PX <ms>`.
 *
 * Epochs are kept as decimal strings and compared as strings in Lua (Lua numbers are doubles). A symbol's
 * epoch starts at the server's time in µs (`TIME`), so a restarted Redis without persistence never reuses an
 * epoch a process may still hold. Ages are measured with `TIME` too (see tier.ts for the clock choice).
 *
 * Two connections: commands, and the subscription to `<prefix>events` (a subscribed connection can do
 * nothing else). The offline queue is off and requests are not retried: while Redis is unreachable a command
 * fails at once and the tier falls back to L1-only; ioredis keeps reconnecting in the background.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import { redisUrlProblem } from '../../config/md-cache.js';
import type { SharedStore, StoreEvent, StoreRead } from './types.js';

const INIT_EPOCH = `local function init(k)
  local e = redis.call('GET', k)
  if not e then
    local t = redis.call('TIME')
    e = t[1] .. string.format('%06d', tonumber(t[2]))
    redis.call('SET', k, e)
  end
  return e
end
`;

/** KEYS: epoch, book → {epoch} or {epoch, ageUs, depth, bytes}. */
const READ = `${INIT_EPOCH}
local ep = init(KEYS[1])
local h = redis.call('HMGET', KEYS[2], 'e', 's', 'u', 'd', 'b')
if h[1] ~= ep then return {ep} end
local t = redis.call('TIME')
local age = (tonumber(t[1]) - tonumber(h[2])) * 1000000 + (tonumber(t[2]) - tonumber(h[3]))
return {ep, tostring(age), h[4], h[5]}`;

/** KEYS: epoch, book; ARGV: epoch, ageUs, bytes, depth, ttlMs, channel, message → 1 written / 0 refused. */
const WRITE = `${INIT_EPOCH}
local ep = init(KEYS[1])
if ep ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
redis.call('HSET', KEYS[2], 'e', ep, 's', t[1], 'u', tostring(tonumber(t[2]) - tonumber(ARGV[2])), 'd', ARGV[4], 'b', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1`;

/** KEYS: epoch, book; ARGV: channel, message prefix → the new epoch (string). */
const INVALIDATE = `${INIT_EPOCH}
init(KEYS[1])
redis.call('INCR', KEYS[1])
local ep = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[1], ARGV[2] .. ep .. ' ' .. ARGV[3])
return ep`;

/** KEYS: lease; ARGV: token → 1 deleted / 0 not ours. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface RedisStoreOptions {
  url: string;
  keyPrefix: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Times ready(); connections and commands themselves run on the socket's own timers. */
  clock: Clock;
}

interface Scripts {
  mdReadBuffer(k1: string, k2: string): Promise<Buffer[]>;
  mdWrite(k1: string, k2: string, ...argv: (string | Buffer)[]): Promise<number>;
  mdInvalidate(k1: string, k2: string, ...argv: string[]): Promise<string>;
  mdRelease(k1: string, token: string): Promise<number>;
}

export class RedisStore implements SharedStore {
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly s: Scripts;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly clock: Clock;
  private up = false;
  /** The subscription connection has subscribed to the channel (since its last (re)connect). */
  private subscribed = false;
  private closed = false;
  private onStatus: ((up: boolean) => void) | undefined;

  constructor(opts: RedisStoreOptions) {
    const problem = redisUrlProblem(opts.url);
    if (problem) throw new Error(problem);
    const common: RedisOptions = {
      connectTimeout: opts.connectTimeoutMs,
      commandTimeout: opts.commandTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Reconnect forever in the background (the breaker keeps callers off it meanwhile).
      retryStrategy: (times) => Math.min(50 * times, 1000),
      lazyConnect: false,
      // close(): a socket that does not close by itself is destroyed after this (ioredis' 2 s default kept a
      // process whose Redis was unreachable alive for 2 s after close()).
      disconnectTimeout: 200,
    };
    this.clock = opts.clock;
    this.prefix = opts.keyPrefix;
    this.channel = `${opts.keyPrefix}events`;
    this.cmd = new Redis(opts.url, common);
    this.sub = new Redis(opts.url, { ...common, commandTimeout: undefined, autoResubscribe: false });
    this.cmd.defineCommand('mdRead', { numberOfKeys: 2, lua: READ });
    this.cmd.defineCommand('mdWrite', { numberOfKeys: 2, lua: WRITE });
    this.cmd.defineCommand('mdInvalidate', { numberOfKeys: 2, lua: INVALIDATE });
    this.cmd.defineCommand('mdRelease', { numberOfKeys: 1, lua: RELEASE });
    this.s = this.cmd as unknown as Scripts;
    for (const c of [this.cmd, this.sub]) {
      c.on('error', () => {}); // surfaced through command failures and status changes
      c.on('ready', () => this.check());
      c.on('close', () => this.check());
      c.on('end', () => this.check());
    }
    // Subscribe on every (re)connect; the offline queue is off, so a SUBSCRIBE sent before that would fail.
    this.sub.on('ready', () => {
      this.sub.subscribe(this.channel).then(
        () => {
          this.subscribed = true;
          this.check();
        },
        () => this.sub.disconnect(true),
      );
    });
    this.sub.on('close', () => {
      this.subscribed = false;
    });
  }

  /** Resolves when both connections are ready; rejects after `ms` with the reason. */
  ready(ms: number): Promise<void> {
    if (this.isUp()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let last = '';
      const onErr = (e: Error): void => {
        last = e.message;
      };
      const timer = this.clock.setTimeout(() => {
        cleanup();
        reject(new Error(`Redis not reachable within ${ms} ms${last ? `: ${last}` : ''}`));
      }, ms);
      const onReady = (): void => {
        if (this.isUp()) {
          cleanup();
          resolve();
        }
      };
      const cleanup = (): void => {
        this.clock.clearTimeout(timer);
        for (const c of [this.cmd, this.sub]) {
          c.off('ready', onReady);
          c.off('error', onErr);
        }
        this.readyWaiters.delete(onReady);
      };
      for (const c of [this.cmd, this.sub]) {
        c.on('ready', onReady);
        c.on('error', onErr);
      }
      this.readyWaiters.add(onReady);
    });
  }

  private readonly readyWaiters = new Set<() => void>();

  private isUp(): boolean {
    return this.cmd.status === 'ready' && this.sub.status === 'ready' && this.subscribed;
  }

  private check(): void {
    if (this.closed) return;
    for (const f of [...this.readyWaiters]) f();
    const up = this.isUp();
    if (up === this.up) return;
    this.up = up;
    this.onStatus?.(up);
  }

  private k(kind: string, symbol: string): string {
    return `${this.prefix}${kind}:${symbol}`;
  }

  async read(symbol: string): Promise<StoreRead> {
    const r = await this.s.mdReadBuffer(this.k('epoch', symbol), this.k('book', symbol));
    const epoch = Number(r[0]!.toString());
    if (r.length < 4) return { epoch };
    const b = r[3]!;
    return {
      epoch,
      book: { bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength), depth: Number(r[2]!.toString()), ageMs: Number(r[1]!.toString()) / 1000 },
    };
  }

  async acquire(symbol: string, token: string, ms: number): Promise<boolean> {
    const r = await this.cmd.set(this.k('lease', symbol), token, 'PX', Math.max(1, Math.round(ms)), 'NX');
    return r === 'OK';
  }

  async release(symbol: string, token: string): Promise<boolean> {
    return (await this.s.mdRelease(this.k('lease', symbol), token)) === 1;
  }

  async write(symbol: string, epoch: number, bytes: Uint8Array, depth: number, ageMs: number, ttlMs: number, origin: string): Promise<boolean> {
    const r = await this.s.mdWrite(
      this.k('epoch', symbol),
      this.k('book', symbol),
      String(epoch),
      String(Math.max(0, Math.round(ageMs * 1000))),
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      String(depth),
      String(Math.max(1, Math.round(ttlMs))),
      this.channel,
      `w ${epoch} ${origin} ${symbol}`,
    );
    return r === 1;
  }

  async invalidate(symbol: string, origin: string): Promise<number> {
    return Number(await this.s.mdInvalidate(this.k('epoch', symbol), this.k('book', symbol), this.channel, 'i ', `${origin} ${symbol}`));
  }

  async ping(): Promise<void> {
    await this.cmd.ping();
  }

  subscribe(onEvent: (e: StoreEvent) => void, onStatus: (up: boolean) => void): void {
    this.onStatus = onStatus;
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const e = parseEvent(message);
      if (e) onEvent(e);
    });
    this.up = this.isUp();
    if (!this.up) onStatus(false);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cmd.disconnect();
    this.sub.disconnect();
  }
}

/** `w|i <epoch> <origin> <symbol>` */
export function parseEvent(message: string): StoreEvent | undefined {
  const parts = message.split(' ');
  if (parts.length < 4) return undefined;
  const [kind, epoch, origin] = parts as [string, string, string];
  const symbol = parts.slice(3).join(' ');
  const type = kind === 'w' ? 'written' : kind === 'i' ? 'invalidated' : undefined;
  if (type === undefined) return undefined;
  return { type, symbol, epoch: Number(epoch), origin };
}
