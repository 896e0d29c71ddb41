// `svcnet site create|run|status`. create and run work on the directory (there is no API before
// the site runs); status asks the API.
import { consoleUrl as consoleUrlOf } from '../console/console-auth.js';
import { Command, Option } from 'commander';
import { SiteStore } from '../state/site-store.js';
import { createSite, DEFAULT_LINK_PORT } from '../site-setup.js';
import { MAX_WORKERS } from '../engine/worker-node.js';
import { print, parseFormat, UsageError } from './output.js';
import { siteDir, withSession } from './session.js';
import { intArg as int, newNameArg, hostArg, parseDuration } from './args.js';
import { deleteSite } from './site-delete.js';
import { API_VERSION } from '../resources/common.js';
import { addAlias, boolValue } from './flag-alias.js';

const dirOption = () => new Option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)');

/** Adds the site command group. */
export function addSiteCommands(program: Command): void {
  const site = program.command('site').description('create, run and inspect a site');
  const create = site.command('create <name>').description('create a site: state directory, private CA, link certificate')
    .addOption(dirOption())
    .option('--link-access', 'accept links from other sites', false);
  addAlias(create, '--enable-link-access [bool]', '--link-access', boolValue('--enable-link-access'))
    .option('--link-host <host>', 'host name or IP other sites use to reach this one', '127.0.0.1')
    .option('--link-bind-host <addr>', 'local address the link and grant ports listen on, when other sites reach this one through NAT or a proxy (default: the --link-host)')
    .option('--link-port <port>', 'port for inbound links', int('--link-port'), DEFAULT_LINK_PORT)
    .option('--grant-port <port>', 'port where tokens are redeemed (default: link port + 1)', int('--grant-port'))
    .option('--console-port <port>', 'port of the web console and /metrics (default: off)', int('--console-port'))
    .option('--console-host <addr>', 'address the console listens on (default 127.0.0.1); beyond loopback it serves HTTPS and asks for a login')
    .option('--api-port <port>', 'TCP port of the control API with mutual TLS for remote orchestrators (default: off; the local unix socket is always on)', int('--api-port'))
    .action(async (name: string, o) => {
      for (const p of [o.linkPort, o.grantPort, o.consolePort, o.apiPort]) if (p !== undefined && (p < 1 || p > 65535)) throw new UsageError(`port ${p} is outside 1..65535`);
      newNameArg(name, 'site name');
      hostArg(o.linkHost, '--link-host');
      if (o.linkBindHost !== undefined) hostArg(o.linkBindHost, '--link-bind-host');
      if (o.consoleHost !== undefined) hostArg(o.consoleHost, '--console-host');
      const dir = siteDir(o);
      const cfg = await createSite(dir, name, { linkAccess: o.linkAccess, linkHost: o.linkHost, linkBindHost: o.linkBindHost, linkPort: o.linkPort, grantPort: o.grantPort, consolePort: o.consolePort, consoleHost: o.consoleHost });
      if (o.apiPort) await new SiteStore(dir).writeConfig({ ...cfg, apiPort: o.apiPort });
      console.log(`site ${cfg.name} created in ${dir}${cfg.linkAccess.enabled ? ` (links on ${cfg.linkAccess.host}:${cfg.linkAccess.port})` : ''}${o.apiPort ? ` (API on port ${o.apiPort}, mutual TLS; clients need "svcnet admin issue NAME")` : ''}`);
    });
  site.command('run').description('run the site in the foreground (logs as JSON lines on stderr)')
    .addOption(dirOption())
    .option('--router-port <port>', 'serve data-plane pushes to "svcnet router" replicas on this port (mutual TLS; default: off)', int('--router-port'))
    .option('--no-local-dataplane', 'only router replicas carry links, listeners and connectors (the site keeps accepting inbound links)')
    .option('--dataplane-workers <n>', `data-plane engine processes, 1..${MAX_WORKERS}: flows are spread over them, each links to every peer (default: 1)`, int('--dataplane-workers'), 1)
    .action(async (o) => {
      if (o.dataplaneWorkers < 1 || o.dataplaneWorkers > MAX_WORKERS) throw new UsageError(`--dataplane-workers ${o.dataplaneWorkers} is outside 1..${MAX_WORKERS}`);
      const store = SiteStore.open(siteDir(o));
      if (store.readRuntimeStatus()) throw new Error(`site in ${store.dir} is already running (pid ${store.readRuntimeStatus()!.pid})`);
      const starting = store.startingPid();
      if (starting !== undefined && starting !== process.pid) throw new Error(`site in ${store.dir} is already starting (pid ${starting})`);
      store.markStarting(process.pid); // cleared once the site publishes its first status (site-runtime.ts)
      if (o.routerPort !== undefined && (o.routerPort < 1 || o.routerPort > 65535)) throw new UsageError(`port ${o.routerPort} is outside 1..65535`);
      const recovered = await store.recover(); // before anything reads the state: it may change site.json
      // The runtime (gRPC, console, metrics, engine) loads only here: every other command starts without it.
      const [{ createLogger }, { RunningSite }] = await Promise.all([import('../log.js'), import('../site-runtime.js')]);
      const log = createLogger(store.readConfig().name);
      if (recovered) log.warn('finished a change that a crash had interrupted (pending-batch.json)');
      const running = new RunningSite(store, log, { routerPort: o.routerPort, localDataplane: o.localDataplane, dataplaneWorkers: o.dataplaneWorkers });
      await running.start();
      const stop = async (sig: string) => { log.info({ signal: sig }, 'stopping'); await running.stop(); setTimeout(() => process.exit(0), 100).unref(); };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      await new Promise(() => {});
    });
  const update = site.command('update').description('change the site\'s ports, link access and host (a Site applied through the API; takes effect at the next start)')
    .addOption(dirOption())
    .option('--link-access', 'accept links from other sites')
    .option('--no-link-access', 'stop accepting links from other sites');
  addAlias(update, '--enable-link-access [bool]', '--link-access', boolValue('--enable-link-access'))
    .option('--link-host <host>', 'host name or IP other sites use to reach this one')
    .option('--link-port <port>', 'port for inbound links', int('--link-port'))
    .option('--grant-port <port>', 'port where tokens are redeemed', int('--grant-port'))
    .option('--console-port <port>', 'port of the web console and /metrics; 0 turns it off', int('--console-port'))
    .option('--console-host <addr>', 'address the console listens on; beyond loopback it serves HTTPS and asks for a login')
    .option('--api-port <port>', 'TCP port of the mutual-TLS control API; 0 turns it off', int('--api-port'))
    .action(async (o) => {
      const ports = { linkPort: o.linkPort, grantPort: o.grantPort, consolePort: o.consolePort, apiPort: o.apiPort };
      for (const [k, p] of Object.entries(ports)) if (p !== undefined && (p > 65535 || (p < 1 && (k === 'linkPort' || k === 'grantPort')))) throw new UsageError(`port ${p} is outside ${k === 'linkPort' || k === 'grantPort' ? '1' : '0'}..65535`);
      if (o.linkHost !== undefined) hostArg(o.linkHost, '--link-host');
      if (o.consoleHost !== undefined) hostArg(o.consoleHost, '--console-host');
      if ([o.linkAccess, o.linkHost, o.consoleHost, ...Object.values(ports)].every((v) => v === undefined)) throw new UsageError('nothing to change: give --link-access or --no-link-access, --link-host, --link-port, --grant-port, --console-port, --console-host or --api-port');
      await withSession(o, async (s) => {
        const me = await s.client.get({ kind: 'Site' });
        // As a manifest (a document, not a proto message): proto3 would read 0 ("off") and an
        // unset linkAccess.enabled as unset; fields left out keep their value.
        const enabled = o.linkAccess ?? (me.site?.linkAccess as { enabled: boolean }).enabled; // the schema requires it
        const linkAccess = Object.fromEntries(Object.entries({ enabled, host: o.linkHost, port: o.linkPort }).filter(([, v]) => v !== undefined));
        const spec = Object.fromEntries(Object.entries({ grantPort: o.grantPort, consolePort: o.consolePort, consoleHost: o.consoleHost, apiPort: o.apiPort }).filter(([, v]) => v !== undefined));
        const doc = { apiVersion: API_VERSION, kind: 'Site', metadata: { name: me.metadata.name }, spec: { ...spec, ...([o.linkAccess, o.linkHost, o.linkPort].some((v) => v !== undefined) ? { linkAccess } : {}) } };
        const res = await s.client.apply({ manifests: [{ source: 'site update', text: JSON.stringify(doc) }] });
        const action = res.results[0]?.action ?? 'unchanged';
        console.log(action === 'unchanged' ? `site ${me.metadata.name} unchanged` : `site ${me.metadata.name} updated; ${s.running ? 'the running site keeps its old ports and link access until it is stopped and run again' : 'it applies at the next start'}`);
      });
    });
  site.command('delete').description('stop the site if it runs and delete its state (CA, certificates, resources); asks first unless --yes')
    .addOption(dirOption())
    .option('-y, --yes', 'do not ask for confirmation', false)
    .option('--timeout <duration>', 'how long to wait for a running site to stop', '30s')
    .action(async (o) => {
      const timeoutMs = parseDuration(o.timeout);
      console.log(await deleteSite(siteDir(o), { yes: o.yes, timeoutMs }));
    });
  site.command('status').description('show the site and whether it runs').addOption(dirOption()).addOption(new Option('-o, --output <format>', 'json or yaml instead of a table'))
    .action(async (o) => {
      const format = parseFormat(o.output);
      await withSession(o, async (s) => {
        const me = await s.client.get({ kind: 'Site' });
        const spec = me.site as { id: string; linkAccess: { enabled: boolean; host: string; port: number }; grantPort: number; consolePort: number; consoleHost?: string; apiPort: number };
        const consoleUrl = s.running ? s.store.readRuntimeStatus()?.site.consoleUrl : undefined;
        const links = (await s.client.list({ kind: 'Link' })).resources.length;
        const network = s.running ? await s.client.getNetwork() : undefined;
        const pid = s.running ? s.store.readRuntimeStatus()?.pid : undefined;
        const data = { name: me.metadata.name, id: spec.id, running: s.running, pid, linkAccess: spec.linkAccess, grantPort: spec.grantPort, consolePort: spec.consolePort || undefined, consoleHost: spec.consoleHost, consoleUrl, apiPort: spec.apiPort || undefined, links, sitesInNetwork: network?.sites.length };
        print(format, data, ['NAME', 'STATUS', 'LINK ACCESS', 'LINKS', 'SITES IN NETWORK', 'CONSOLE'],
          [[data.name, s.running ? `running (pid ${pid})` : 'not running', spec.linkAccess.enabled ? `${spec.linkAccess.host}:${spec.linkAccess.port}` : 'off', links, data.sitesInNetwork, consoleUrl ?? (spec.consolePort ? consoleUrlOf(spec.consoleHost ?? '127.0.0.1', spec.consolePort) : undefined)]]);
      });
    });
}
