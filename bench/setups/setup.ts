// What a setup is: a way to carry a TCP flow from an entry port to the backend (directly, through
// svcnet sites, or through a pair of peer proxies with mutual TLS). Setups run side by side.
import net from 'node:net';
import type { CertPaths } from '../certs.js';

/** What a setup is given to start. */
export interface SetupContext {
  /** where the backend (stream, echo and HTTP server) listens */
  backendPort: number;
  /** a fresh directory for this setup's configs, state and logs */
  dir: string;
  certs: CertPaths;
  /** node options for Node processes of this setup (used to profile svcnet sites) */
  nodeArgs?: string[];
}

/** A started setup. */
export interface RunningSetup {
  /** clients connect here */
  port: number;
  /** pids of the proxy processes (empty for direct) */
  pids(): number[];
  stop(): Promise<void>;
  /** stops the processes and starts them again on the same state with these node options (profiling) */
  relaunch?(nodeArgs: string[]): Promise<void>;
  /** starts control-plane work beside the traffic (svcnet: the entry site signs certificates in a loop) */
  controlWork?(): ControlWork;
}

/** Control-plane work running on a setup until stopped. */
export interface ControlWork {
  /** stops the work; how many operations were done in how many seconds */
  stop(): Promise<{ operations: number; seconds: number }>;
}

/** A kind of setup, registered in setups/index.ts. */
export interface SetupKind {
  name: string;
  /** how it is built, for the report */
  description: string;
  /** peers are the tools svcnet is compared against */
  role: 'direct' | 'svcnet' | 'peer';
  /** installs what is missing; returns the version line, or throws why it cannot run */
  prepare(): Promise<string>;
  start(ctx: SetupContext): Promise<RunningSetup>;
  /** the scenarios it runs (absent: all); the others are not run through it */
  scenarios?: string[];
}

/** Thrown by prepare() when a peer cannot be installed: the bench says so and skips it. */
export class SkipSetup extends Error {}

/** Resolves once one echo round trip through `port` works (the setup carries flows end to end). */
export async function waitUntilCarrying(port: number, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => s.write('ready?'));
      const t = setTimeout(() => { s.destroy(); resolve(false); }, 2000);
      s.once('data', () => { clearTimeout(t); s.destroy(); resolve(true); });
      s.on('error', (e) => { last = e.message; clearTimeout(t); resolve(false); });
      s.on('close', () => { clearTimeout(t); resolve(false); });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing comes back through port ${port} after ${timeoutMs} ms${last ? ` (${last})` : ''}`);
}
