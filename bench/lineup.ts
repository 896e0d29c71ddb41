// Prepares and starts the setups of a run side by side; a peer that cannot be installed or does
// not carry traffic is skipped with its reason, never silently.
import fs from 'node:fs';
import path from 'node:path';
import type { CertPaths } from './certs.js';
import type { RunningSetup, SetupKind } from './setups/setup.js';
import type { SetupInfo } from './results.js';

/** The setups of a run: those that came up, and those skipped with their reason. */
export interface Lineup {
  running: { kind: SetupKind; info: SetupInfo; setup: RunningSetup }[];
  skipped: { name: string; reason: string }[];
}

/** Starts all kinds at once (one progress line each as it comes up), keeping their order;
 *  a peer that fails is skipped, svcnet or direct failing is fatal. */
export async function startLineup(kinds: SetupKind[], o: { root: string; backendPort: number; certs: CertPaths }): Promise<Lineup> {
  const l: Lineup = { running: [], skipped: [] };
  const results = await Promise.allSettled(kinds.map(async (kind) => {
    const t0 = Date.now();
    try {
      const version = await kind.prepare();
      const dir = path.join(o.root, kind.name);
      fs.mkdirSync(dir, { recursive: true });
      const setup = await kind.start({ backendPort: o.backendPort, dir, certs: o.certs });
      console.log(`setup ${kind.name.padEnd(9)} ready on port ${setup.port} (${version}; pids ${setup.pids().join(' ') || '—'}; ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return { kind, setup, info: { name: kind.name, description: kind.description, role: kind.role, version } };
    } catch (err) {
      console.log(`setup ${kind.name.padEnd(9)} SKIPPED: ${(err as Error).message.split('\n')[0]}`);
      throw err;
    }
  }));
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') l.running.push(r.value);
    else l.skipped.push({ name: kinds[i].name, reason: (r.reason as Error).message.split('\n')[0] });
  });
  const fatal = results.findIndex((r, i) => r.status === 'rejected' && kinds[i].role !== 'peer');
  if (fatal >= 0) { await stopLineup(l); throw (results[fatal] as PromiseRejectedResult).reason; }
  return l;
}

/** Stops every running setup. */
export async function stopLineup(l: Lineup | undefined): Promise<void> {
  if (!l) return;
  await Promise.all(l.running.map((r) => r.setup.stop().catch(() => undefined)));
}
