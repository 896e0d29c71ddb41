// The svcnet command line. Every command is a short function over the site store; a running site
// picks up stored changes within a fraction of a second. Exit codes: 0 ok, 1 failure, 2 usage.
import net from 'node:net';
import { Command, CommanderError, Option } from 'commander';
import { SiteStore } from '../state/site-store.js';
import { createSite, DEFAULT_LINK_PORT } from '../site-setup.js';
import { RunningSite } from '../site-runtime.js';
import { issueToken, redeemToken } from '../token.js';
import { createLogger } from '../log.js';
import { API_VERSION, ValidationError } from '../resources/common.js';
import { validateListener } from '../resources/listener.js';
import { validateConnector } from '../resources/connector.js';
import { print, parseFormat, UsageError } from './output.js';

function siteDir(opts: { dir?: string }): string {
  const dir = opts.dir ?? process.env.SVCNET_DIR;
  if (!dir) throw new UsageError('no site directory: pass --dir DIR or set SVCNET_DIR');
  return dir;
}

function int(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new UsageError(`${name} must be a number, not "${v}"`);
    return Number(v);
  };
}

/** Parses durations like 90s, 15m, 2h, 7d. */
export function parseDuration(v: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(v);
  if (!m) throw new UsageError(`duration "${v}" must look like 30s, 15m, 2h or 7d`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

const dirOption = () => new Option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)');
const outputOption = () => new Option('-o, --output <format>', 'json or yaml instead of a table');

function appliesWhen(store: SiteStore): string {
  return store.readRuntimeStatus() ? 'the running site applies it now' : 'the site is not running; it applies at the next start';
}

/** Refuses a port that something else on this host already listens on. */
function checkPortFree(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code === 'EADDRINUSE' ? `port ${port} is already in use; choose another port` : `cannot use port ${port}: ${err.message}`)));
    s.listen(port, host, () => s.close(() => resolve()));
  });
}

export function buildProgram(): Command {
  const program = new Command('svcnet').description('svcnet: link services across sites over mutual TLS').exitOverride().showHelpAfterError(false);

  // ---- site ---------------------------------------------------------------------------
  const site = program.command('site').description('create, run and inspect a site');
  site.command('create <name>').description('create a site: state directory, private CA, link certificate')
    .addOption(dirOption())
    .option('--link-access', 'accept links from other sites', false)
    .option('--link-host <host>', 'host name or IP other sites use to reach this one', '127.0.0.1')
    .option('--link-port <port>', 'port for inbound links', int('--link-port'), DEFAULT_LINK_PORT)
    .option('--grant-port <port>', 'port where tokens are redeemed (default: link port + 1)', int('--grant-port'))
    .option('--console-port <port>', 'port of the web console and /metrics (default: off)', int('--console-port'))
    .action(async (name: string, o) => {
      for (const p of [o.linkPort, o.grantPort, o.consolePort]) if (p !== undefined && (p < 1 || p > 65535)) throw new UsageError(`port ${p} is outside 1..65535`);
      const dir = siteDir(o);
      const cfg = await createSite(dir, name, { linkAccess: o.linkAccess, linkHost: o.linkHost, linkPort: o.linkPort, grantPort: o.grantPort, consolePort: o.consolePort });
      console.log(`site ${cfg.name} created in ${dir}${cfg.linkAccess.enabled ? ` (links on ${cfg.linkAccess.host}:${cfg.linkAccess.port})` : ''}`);
    });
  site.command('run').description('run the site in the foreground (logs as JSON lines on stderr)')
    .addOption(dirOption())
    .action(async (o) => {
      const store = SiteStore.open(siteDir(o));
      if (store.readRuntimeStatus()) throw new Error(`site in ${store.dir} is already running (pid ${store.readRuntimeStatus()!.pid})`);
      const log = createLogger(store.readConfig().name);
      const running = new RunningSite(store, log);
      await running.start();
      const stop = async (sig: string) => { log.info({ signal: sig }, 'stopping'); await running.stop(); setTimeout(() => process.exit(0), 100).unref(); };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      await new Promise(() => {});
    });
  site.command('status').description('show the site and whether it runs').addOption(dirOption()).addOption(outputOption())
    .action((o) => {
      const store = SiteStore.open(siteDir(o));
      const cfg = store.readConfig();
      const rt = store.readRuntimeStatus();
      const data = { name: cfg.name, id: cfg.id, running: !!rt, pid: rt?.pid, linkAccess: cfg.linkAccess, grantPort: cfg.grantPort, consolePort: cfg.consolePort || undefined,
        links: rt?.links.length ?? store.list('Link').length, sitesInNetwork: rt?.network.sites.length };
      print(parseFormat(o.output), data, ['NAME', 'STATUS', 'LINK ACCESS', 'LINKS', 'SITES IN NETWORK', 'CONSOLE'],
        [[cfg.name, rt ? `running (pid ${rt.pid})` : 'not running', cfg.linkAccess.enabled ? `${cfg.linkAccess.host}:${cfg.linkAccess.port}` : 'off', data.links, data.sitesInNetwork, cfg.consolePort ? `http://127.0.0.1:${cfg.consolePort}/` : undefined]]);
    });

  // ---- token --------------------------------------------------------------------------
  const token = program.command('token').description('issue and redeem tokens that let a site link to this one');
  token.command('issue <file>').description('create a one-time grant and write its token file').addOption(dirOption())
    .option('--expiry <duration>', 'how long the token is valid (e.g. 15m, 2h)', '15m')
    .option('--redemptions <n>', 'how many times it may be redeemed', int('--redemptions'), 1)
    .action((file: string, o) => {
      const store = SiteStore.open(siteDir(o));
      const t = issueToken(store, file, { expiryMs: parseDuration(o.expiry), redemptions: o.redemptions });
      console.log(`token written to ${file} (grant ${t.metadata.name}, valid ${o.expiry}, ${o.redemptions} redemption${o.redemptions === 1 ? '' : 's'}); redeem it with "svcnet token redeem ${file} --dir OTHER_SITE"`);
    });
  token.command('redeem <file>').description('redeem a token: get a link certificate and link to the issuing site').addOption(dirOption())
    .option('--name <name>', 'name of the Link to create')
    .option('--cost <n>', 'link cost for routing', int('--cost'), 1)
    .action(async (file: string, o) => {
      const store = SiteStore.open(siteDir(o));
      const link = await redeemToken(store, file, { name: o.name, cost: o.cost });
      console.log(`link ${link.metadata.name} to site ${link.spec.peerSite} created; ${appliesWhen(store)}`);
    });

  // ---- link ---------------------------------------------------------------------------
  const link = program.command('link').description('inspect and delete links');
  link.command('status').description('show links and whether they are up').addOption(dirOption()).addOption(outputOption())
    .action((o) => {
      const store = SiteStore.open(siteDir(o));
      const rt = store.readRuntimeStatus();
      const links = rt ? rt.links : store.list('Link').map((l) => {
        const r = l as { metadata: { name: string }; spec: { peerSite?: string; cost: number } };
        return { name: r.metadata.name, direction: 'outbound', status: 'site not running', message: '', peer: r.spec.peerSite, cost: r.spec.cost };
      });
      print(parseFormat(o.output), links, ['NAME', 'DIRECTION', 'PEER', 'COST', 'STATUS', 'MESSAGE'], links.map((l) => [l.name, l.direction, l.peer, l.cost, l.status, l.message]));
    });
  link.command('delete <name>').description('delete an outbound link').addOption(dirOption())
    .action((name: string, o) => {
      const store = SiteStore.open(siteDir(o));
      if (!store.delete('Link', name)) throw new Error(`no link named ${name}`);
      store.deleteLinkCredentials(name);
      console.log(`link ${name} deleted; ${appliesWhen(store)}`);
    });

  // ---- listener / connector -----------------------------------------------------------
  for (const kind of ['listener', 'connector'] as const) {
    const Kind = kind === 'listener' ? 'Listener' : 'Connector';
    const cmd = program.command(kind).description(kind === 'listener' ? 'ports where clients connect to a routing key' : 'servers that receive a routing key\'s flows');
    cmd.command('create <name> <port>').description(`create a ${kind}`).addOption(dirOption())
      .requiredOption('-r, --routing-key <key>', 'routing key that joins listeners and connectors')
      .option('--host <host>', kind === 'listener' ? 'address to listen on' : 'host of the server', kind === 'listener' ? '0.0.0.0' : '127.0.0.1')
      .action(async (name: string, port: string, o) => {
        const store = SiteStore.open(siteDir(o));
        if (store.get(Kind, name)) throw new Error(`${kind} ${name} already exists; delete it first`);
        const doc = { apiVersion: API_VERSION, kind: Kind, metadata: { name }, spec: { routingKey: o.routingKey, port: Number(port), host: o.host } };
        try {
          if (kind === 'listener') validateListener(doc); else validateConnector(doc);
        } catch (err) {
          if (err instanceof ValidationError) throw new UsageError(`invalid ${kind}: ${err.field === 'spec.port' ? `port "${port}"` : err.field} ${err.reason}`);
          throw err;
        }
        if (kind === 'listener') {
          const clash = store.list('Listener').find((l) => (l as { spec: { port: number } }).spec.port === Number(port));
          if (clash) throw new Error(`port ${port} is already used by listener ${(clash as { metadata: { name: string } }).metadata.name}`);
          await checkPortFree(Number(port), o.host);
        }
        store.put(Kind, name, doc);
        console.log(`${kind} ${name} created (routing key ${o.routingKey}, port ${port}); ${appliesWhen(store)}`);
      });
    cmd.command('delete <name>').description(`delete a ${kind}`).addOption(dirOption())
      .action((name: string, o) => {
        const store = SiteStore.open(siteDir(o));
        if (!store.delete(Kind, name)) throw new Error(`no ${kind} named ${name}`);
        console.log(`${kind} ${name} deleted; ${appliesWhen(store)}`);
      });
    cmd.command('status').description(`show ${kind}s and whether they are ready`).addOption(dirOption()).addOption(outputOption())
      .action((o) => {
        const store = SiteStore.open(siteDir(o));
        const rt = store.readRuntimeStatus();
        const stored = store.list(Kind) as { metadata: { name: string }; spec: { routingKey: string; port: number; host: string } }[];
        if (kind === 'listener') {
          const rows = stored.map((l) => {
            const live = rt?.listeners.find((x) => x.name === l.metadata.name);
            return { name: l.metadata.name, routingKey: l.spec.routingKey, port: l.spec.port, status: live?.status ?? (rt ? 'pending' : 'site not running'), message: live?.message ?? '', flowsActive: live?.flowsActive ?? 0 };
          });
          print(parseFormat(o.output), rows, ['NAME', 'ROUTING KEY', 'PORT', 'STATUS', 'FLOWS', 'MESSAGE'], rows.map((r) => [r.name, r.routingKey, r.port, r.status, r.flowsActive, r.message]));
        } else {
          const rows = stored.map((c) => {
            const live = rt?.connectors.find((x) => x.name === c.metadata.name);
            return { name: c.metadata.name, routingKey: c.spec.routingKey, host: c.spec.host, port: c.spec.port, status: live ? (live.ready ? 'ready' : 'not ready') : rt ? 'pending' : 'site not running', message: live?.message ?? '', flowsActive: live?.flowsActive ?? 0 };
          });
          print(parseFormat(o.output), rows, ['NAME', 'ROUTING KEY', 'TARGET', 'STATUS', 'FLOWS', 'MESSAGE'], rows.map((r) => [r.name, r.routingKey, `${r.host}:${r.port}`, r.status, r.flowsActive, r.message]));
        }
      });
  }

  // ---- network ------------------------------------------------------------------------
  program.command('network').description('the whole network as this site sees it')
    .command('status').description('sites, their links and routing keys, with path cost from here').addOption(dirOption()).addOption(outputOption())
    .action((o) => {
      const store = SiteStore.open(siteDir(o));
      const rt = store.readRuntimeStatus();
      if (!rt) throw new Error(`site ${store.readConfig().name} is not running; start it with "svcnet site run --dir ${store.dir}"`);
      const names = new Map(rt.network.sites.map((s) => [s.id, s.name]));
      const sites = rt.network.sites.map((s) => ({ ...s, links: s.links.map((l) => ({ ...l, peerName: names.get(l.peer) ?? l.peer })) }));
      print(parseFormat(o.output), { sites }, ['SITE', 'COST', 'LINKS', 'ROUTING KEYS'],
        sites.map((s) => [s.name + (s.id === rt.site.id ? ' (this site)' : ''), s.cost === null ? 'unreachable' : s.cost, s.links.map((l) => `${l.peerName}(${l.cost})`).join(' ') || '-', s.keys.join(' ') || '-']));
    });
  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2; // commander already printed the usage error
    }
    if (err instanceof UsageError) { process.stderr.write(`error: ${err.message}\n`); return 2; }
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
}
