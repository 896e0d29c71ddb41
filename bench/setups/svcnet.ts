// svcnet itself, driven through its CLI as a user would: 2 sites (listener on one, connector on the
// other, one mTLS link) or 3 sites in a chain (two hops, the middle site relays).
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../ports.js';
import { startProcess, stopProcess } from '../procs.js';
import { waitUntilCarrying, type SetupContext, type SetupKind } from './setup.js';

const BIN = fileURLToPath(new URL('../../../bin/svcnet.js', import.meta.url));

function cli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`svcnet ${args.join(' ')}: ${stderr.trim() || err.message}`)); else resolve(stdout);
    });
  });
}

type Status = { links: { status: string }[]; listeners: { name: string; status: string }[] };
function status(dir: string): Status | undefined {
  try { return JSON.parse(fs.readFileSync(path.join(dir, 'run', 'status.json'), 'utf8')) as Status; } catch { return undefined; }
}

async function until(what: string, check: () => unknown, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`svcnet setup: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts the sites of a chain: sites[0] has the connector, the last one the listener. */
async function startChain(ctx: SetupContext, count: number): Promise<{ port: number; procs: ChildProcess[] }> {
  const ports = await freePorts(2 * count + 1);
  const entry = ports[2 * count];
  const dirs = Array.from({ length: count }, (_, i) => path.join(ctx.dir, `site-${i}`));
  await Promise.all(dirs.map((d, i) => {
    const access = i < count - 1 ? ['--link-access', '--link-port', String(ports[2 * i]), '--grant-port', String(ports[2 * i + 1])] : [];
    return cli(['site', 'create', `bench-${i}`, '--dir', d, ...access]);
  }));
  const procs = dirs.map((d) => startProcess(process.execPath, [...(ctx.nodeArgs ?? []), BIN, 'site', 'run', '--dir', d], path.join(d, 'site.log')));
  for (const d of dirs) await until(`site ${d} to run`, () => status(d));
  for (let i = 1; i < count; i++) {
    const token = path.join(ctx.dir, `token-${i}.yaml`);
    await cli(['token', 'issue', token, '--dir', dirs[i - 1]]);
    await cli(['token', 'redeem', token, '--dir', dirs[i]]);
    await until(`link ${i} ready`, () => status(dirs[i])?.links.some((l) => l.status === 'ready'));
  }
  await cli(['connector', 'create', 'bench', String(ctx.backendPort), '--routing-key', 'bench', '--host', '127.0.0.1', '--dir', dirs[0]]);
  await cli(['listener', 'create', 'bench', String(entry), '--routing-key', 'bench', '--host', '127.0.0.1', '--dir', dirs[count - 1]]);
  await until('listener ready', () => status(dirs[count - 1])?.listeners.some((l) => l.name === 'bench' && l.status === 'ready'));
  return { port: entry, procs };
}

/** svcnet with `sites` sites in a chain (2: one link; 3: two hops). */
export function svcnetSetup(sites: 2 | 3): SetupKind {
  return {
    name: `svcnet-${sites}`,
    description: sites === 2
      ? 'svcnet: listener site ← one mTLS link → connector site (2 Node processes)'
      : 'svcnet: listener site → relay site → connector site, two hops (3 Node processes)',
    role: 'svcnet',
    prepare: async () => `svcnet ${JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')).version} on Node ${process.version}`,
    async start(ctx) {
      const { port, procs } = await startChain(ctx, sites);
      await waitUntilCarrying(port);
      return {
        port,
        pids: () => procs.map((p) => p.pid!).filter(Boolean),
        stop: async () => { await Promise.all(procs.map((p) => stopProcess(p, 5000))); },
      };
    },
  };
}
