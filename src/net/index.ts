export { RateLimitError, MalformedError, NetworkError } from './errors.js';
export { BinanceRestSource, createRestSource, depthLimit, parseRetryAfter } from './rest-source.js';
export type { RestSourceOptions, RestSourceStats } from './rest-source.js';
export { parseExchangeInfo, parseDepthSnapshot, parseDepthEvent, parseWsMessage, trimDecimal } from './validate.js';
export type { ExchangeInfo, ExchangeSymbol, WsInbound } from './validate.js';
export { WsBook } from './ws-book.js';
export type { WsBookOptions, WsBookEvent, WsBookStats, ResyncReason } from './ws-book.js';
export { connectLiveMarket, driveInvalidator } from './live-market.js';
export type { LiveMarket, LiveMarketOptions } from './live-market.js';
