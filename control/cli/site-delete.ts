// `svcnet site delete`: stops the site if it runs (SIGTERM to the pid it published, then waits for
// it to exit) and removes its state — only the entries a site writes, so a directory that also
// holds other files keeps them. Confirmation on a terminal, or --yes.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import { SiteStore } from '../state/site-store.js';
import { UsageError } from './output.js';

/** What a site writes at the top of its directory (state/site-store.ts, site-setup.ts; site.log from test and demo runs). */
export const SITE_ENTRIES = ['site.json', 'pki', 'resources', 'links', 'run', 'pending-batch.json', 'site.log'] as const;

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Asks on the terminal; refuses (usage error) when there is none to ask on. */
export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UsageError('no terminal to confirm on: add --yes to delete the site');
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try { return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim()); } finally { rl.close(); }
}

/**
 * Stops the site process `pid` and resolves once it exited; a site that outlives `timeoutMs`
 * after SIGTERM is an error (nothing is removed under a running site). A foreign pid has no exit
 * event to wait on, so its liveness is checked every 100 ms, bounded by the timeout.
 */
export async function stopSite(pid: number, timeoutMs: number): Promise<void> {
  try { process.kill(pid, 'SIGTERM'); } catch (err) { if ((err as NodeJS.ErrnoException).code === 'ESRCH') return; throw err; }
  const end = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > end) throw new Error(`the site (pid ${pid}) did not stop within ${timeoutMs / 1000} s; nothing was deleted`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Removes the site's entries from `dir`, and `dir` itself when nothing else is left; returns what was left. */
export function removeSiteState(dir: string): string[] {
  for (const e of SITE_ENTRIES) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
  const left = fs.readdirSync(dir);
  if (left.length === 0) fs.rmdirSync(dir);
  return left;
}

/** The whole command: returns the line to print. */
export async function deleteSite(dir: string, o: { yes: boolean; timeoutMs: number }): Promise<string> {
  const store = SiteStore.open(dir);
  const name = store.readConfig().name;
  const rt = store.readRuntimeStatus();
  if (!o.yes && !(await confirm(`delete site ${name}${rt ? ` (running, pid ${rt.pid})` : ''} and its CA, certificates and resources in ${dir}?`))) {
    return 'nothing deleted';
  }
  if (rt) await stopSite(rt.pid, o.timeoutMs);
  const left = removeSiteState(dir);
  return `site ${name} ${rt ? 'stopped and ' : ''}deleted${left.length ? `; ${dir} is kept: it holds other files (${left.slice(0, 5).join(', ')}${left.length > 5 ? ', ...' : ''})` : ''}`;
}
