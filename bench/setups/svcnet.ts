// svcnet itself, driven through its CLI as a user would: 2 sites (listener on one, connector on the
// other, one mTLS link) or 3 sites in a chain (two hops, the middle site relays).
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../ports.js';
import { startProcess, stopProcess } from '../procs.js';
import { waitUntilCarrying, type ControlWork, type SetupContext, type SetupKind } from './setup.js';
import { unixClient } from '../../control/api/client.js';
import { createCsr } from '../../control/pki/ca.js';
import { openConsoleViewer, type ConsoleViewer } from '../console-viewer.js';

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

const launch = (dirs: string[], nodeArgs: string[], runArgs: string[] = []): ChildProcess[] =>
  dirs.map((d) => startProcess(process.execPath, [...nodeArgs, BIN, 'site', 'run', '--dir', d, ...runArgs], path.join(d, 'site.log')));

/** Creates and starts the sites of a chain: dirs[0] has the connector, the last one the listener;
 *  each site redeems a token of the one before it. Independent CLI steps run concurrently. */
async function startChain(ctx: SetupContext, count: number, runArgs: string[], consoles: boolean, listenerArgs: string[] = []): Promise<{ port: number; dirs: string[]; procs: ChildProcess[]; consolePorts: number[] }> {
  const ports = await freePorts(3 * count + 1);
  const entry = ports[2 * count];
  const consolePorts = consoles ? ports.slice(2 * count + 1) : [];
  const dirs = Array.from({ length: count }, (_, i) => path.join(ctx.dir, `site-${i}`));
  await Promise.all(dirs.map((d, i) => {
    const access = i < count - 1 ? ['--link-access', '--link-port', String(ports[2 * i]), '--grant-port', String(ports[2 * i + 1])] : [];
    return cli(['site', 'create', `bench-${i}`, '--dir', d, ...access, ...(consoles ? ['--console-port', String(consolePorts[i])] : [])]);
  }));
  const procs = launch(dirs, ctx.nodeArgs ?? [], runArgs);
  await Promise.all(dirs.map((d) => until(`site ${d} to run`, () => status(d))));
  await Promise.all([
    ...dirs.slice(1).map(async (d, j) => {
      const token = path.join(ctx.dir, `token-${j + 1}.yaml`);
      await cli(['token', 'issue', token, '--dir', dirs[j]]);
      await cli(['token', 'redeem', token, '--dir', d]);
    }),
    cli(['connector', 'create', 'bench', String(ctx.backendPort), '--routing-key', 'bench', '--host', '127.0.0.1', '--dir', dirs[0]]),
    cli(['listener', 'create', 'bench', String(entry), '--routing-key', 'bench', '--host', '127.0.0.1', '--dir', dirs[count - 1], ...listenerArgs]),
  ]);
  await until('listener ready', () => status(dirs[count - 1])?.listeners.some((l) => l.name === 'bench' && l.status === 'ready'));
  return { port: entry, dirs, procs, consolePorts };
}

/** The entry site's control process signs API client certificates through its API, one request
 *  after another, until stopped: the work that once shared an event loop with the links. */
function signingLoop(dir: string, csr: Promise<string>): ControlWork {
  const client = unixClient(dir, { timeoutMs: 30_000 });
  const t0 = performance.now();
  let operations = 0;
  let stopping = false;
  const loop = (async () => {
    const request = { name: 'bench', csr: await csr, days: 1 };
    while (!stopping) { await client.issueAdminCertificate(request); operations++; }
  })();
  return {
    async stop() {
      stopping = true;
      try { await loop; } finally { client.close(); }
      return { operations, seconds: (performance.now() - t0) / 1000 };
    },
  };
}

/** A listener of type http1 (issue 13): observed, or request-balanced too. Only the HTTP scenarios make sense through it. */
export type HttpListener = 'http1' | 'http1-request';

/** Resolves once one HTTP GET through `port` is answered (a request-balanced listener carries nothing else). */
async function waitUntilHttp(port: number, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try { if ((await fetch(`http://127.0.0.1:${port}/1k`)).ok) return; } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`svcnet setup: no HTTP answer through port ${port} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * svcnet with `sites` sites in a chain (2: one link; 3: two hops), each site with `workers` data-plane
 * engines; `consoles`: each site's console is open (bench/console-viewer.ts), to measure what it costs;
 * `http`: the listener is http1 (observed) or http1 with `balance: request`.
 */
export function svcnetSetup(sites: 2 | 3, workers = 1, consoles = false, http?: HttpListener): SetupKind {
  const runArgs = workers > 1 ? ['--dataplane-workers', String(workers)] : [];
  const listenerArgs = http === undefined ? [] : ['--type', 'http1', ...(http === 'http1-request' ? ['--balance', 'request'] : [])];
  const carrying = http === 'http1-request' ? waitUntilHttp : waitUntilCarrying;
  return {
    name: `svcnet-${sites}${workers > 1 ? `-w${workers}` : ''}${consoles ? '-console' : ''}${http ? `-${http}` : ''}`,
    description: http
      ? `svcnet-${sites} with an http1 listener${http === 'http1-request' ? ' balancing per request (balance: request; one connector, so the cost of the proxying itself)' : ' (every request observed in the wasm core)'}; HTTP scenarios only`
      : consoles
      ? `svcnet-${sites} with a console page open on every site (its event stream, and the flows table fetched again at most once a second while flows are open, as the page does)`
      : workers > 1
      ? `svcnet: ${sites} sites, each a control process and ${workers} engine processes (--dataplane-workers ${workers}; flows spread over the engines)`
      : sites === 2
      ? 'svcnet: listener site ← one mTLS link → connector site (2 sites, each a control and an engine process)'
      : 'svcnet: listener site → relay site → connector site, two hops (3 sites, each a control and an engine process)',
    role: 'svcnet',
    ...(http ? { scenarios: ['http-1k', 'http-64k'] } : {}),
    prepare: async () => `svcnet ${JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')).version} on Node ${process.version}`,
    async start(ctx) {
      const chain = await startChain(ctx, sites, runArgs, consoles, listenerArgs);
      let procs = chain.procs;
      await carrying(chain.port);
      let viewers: ConsoleViewer[] = await Promise.all(chain.consolePorts.map(openConsoleViewer));
      const stop = async () => {
        const seen = await Promise.all(viewers.map((v) => v.stop()));
        // Said in the run's output, so a viewer that saw nothing (and so cost nothing) is noticed.
        if (seen.length) console.log(`console viewers: ${seen.map((s) => `${s.events} status events, ${s.flowFetches} flow-table fetches`).join('; ')}`);
        viewers = [];
        await Promise.all(procs.map((p) => stopProcess(p, 5000)));
      };
      const csr = createCsr('admin:bench').then((r) => r.csr); // made now, so no run waits for the key
      return {
        port: chain.port,
        pids: () => procs.map((p) => p.pid!).filter(Boolean),
        stop,
        controlWork() {
          return signingLoop(chain.dirs[sites - 1], csr);
        },
        async relaunch(nodeArgs: string[]) {
          await stop();
          procs = launch(chain.dirs, nodeArgs, runArgs);
          await carrying(chain.port);
          viewers = await Promise.all(chain.consolePorts.map(openConsoleViewer));
        },
      };
    },
  };
}
