// The shape every peer tunnel shares: a client-side proxy (plain TCP in, mutual TLS out) and a
// server-side proxy (mutual TLS in, plain TCP to the backend), configs rendered from bench/peers/.
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePorts } from '../ports.js';
import { stopProcess } from '../procs.js';
import { render } from './template.js';
import { waitUntilCarrying, type SetupContext, type SetupKind } from './setup.js';

/** What differs between peer tunnels: binary, templates, how to launch one side. */
export interface PairSpec {
  name: string;
  description: string;
  /** installs when needed, returns the version line */
  prepare(): Promise<string>;
  /** template file names in bench/peers/ */
  templates: { client: string; server: string };
  /** extra template values (module paths and the like) */
  vars?: () => Promise<Record<string, string>>;
  /** starts one proxy with its rendered config */
  launch(config: string, side: 'client' | 'server', dir: string): ChildProcess;
}

/** A peer tunnel made of a client-side and a server-side proxy. */
export function pairSetup(spec: PairSpec): SetupKind {
  return {
    name: spec.name,
    description: spec.description,
    role: 'peer',
    prepare: spec.prepare,
    async start(ctx: SetupContext) {
      const [entry, tlsPort] = await freePorts(2);
      const c = ctx.certs;
      const vars = {
        ENTRY_PORT: entry, TLS_PORT: tlsPort, BACKEND_PORT: ctx.backendPort, DIR: ctx.dir,
        CA: c.ca, SERVER_CERT: c.serverCert, SERVER_KEY: c.serverKey, SERVER_PEM: c.serverPem,
        CLIENT_CERT: c.clientCert, CLIENT_KEY: c.clientKey, CLIENT_PEM: c.clientPem,
        ...(await spec.vars?.()),
      };
      const ext = path.extname(spec.templates.server);
      const server = spec.launch(render(spec.templates.server, vars, path.join(ctx.dir, `server${ext}`)), 'server', ctx.dir);
      const client = spec.launch(render(spec.templates.client, vars, path.join(ctx.dir, `client${ext}`)), 'client', ctx.dir);
      const procs = [server, client];
      try {
        await waitUntilCarrying(entry, 15_000);
      } catch (err) {
        await Promise.all(procs.map((p) => stopProcess(p)));
        throw new Error(`${spec.name} does not carry traffic (logs in ${ctx.dir}): ${(err as Error).message}`);
      }
      return { port: entry, pids: () => procs.map((p) => p.pid!).filter(Boolean), stop: async () => { await Promise.all(procs.map((p) => stopProcess(p))); } };
    },
  };
}
