/**
 * `mdcache exchange`: a Binance-compatible loopback exchange (REST + WebSocket) driven by a scenario's
 * seeded generator on real time, with the scenario's faults on the wire. Runs until SIGINT/SIGTERM
 * (or --duration), then closes every socket and exits 0.
 */
import type { Command } from 'commander';
import { RealClock } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import { loadScenario } from '../../scenario/scenario.js';
import { startExchange } from '../../exchange/server.js';
import { durationFlag, intFlag } from '../options.js';
import { listenError } from '../listen.js';

interface ExchangeFlags {
  scenario: string;
  host: string;
  port: number;
  seed?: number;
  json?: boolean;
  malformedRate: number;
  pingInterval?: number;
  pongTimeout?: number;
  retryAfter: number;
  restFaults: boolean;
  duration?: number;
  weightLimit?: number;
  maxSendBuffer?: number;
}

function rateFlag(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d*\.?\d+$/.test(v.trim()) || !(n >= 0 && n <= 1)) throw new UsageError(`${flag}: invalid value '${v}', expected a probability in [0, 1]`);
    return n;
  };
}

function secondsFlag(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d*\.?\d+$/.test(v.trim()) || !(n > 0 && n <= 3600)) throw new UsageError(`${flag}: invalid value '${v}', expected seconds in (0, 3600]`);
    return n;
  };
}

/** `--weight-limit N`: request weight per rolling minute (as `rest.rate_limit.weight_per_min`). */
export function weightLimitFlag(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d*\.?\d+$/.test(v.trim()) || !(n > 0 && n <= 100_000_000)) throw new UsageError(`${flag}: invalid value '${v}', expected a request weight per rolling minute > 0 and ≤ 100000000, e.g. 6000`);
    return n;
  };
}

export function registerExchange(program: Command): void {
  program
    .command('exchange')
    .description("serve a Binance-compatible REST + WebSocket exchange on loopback, driven by a scenario's seeded market (its faults happen on the wire)")
    .option('--scenario <name|file>', 'shipped scenario name or a YAML file', 'baseline')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', intFlag('--port', 0, 65535), 0)
    .option('--seed <n>', "seed (default: the scenario's)", intFlag('--seed', 0, Number.MAX_SAFE_INTEGER))
    .option('--json', 'print one JSON line {"rest","ws","symbols"} instead of text')
    .option('--malformed-rate <p>', 'probability that a depth response or a WebSocket frame is corrupted', rateFlag('--malformed-rate'), 0)
    .option('--ping-interval <d>', 'WebSocket ping interval (default 20s)', durationFlag('--ping-interval'))
    .option('--pong-timeout <d>', 'drop a client that has not answered a ping for this long (default 1m)', durationFlag('--pong-timeout'))
    .option('--retry-after <s>', 'Retry-After seconds sent with a 429', secondsFlag('--retry-after'), 1)
    .option('--weight-limit <n>', "enforce this request weight per rolling minute per client IP: 429 with Retry-After, then 418 bans (default: the scenario's rest.rate_limit, else none)", weightLimitFlag('--weight-limit'))
    .option('--max-send-buffer <bytes>', 'drop a WebSocket client once this many bytes are queued for it (a slow reader; default 4194304)', intFlag('--max-send-buffer', 1024, 1024 ** 3))
    .option('--no-rest-faults', "serve depth without the scenario's REST latency, errors and timeouts")
    .option('--duration <d>', 'stop by itself after this long', durationFlag('--duration'))
    .addHelpText(
      'after',
      '\nEndpoints: GET /api/v3/depth?symbol=&limit=, /api/v3/exchangeInfo, /api/v3/ping, /api/v3/time, /_truth?symbol=[&id=]\n' +
        '           WS /ws/<symbol>@depth[@100ms], /stream?streams=a@depth/b@depth, SUBSCRIBE / UNSUBSCRIBE\n' +
        '\nExamples:\n  $ mdcache exchange --scenario flaky-ws --port 8080\n  $ mdcache exchange --port 0 --json   # {"rest":"http://127.0.0.1:PORT","ws":"ws://127.0.0.1:PORT","symbols":[...]}',
    )
    .action(async (f: ExchangeFlags) => {
      const durationMs = f.duration;
      const scenario = loadScenario(f.scenario);
      const clock = new RealClock();
      const ex = await startExchange({
        scenario,
        seed: f.seed,
        host: f.host,
        port: f.port,
        clock,
        malformedRate: f.malformedRate,
        pingIntervalMs: f.pingInterval,
        pongTimeoutMs: f.pongTimeout,
        retryAfterS: f.retryAfter,
        restFaults: f.restFaults,
        ...(f.weightLimit !== undefined ? { weightLimit: f.weightLimit } : {}),
        ...(f.maxSendBuffer !== undefined ? { maxSendBufferBytes: f.maxSendBuffer } : {}),
      }).catch((err: unknown) => {
        throw listenError(f.host, f.port, err);
      });
      if (f.json) process.stdout.write(JSON.stringify({ rest: ex.restUrl, ws: ex.wsUrl, symbols: ex.symbols, ...(ex.weightLimit !== null ? { weight_limit: ex.weightLimit } : {}) }) + '\n');
      else {
        const first = ex.symbols[0]!;
        const more = ex.symbols.length > 8 ? `${ex.symbols.slice(0, 8).join(', ')}, … (${ex.symbols.length})` : ex.symbols.join(', ');
        process.stdout.write(
          `mdcache exchange: scenario ${scenario.name} (seed ${f.seed ?? scenario.seed}), symbols ${more}\n` +
            `  REST       ${ex.restUrl}   e.g. ${ex.restUrl}/api/v3/depth?symbol=${first}&limit=100\n` +
            `  WebSocket  ${ex.wsUrl}     e.g. ${ex.wsUrl}/ws/${first.toLowerCase()}@depth  or  ${ex.wsUrl}/stream?streams=${first.toLowerCase()}@depth\n` +
            `  weight     ${ex.weightLimit === null ? 'no limit enforced (X-MBX-USED-WEIGHT-1M is still sent)' : `${ex.weightLimit} per rolling minute per IP: 429, then 418 bans`}\n` +
            `  ws queue   ${ex.maxSendBufferBytes} bytes per client; a slower reader is dropped\n` +
            `  stop with Ctrl-C (SIGINT) or SIGTERM\n`,
        );
      }
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          clock.clearTimeout(timer);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        const timer = durationMs === undefined ? undefined : clock.setTimeout(stop, durationMs);
      });
      const s = ex.stats();
      await ex.close();
      if (!f.json) process.stderr.write(`mdcache exchange: stopped (REST ${s.rest.requests} requests, ${s.rest.rateLimited} × 429, ${s.rest.banned} × 418, ${s.ws.connections} WebSocket connections, ${s.ws.messages} messages, ${s.slowClients.dropped} slow readers dropped, ${s.disconnects} disconnect faults)\n`);
    });
}
