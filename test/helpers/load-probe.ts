/**
 * Source text for a child `node --input-type=module -e` snippet: registers a module.register() load hook that
 * posts each loaded URL back into `urls` (an array the snippet can read), so a test can see what an import
 * pulled in. Shared by the lazy-CLI and package-exports tests.
 */
export const LOAD_PROBE = `
  import { register } from 'node:module';
  const { port1, port2 } = new MessageChannel();
  const urls = [];
  port1.on('message', (u) => urls.push(u));
  port1.unref();
  register('data:text/javascript,' + encodeURIComponent('let port; export function initialize(d) { port = d.port; } export async function load(url, ctx, next) { port.postMessage(url); return next(url, ctx); }'),
    { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
`;
