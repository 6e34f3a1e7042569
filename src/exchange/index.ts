export { startExchange, DEPTH_LIMITS } from './server.js';
export type { Exchange, ExchangeOptions, ExchangeStats } from './server.js';
