/**
 * Source text for a child `node --input-type=module -e` snippet: registers a module.register() load hook that
 * posts each loaded URL back into `urls` (an array the snippet can read), so a test can see what an import
 * pulled in. Shared by the lazy-CLI and package-exports tests.
 * `await loadsArrived()` waits until every URL the hook has posted so far is in `urls`: it sends a token to
 * the hooks thread, which echoes it on the same port, so the echo arrives after every earlier message (no sleep).
 */
export const LOAD_PROBE = `
  import { register } from 'node:module';
  const { port1, port2 } = new MessageChannel();
  const urls = [];
  const echoes = new Map();
  let echoN = 0;
  port1.on('message', (m) => {
    if (typeof m === 'string') urls.push(m);
    else {
      const done = echoes.get(m.echo);
      echoes.delete(m.echo);
      done?.();
    }
  });
  port1.unref();
  register('data:text/javascript,' + encodeURIComponent('let port; export function initialize(d) { port = d.port; port.on("message", (m) => port.postMessage(m)); port.unref(); } export async function load(url, ctx, next) { port.postMessage(url); return next(url, ctx); }'),
    { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
  const loadsArrived = () => new Promise((resolve) => {
    const n = ++echoN;
    echoes.set(n, () => {
      if (echoes.size === 0) port1.unref();
      resolve();
    });
    port1.ref(); // keep the process alive until the echo is back
    port1.postMessage({ echo: n });
  });
`;
