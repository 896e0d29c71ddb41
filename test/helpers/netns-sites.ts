// svcnet sites living in network namespaces: create, run (inside the namespace), join by token
// (redeemed from inside the joining site's namespace) and read their published status.
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, svcnetOk, runSite, waitFor, runtimeStatus } from './cli.js';
import type { NetnsLab } from './netns.js';

export interface NsSite {
  short: string;
  name: string;
  dir: string;
  ns: string;
  child?: ChildProcess;
}

/** Runs `svcnet ARGS` inside namespace `ns` (needed where the CLI touches the network or ports). */
export function svcnetIn(ns: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`svcnet ${args.join(' ')} in ${ns} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Creates a site whose state lives in root/short; with `linkHost` it accepts links on :7000 (grants :7001). */
export async function createNsSite(lab: NetnsLab, root: string, short: string, name: string, linkHost?: string, bindHost?: string): Promise<NsSite> {
  const dir = path.join(root, short);
  const access = linkHost ? ['--link-access', '--link-host', linkHost, '--link-port', '7000', '--grant-port', '7001', ...(bindHost ? ['--link-bind-host', bindHost] : [])] : [];
  await svcnetOk(['site', 'create', name, '--dir', dir, ...access]);
  return { short, name, dir, ns: lab.ns(short) };
}

/** Starts (or restarts) the site process in its namespace and waits until it publishes status. */
export async function startNsSite(site: NsSite): Promise<void> {
  const child = runSite(site.dir, { netns: site.ns });
  site.child = child;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code, sig) => reject(new Error(`${site.name} exited (${code ?? sig}) before it ran:\n${logTail(site, 10)}`))));
  exited.catch(() => {}); // a later exit (a kill in a test) is not an error here
  await Promise.race([exited, waitFor(`${site.name} running`, () => statusPid(site.dir) === child.pid, 20_000)]);
}

/** Links `from` to `to` (which must accept links): token issued by `to`, redeemed inside `from`'s namespace. */
export async function linkNsSites(root: string, from: NsSite, to: NsSite, cost = 1): Promise<void> {
  const token = path.join(root, `token-${to.short}-for-${from.short}.yaml`);
  await svcnetOk(['token', 'issue', token, '--dir', to.dir]);
  await svcnetIn(from.ns, ['token', 'redeem', token, '--dir', from.dir, '--name', `to-${to.name}`, '--cost', String(cost)]);
}

/** Path cost from `site` to the site named `to` in its published network view (null: unreachable). */
export function costTo(site: NsSite, to: string): number | null | undefined {
  const st = runtimeStatus(site.dir);
  if (!st || statusPid(site.dir) !== site.child?.pid) return undefined;
  return st.network.sites.find((s) => s.name === to)?.cost;
}

/** Status of the listener `name` on `site` ('ready', 'no-route', ...). */
export function listenerStatus(site: NsSite, name: string): string | undefined {
  return runtimeStatus(site.dir)?.listeners.find((l) => l.name === name)?.status;
}

/** pid in the site's published status (a killed site leaves its last status behind). */
function statusPid(dir: string): number | undefined {
  return (runtimeStatus(dir) as { pid?: number } | undefined)?.pid;
}

/** Names of the peers `site` has a ready link to. */
export function readyPeers(site: NsSite): string[] {
  return (runtimeStatus(site.dir)?.links ?? []).filter((l) => l.status === 'ready' && l.peer).map((l) => l.peer!).sort();
}

/** The last `n` lines of the site's log, for failure messages. */
export function logTail(site: NsSite, n = 30): string {
  try {
    const lines = fs.readFileSync(path.join(site.dir, 'site.log'), 'utf8').trimEnd().split('\n');
    return lines.slice(-n).join('\n');
  } catch { return '(no log)'; }
}
