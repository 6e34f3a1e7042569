/** Typed errors of the network sources (REST snapshot source, WebSocket book). */
import { RateLimitError, RestError } from '../market/rest.js';

export { RateLimitError, RestError };

/** An inbound payload that does not match the protocol: bad JSON, wrong schema, non-decimal numbers, off-grid prices. */
export class MalformedError extends Error {
  constructor(
    message: string,
    /** Symbol the payload was about, when it could be told. */
    readonly symbol?: string,
  ) {
    super(message);
    this.name = 'MalformedError';
  }
}

/** The connection to the exchange failed (refused, reset) before an HTTP status was received. */
export class NetworkError extends RestError {
  constructor(message: string, cause?: unknown) {
    super(message, 0);
    this.name = 'NetworkError';
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}
