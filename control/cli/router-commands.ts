// `svcnet router --control ADDR --dir RDIR`: a data-plane replica steered by a site's controller,
// and `svcnet router issue NAME`: its client certificate, signed by the site CA on the site's host.
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { SiteStore } from '../state/site-store.js';
import { loadIdentity } from '../pki/site-identity.js';
import { issueLeaf } from '../pki/ca.js';
import { writeFileAtomic } from '../state/atomic.js';
import { UsageError } from './output.js';
import { isWorkerName } from '../engine/worker-node.js';
import { siteDir } from './session.js';

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Adds the router command. */
export function addRouterCommands(program: Command): void {
  const router = program.command('router').description('run a data-plane replica steered by a site\'s controller (svcnet.v1.DataplaneDiscovery over mutual TLS)')
    .option('--control <host:port>', 'the site\'s router endpoint (site run --router-port)')
    .option('--dir <dir>', 'router directory from "svcnet router issue" (router.key, router.crt, ca.crt)')
    .option('--listener-port-offset <n>', 'open the site\'s listeners too, at port + N (default: no listeners, links and connectors only)')
    .action(async (o) => {
      if (!o.control || !/^[^:]+:\d+$/.test(o.control)) throw new UsageError('--control HOST:PORT is required');
      // The replica's runtime (gRPC, engine) loads only for this command, so other commands start fast.
      const [{ createLogger }, { Router, routerFiles }, { DEFAULT_WINDOW }] = await Promise.all([import('../log.js'), import('../xds/router.js'), import('../site-runtime.js')]);
      if (!o.dir || !fs.existsSync(routerFiles(o.dir).cert)) throw new UsageError(`--dir must hold the files of "svcnet router issue NAME --out DIR"${o.dir ? ` (no ${routerFiles(o.dir).cert})` : ''}`);
      if (o.listenerPortOffset !== undefined && !/^\d+$/.test(o.listenerPortOffset)) throw new UsageError(`--listener-port-offset must be a number, not "${o.listenerPortOffset}"`);
      const log = createLogger(`router ${path.basename(path.resolve(o.dir))}`);
      const r = new Router({ control: o.control, dir: o.dir, window: Number(process.env.SVCNET_WINDOW ?? DEFAULT_WINDOW), log,
        listenerPortOffset: o.listenerPortOffset === undefined ? undefined : Number(o.listenerPortOffset) });
      r.start();
      const stop = (sig: string) => { log.info({ signal: sig }, 'stopping'); r.stop(); setTimeout(() => process.exit(0), 100).unref(); };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      await new Promise(() => {});
    });
  router.command('issue <name>').description('write router.key, router.crt and ca.crt into --out: the client certificate of router replica NAME')
    .addOption(new Option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)'))
    .requiredOption('--out <dir>', 'router directory to write')
    .option('--days <n>', 'validity in days', '60')
    .action(async (name: string, o) => {
      if (!NAME.test(name)) throw new UsageError(`router name "${name}" must be lowercase letters, digits and dashes`);
      if (isWorkerName(name)) throw new UsageError(`router name "${name}" is kept for the site's own data-plane workers (--dataplane-workers)`);
      if (!/^\d+$/.test(o.days) || Number(o.days) < 1) throw new UsageError(`--days must be a positive number, not "${o.days}"`);
      // commander hands "--dir" after "issue" to the router command, which has a --dir of its own.
      const store = SiteStore.open(siteDir({ dir: o.dir ?? router.opts().dir }));
      const [{ routerFiles }, { ROUTER_CN_PREFIX }] = await Promise.all([import('../xds/router.js'), import('../xds/server.js')]);
      const leaf = await issueLeaf(store.readCa(), { commonName: `${ROUTER_CN_PREFIX}${name}`, client: true, lifetimeMs: Number(o.days) * 86400_000 });
      fs.mkdirSync(o.out, { recursive: true, mode: 0o700 });
      const f = routerFiles(o.out);
      writeFileAtomic(f.key, leaf.key, 0o600);
      writeFileAtomic(f.cert, leaf.cert);
      writeFileAtomic(f.ca, store.readCa().cert);
      // The replica is a node of this site: it proves the site's id with the site's identity key.
      writeFileAtomic(f.identity, loadIdentity(store).toPem(), 0o600);
      console.log(`router certificate for ${name} written to ${o.out}; run it with "svcnet router --control HOST:PORT --dir ${o.out}" (the site serves routers with "site run --router-port PORT")`);
    });
}
