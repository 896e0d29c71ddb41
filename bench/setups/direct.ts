// The baseline: clients connect straight to the backend, no proxy.
import type { SetupKind } from './setup.js';

/** No proxy at all. */
export const direct: SetupKind = {
  name: 'direct',
  description: 'client connects straight to the server (no proxy, no TLS)',
  role: 'direct',
  prepare: async () => `Node ${process.version}`,
  start: async (ctx) => ({ port: ctx.backendPort, pids: () => [], stop: async () => undefined }),
};
