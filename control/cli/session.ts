// How a CLI command reaches its site: through the API socket when the site runs, or by calling
// the same API handlers on the state directory when it does not (changes then apply at next start).
// The clients (gRPC, proto loading, the API handlers) load only once a command opens a session, so
// usage errors, --version and --help start without them.
import fs from 'node:fs';
import { SiteStore } from '../state/site-store.js';
import type { ControlClient } from '../api/client.js';
import { UsageError } from './output.js';

/** The site directory from --dir or $SVCNET_DIR; a usage error when neither is set. */
export function siteDir(opts: { dir?: string }): string {
  const dir = opts.dir ?? process.env.SVCNET_DIR;
  if (!dir) throw new UsageError('no site directory: pass --dir DIR or set SVCNET_DIR');
  return dir;
}

export interface Session {
  store: SiteStore;
  client: ControlClient;
  /** the site runs and the client talks to it */
  running: boolean;
  close(): void;
}

/** Opens the site in --dir: its API when it runs, its directory otherwise. */
export async function openSession(o: { dir?: string }): Promise<Session> {
  const store = SiteStore.open(siteDir(o));
  const { apiSocketPath } = await import('../api/service.js');
  if (store.readRuntimeStatus() && fs.existsSync(apiSocketPath(store.dir))) {
    const { unixClient } = await import('../api/client.js');
    const client = unixClient(store.dir, { who: `site ${store.readConfig().name}` });
    return { store, client, running: true, close: () => client.close() };
  }
  const [{ inProcessClient }, { default: pino }, { WatchHub }, { redeemWithTokenModule }] = await Promise.all([import('../api/in-process-client.js'), import('pino'), import('../api/watch-hub.js'), import('../api/tokens.js')]);
  const ctx = { store, hub: new WatchHub(), log: pino({ level: 'silent' }), redeem: redeemWithTokenModule };
  return { store, client: inProcessClient(ctx), running: false, close() {} };
}

/** Runs `fn` with a session and closes it afterwards. */
export async function withSession<T>(o: { dir?: string }, fn: (s: Session) => Promise<T>): Promise<T> {
  const s = await openSession(o);
  if (!s.running) await s.store.recover(); // a change a crash interrupted is finished before this one
  try { return await fn(s); } finally { s.close(); }
}

/** The tail of every message about a change: when it takes effect. */
export function appliesWhen(running: boolean): string {
  return running ? 'the running site applies it now' : 'the site is not running; it applies at the next start';
}
