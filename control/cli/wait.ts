// `--wait[=ready] --timeout D` of the create commands: return once the new resource is ready,
// printing each state it passes through; exit 1 at the timeout. The running site's Watch events
// (links, routes, resources) trigger a fresh look; a listener's bind retry has no event, so a
// 500 ms tick (the cadence of the engine's status) covers it.
import { Command, Option } from 'commander';
import type { Kind } from '../resources/common.js';
import { parseDuration } from './args.js';
import { UsageError } from './output.js';
import type { Session } from './session.js';

export interface WaitOptions { wait?: string | boolean; timeout: string }

/** Adds --wait and --timeout to a create command. */
export function waitOptions(cmd: Command): Command {
  return cmd.addOption(new Option('--wait [condition]', 'return once the resource is ready (the only condition: ready), printing progress'))
    .option('--timeout <duration>', 'with --wait: how long to wait before failing (exit 1)', '60s');
}

/** The wait asked for, checked before anything is created: undefined (no wait) or the timeout in ms. */
export function waitRequest(o: WaitOptions): number | undefined {
  if (o.wait === undefined || o.wait === false) return undefined;
  if (o.wait !== true && o.wait !== 'ready') throw new UsageError(`--wait takes no value or "ready", not "${o.wait}"`);
  return parseDuration(o.timeout);
}

/** Waits until `kind`/`name` is ready on the running site; prints each new state; throws at the timeout. */
export async function waitReady(s: Session, kind: Kind, name: string, timeoutMs: number, print: (line: string) => void = (l) => console.log(l)): Promise<void> {
  const what = `${kind.toLowerCase()} ${name}`;
  if (!s.running) throw new Error(`${what} is stored, but site ${s.store.readConfig().name} is not running, so it cannot become ready; start it with "svcnet site run"`);
  let last = '';
  let checking = false;
  const check = async (): Promise<boolean> => {
    if (checking) return false;
    checking = true;
    try {
      const st = (await s.client.get({ kind, name })).status;
      const line = `${st?.state ?? 'unknown'}${st?.message ? ` (${st.message})` : ''}`;
      if (line !== last) { last = line; print(`${what}: ${line}`); }
      return st?.ready === true;
    } finally { checking = false; }
  };
  if (await check()) return;
  await new Promise<void>((resolve, reject) => {
    let finished = false;
    const done = (err?: Error) => {
      if (finished) return;
      finished = true;
      clearInterval(tick); clearTimeout(limit); watch.cancel();
      if (err) reject(err); else resolve();
    };
    const look = () => { check().then((ready) => { if (ready) done(); }, done); };
    const watch = s.client.watch({ types: [] }, look);
    const tick = setInterval(look, 500);
    const limit = setTimeout(() => done(new Error(`${what} is not ready after ${timeoutMs / 1000} s: ${last}`)), timeoutMs);
  });
}
