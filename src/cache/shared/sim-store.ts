/**
 * SimStore: the shared store modelled in memory on the injected clock (virtual time), for fleet simulation and
 * tests. One SimServer holds the state (epochs, books, leases); every process gets its own client, whose
 * commands are answered in order (FIFO, like one Redis connection) after a latency drawn from the model:
 * half of it to reach the server, where the command takes effect atomically, half to come back. Notices
 * reach each subscriber half a latency after the command that published them, and are lost while the server
 * is unreachable (pub/sub is at-most-once, as in Redis).
 *
 * Faults: outage windows (`down`: commands fail at once, like a refused connection; `hang`: commands never
 * answer, so the tier's command timeout fires), optionally losing every key at the end (`restart`), and slow
 * windows that add latency to every command.
 */
import type { Clock } from '../../core/clock.js';
import type { SharedStore, StoreEvent, StoreRead } from './types.js';

export interface SimOutage {
  at_ms: number;
  for_ms: number;
  mode: 'down' | 'hang';
  /** The server comes back empty (like a restarted redis-server without persistence). */
  restart: boolean;
}

export interface SimSlow {
  at_ms: number;
  for_ms: number;
  extra_ms: number;
}

export interface SimFaults {
  outages: SimOutage[];
  slow: SimSlow[];
}

export const NO_FAULTS: SimFaults = Object.freeze({ outages: [], slow: [] }) as SimFaults;

interface Book {
  bytes: Uint8Array;
  depth: number;
  epoch: number;
  /** Server time the book was fetched at. */
  at: number;
  expires: number;
}

interface Sub {
  onEvent(e: StoreEvent): void;
  onStatus(up: boolean): void;
  latency: () => number;
}

export class SimServer {
  private readonly epochs = new Map<string, number>();
  private readonly books = new Map<string, Book>();
  private readonly leases = new Map<string, { token: string; expires: number }>();
  private readonly subs = new Set<Sub>();
  /** Commands executed (all clients). */
  commands = 0;
  private readonly t0: number;

  constructor(
    readonly clock: Clock,
    readonly faults: SimFaults = NO_FAULTS,
  ) {
    this.t0 = clock.now();
    for (const o of faults.outages) {
      clock.setTimeout(() => this.status(false), Math.max(0, o.at_ms));
      clock.setTimeout(() => {
        if (o.restart) this.flush();
        this.status(true);
      }, Math.max(0, o.at_ms + o.for_ms));
    }
  }

  /** A client for one process; `latency` draws one round trip in ms. */
  client(latency: () => number): SharedStore {
    return new SimClient(this, latency);
  }

  /** The outage in force now, if any. */
  outage(): SimOutage | undefined {
    const t = this.clock.now() - this.t0;
    return this.faults.outages.find((o) => t >= o.at_ms && t < o.at_ms + o.for_ms);
  }

  extraLatency(): number {
    const t = this.clock.now() - this.t0;
    let x = 0;
    for (const s of this.faults.slow) if (t >= s.at_ms && t < s.at_ms + s.for_ms) x += s.extra_ms;
    return x;
  }

  addSub(s: Sub): void {
    this.subs.add(s);
  }
  removeSub(s: Sub): void {
    this.subs.delete(s);
  }

  private status(up: boolean): void {
    for (const s of this.subs) s.onStatus(up);
  }

  private flush(): void {
    this.epochs.clear();
    this.books.clear();
    this.leases.clear();
  }

  private publish(e: StoreEvent): void {
    for (const s of this.subs) {
      this.clock.setTimeout(() => {
        if (this.outage() === undefined && this.subs.has(s)) s.onEvent(e);
      }, s.latency() / 2);
    }
  }

  /** Current epoch; a new symbol starts at the server's time in µs, so a restarted server never reuses one. */
  private epoch(symbol: string): number {
    let e = this.epochs.get(symbol);
    if (e === undefined) {
      e = Math.floor(this.clock.now() * 1000);
      this.epochs.set(symbol, e);
    }
    return e;
  }

  // Commands: each runs atomically at the instant it reaches the server.

  read(symbol: string): StoreRead {
    this.commands++;
    const epoch = this.epoch(symbol);
    const b = this.books.get(symbol);
    const now = this.clock.now();
    if (b === undefined || b.epoch !== epoch || now >= b.expires) return { epoch };
    return { epoch, book: { bytes: b.bytes, depth: b.depth, ageMs: now - b.at } };
  }

  acquire(symbol: string, token: string, ms: number): boolean {
    this.commands++;
    const now = this.clock.now();
    const l = this.leases.get(symbol);
    if (l !== undefined && now < l.expires) return false;
    this.leases.set(symbol, { token, expires: now + ms });
    return true;
  }

  release(symbol: string, token: string): boolean {
    this.commands++;
    const l = this.leases.get(symbol);
    if (l === undefined || l.token !== token || this.clock.now() >= l.expires) return false;
    this.leases.delete(symbol);
    return true;
  }

  write(symbol: string, epoch: number, bytes: Uint8Array, depth: number, ageMs: number, ttlMs: number, origin: string): boolean {
    this.commands++;
    if (this.epoch(symbol) !== epoch) return false;
    const now = this.clock.now();
    this.books.set(symbol, { bytes: bytes.slice(), depth, epoch, at: now - ageMs, expires: now + ttlMs });
    this.publish({ type: 'written', symbol, epoch, origin });
    return true;
  }

  invalidate(symbol: string, origin: string): number {
    this.commands++;
    const epoch = this.epoch(symbol) + 1;
    this.epochs.set(symbol, epoch);
    this.books.delete(symbol);
    this.publish({ type: 'invalidated', symbol, epoch, origin });
    return epoch;
  }
}

class SimClient implements SharedStore {
  /** Server arrival time of this client's last command (commands are applied in order). */
  private lastArrival = -Infinity;
  private lastReply = -Infinity;
  private sub: Sub | undefined;
  private closed = false;

  constructor(
    private readonly server: SimServer,
    private readonly latency: () => number,
  ) {}

  private call<T>(run: () => T): Promise<T> {
    const s = this.server;
    const clock = s.clock;
    if (this.closed) return Promise.reject(new Error('connection closed'));
    const out = s.outage();
    if (out !== undefined) {
      if (out.mode === 'down') return Promise.reject(new Error('connect ECONNREFUSED (simulated outage)'));
      return new Promise<T>(() => {}); // hangs: the tier's command timeout fires
    }
    const rtt = this.latency() + s.extraLatency();
    const now = clock.now();
    const arrival = Math.max(now + rtt / 2, this.lastArrival);
    const reply = Math.max(arrival + rtt / 2, this.lastReply);
    this.lastArrival = arrival;
    this.lastReply = reply;
    return new Promise<T>((resolve, reject) => {
      clock.setTimeout(() => {
        if (s.outage() !== undefined) {
          clock.setTimeout(() => reject(new Error('connection lost (simulated outage)')), 0);
          return;
        }
        let v: T;
        try {
          v = run();
        } catch (err) {
          clock.setTimeout(() => reject(err), reply - arrival);
          return;
        }
        clock.setTimeout(() => resolve(v), reply - arrival);
      }, arrival - now);
    });
  }

  read(symbol: string): Promise<StoreRead> {
    return this.call(() => this.server.read(symbol));
  }
  acquire(symbol: string, token: string, ms: number): Promise<boolean> {
    return this.call(() => this.server.acquire(symbol, token, ms));
  }
  release(symbol: string, token: string): Promise<boolean> {
    return this.call(() => this.server.release(symbol, token));
  }
  write(symbol: string, epoch: number, bytes: Uint8Array, depth: number, ageMs: number, ttlMs: number, origin: string): Promise<boolean> {
    return this.call(() => this.server.write(symbol, epoch, bytes, depth, ageMs, ttlMs, origin));
  }
  invalidate(symbol: string, origin: string): Promise<number> {
    return this.call(() => this.server.invalidate(symbol, origin));
  }
  ping(): Promise<void> {
    return this.call(() => undefined);
  }
  subscribe(onEvent: (e: StoreEvent) => void, onStatus: (up: boolean) => void): void {
    this.sub = { onEvent, onStatus, latency: this.latency };
    this.server.addSub(this.sub);
  }
  close(): Promise<void> {
    this.closed = true;
    if (this.sub) this.server.removeSub(this.sub);
    return Promise.resolve();
  }
}
