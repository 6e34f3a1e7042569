/** Socket bind failures (exchange, shadow /metrics) → exit 2 naming the flag, the address and the reason. */
import { UsageError } from '../core/errors.js';

const LISTEN_WHY: Record<string, string> = {
  EADDRINUSE: 'the port is in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EPERM: 'operation not permitted',
  EADDRNOTAVAIL: 'the address is not on this machine',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS lookup failed)',
  EAI_NONAME: 'the host name does not resolve',
  EINVAL: 'invalid address',
};

/** A failure to bind a server socket is bad input (exit 2); other errors pass through unchanged. */
export function listenError(host: string, port: number, err: unknown, flags = { host: '--host', port: '--port' }): Error {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || !(e.syscall === 'listen' || e.syscall === 'getaddrinfo' || e.syscall === 'bind' || LISTEN_WHY[e.code])) return err as Error;
  const portProblem = e.code === 'EADDRINUSE' || e.code === 'EACCES';
  const hint = portProblem ? ` (use ${flags.port} 0 for any free port)` : '';
  return new UsageError(`${portProblem ? flags.port : flags.host}: cannot listen on ${host}:${port}: ${LISTEN_WHY[e.code] ?? e.code}${hint}`);
}
