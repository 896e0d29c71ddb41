// How a CLI command reaches its site: through the API socket when the site runs, or by calling
// the same API handlers on the state directory when it does not (changes then apply at next start).
// The clients (gRPC, proto loading, the API handlers) load only once a command opens a session, so
// usage errors, --version and --help start without them.
import fs from 'node:fs';
import path from 'node:path';
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
  const up = () => Boolean(store.readRuntimeStatus() && fs.existsSync(apiSocketPath(store.dir)));
  // A site that is starting has read its resources already: a change written to the directory now would
  // wait for its next start. Wait for its API instead.
  if (!up() && store.startingPid() !== undefined) await waitForStart(store, up);
  if (up()) {
    const { unixClient } = await import('../api/client.js');
    const client = unixClient(store.dir, { who: `site ${store.readConfig().name}` });
    return { store, client, running: true, close: () => client.close() };
  }
  const [{ inProcessClient }, { default: pino }, { WatchHub }, { redeemWithTokenModule }] = await Promise.all([import('../api/in-process-client.js'), import('pino'), import('../api/watch-hub.js'), import('../api/tokens.js')]);
  const ctx = { store, hub: new WatchHub(), log: pino({ level: 'silent' }), redeem: redeemWithTokenModule };
  return { store, client: inProcessClient(ctx), running: false, close() {} };
}

/** How long a command waits for a starting site's API. */
export const START_WAIT_MS = 30_000;

/** Resolves once `up()` holds or the starting process has died; throws after START_WAIT_MS. Woken by
 *  the run directory's changes (the status file and the socket appear there); a slow tick notices a death. */
function waitForStart(store: SiteStore, up: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => { watcher?.close(); clearInterval(tick); clearTimeout(limit); if (err) reject(err); else resolve(); };
    const look = () => { if (up() || store.startingPid() === undefined) done(); };
    let watcher: fs.FSWatcher | undefined;
    try { watcher = fs.watch(path.join(store.dir, 'run'), look); } catch { /* the tick still looks */ }
    const tick = setInterval(look, 500);
    const limit = setTimeout(() => done(new Error(`site in ${store.dir} is starting (pid ${store.startingPid()}) and its API did not come up within ${START_WAIT_MS / 1000} s`)), START_WAIT_MS);
    look();
  });
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
