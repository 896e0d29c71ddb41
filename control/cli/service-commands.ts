// `svcnet listener|connector create|update|delete|status`: Skupper v2's imperative verbs, each a
// call to the control API (Apply with create-only, Apply with the stored version, Delete, List).
import net from 'node:net';
import { Command, Option } from 'commander';
import { API_VERSION, ValidationError } from '../resources/common.js';
import { validateListener } from '../resources/listener.js';
import { validateConnector } from '../resources/connector.js';
import { print, parseFormat, UsageError } from './output.js';
import { withSession, appliesWhen } from './session.js';
import { nameArg } from './args.js';
import { waitOptions, waitRequest, waitReady } from './wait.js';
import { resourceToDocument } from '../api/convert.js';
import type { Resource } from '../api/types.js';

const TYPE_HELP = 'tcp, http1 or http2: bytes pass unchanged in each; http1 requests are observed (flow records, metrics)';
const BALANCE_HELP = 'listener: connection (each client connection to one connector) or request (each HTTP/1.1 request or HTTP/2 stream, so each gRPC call, may go to another; needs --type http1 or http2)';
const dirOption = () => new Option('--dir <dir>', 'site state directory (default: $SVCNET_DIR)');

/** Refuses a port that something else on this host already listens on. */
function checkPortFree(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code === 'EADDRINUSE' ? `port ${port} is already in use; choose another port` : `cannot use port ${port}: ${err.message}`)));
    s.listen(port, host, () => s.close(() => resolve()));
  });
}

/** Validates command-line values here, so a typo is a usage error (exit 2) naming the argument. */
function checked(kind: 'listener' | 'connector', doc: { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> }, portArg: string): void {
  try {
    if (kind === 'listener') validateListener(doc); else validateConnector(doc);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    // Name the argument as the user typed it, not the document field it became.
    const arg = { 'spec.port': `port ${JSON.stringify(portArg)}`, 'spec.host': `--host ${JSON.stringify(doc.spec.host)}`, 'spec.routingKey': `--routing-key ${JSON.stringify(doc.spec.routingKey)}`, 'spec.type': `--type ${JSON.stringify(doc.spec.type)}`, 'spec.tlsCredentials': doc.spec.tlsCredentials === undefined ? '--tls-credentials' : `--tls-credentials ${JSON.stringify(doc.spec.tlsCredentials)}`, 'spec.requireClientCert': '--require-client-cert', 'spec.balance': `--balance ${JSON.stringify(doc.spec.balance)}`, 'metadata.name': `name ${JSON.stringify(doc.metadata.name)}` }[err.field];
    throw new UsageError(`invalid ${kind}: ${arg ?? err.field} ${err.reason}`);
  }
}

/** The application TLS fields of the create options (issue 15); none without --tls-credentials (validation names a stray flag). */
function tlsSpec(o: { tlsCredentials?: string; requireClientCert?: boolean; useClientCert?: boolean; verifyHostname?: boolean }): Record<string, unknown> {
  return {
    ...(o.tlsCredentials !== undefined ? { tlsCredentials: o.tlsCredentials } : {}),
    ...(o.requireClientCert ? { requireClientCert: true } : {}),
    ...(o.useClientCert ? { useClientCert: true } : {}),
    ...(o.verifyHostname === false ? { verifyHostname: false } : {}),
  };
}

/** Adds the listener and connector command groups. */
export function addServiceCommands(program: Command): void {
  for (const kind of ['listener', 'connector'] as const) {
    const Kind = kind === 'listener' ? 'Listener' : 'Connector';
    const cmd = program.command(kind).description(kind === 'listener' ? 'ports where clients connect to a routing key' : 'servers that receive a routing key\'s flows');
    const create = waitOptions(cmd.command('create <name> <port>').description(`create a ${kind}`).addOption(dirOption()))
      .option('-r, --routing-key <key>', 'routing key that joins listeners and connectors (default: the name, as in Skupper)')
      .option('--host <host>', kind === 'listener' ? 'address to listen on' : 'host of the server', kind === 'listener' ? '0.0.0.0' : '127.0.0.1')
      .option('--type <type>', TYPE_HELP, 'tcp')
      .option('--tls-credentials <name>', kind === 'listener' ? 'terminate TLS for clients with these credentials (svcnet tls create)' : 'connect to the server with TLS, trusting these credentials\' CA (svcnet tls create)');
    if (kind === 'listener') create.option('--balance <mode>', BALANCE_HELP).option('--require-client-cert', 'with --tls-credentials: refuse clients without a certificate signed by the credentials\' CA');
    else create.option('--use-client-cert', 'with --tls-credentials: present the credentials\' certificate to the server').option('--no-verify-hostname', 'with --tls-credentials: do not check that the server\'s certificate names --host');
    create
      .action(async (name: string, port: string, o) => {
        const routingKey: string = o.routingKey ?? name;
        const doc = { apiVersion: API_VERSION, kind: Kind, metadata: { name }, spec: { routingKey, port: /^\d+$/.test(port) ? Number(port) : port, host: o.host, type: o.type, ...tlsSpec(o), ...(o.balance !== undefined ? { balance: o.balance } : {}) } };
        checked(kind, doc, port);
        const waitMs = waitRequest(o);
        await withSession(o, async (s) => {
          if (kind === 'listener') {
            // Only a listener we do not own yet can collide with another program on this host.
            const mine = (await s.client.list({ kind: 'Listener' })).resources.find((r) => r.listener?.port === Number(port));
            if (mine) throw new Error(`port ${port} is already used by listener ${mine.metadata.name}`);
            await checkPortFree(Number(port), o.host);
          }
          await s.client.apply({ resources: [{ kind: Kind, metadata: { name }, [kind]: doc.spec }], createOnly: true });
          console.log(`${kind} ${name} created (routing key ${routingKey}, port ${port}, type ${o.type}${o.tlsCredentials ? `, TLS credentials ${o.tlsCredentials}` : ''}); ${appliesWhen(s.running)}`);
          if (waitMs !== undefined) await waitReady(s, Kind, name, waitMs);
        });
      });
    cmd.command('update <name>').description(`change a ${kind}; refused if someone else changed it meanwhile`).addOption(dirOption())
      .option('-r, --routing-key <key>', 'new routing key')
      .option('--port <port>', 'new port')
      .option('--host <host>', 'new host')
      .option('--type <type>', TYPE_HELP)
      .option('--tls-credentials <name>', 'new TLS credentials (svcnet tls create)');
    if (kind === 'listener') cmd.commands.at(-1)!.option('--balance <mode>', BALANCE_HELP);
    cmd.commands.at(-1)!
      .action(async (name: string, o) => {
        if (o.routingKey === undefined && o.port === undefined && o.host === undefined && o.type === undefined && o.tlsCredentials === undefined && o.balance === undefined) throw new UsageError(`nothing to change: give --routing-key, --port, --host, --type${kind === 'listener' ? ', --tls-credentials or --balance' : ' or --tls-credentials'}`);
        await withSession(o, async (s) => {
          const cur = await s.client.get({ kind: Kind, name: nameArg(name) });
          // The document form: the wire form carries proto3 defaults (null, '') that are no spec values.
          const spec = { ...(resourceToDocument(cur).spec as Record<string, unknown>) };
          if (o.routingKey !== undefined) spec.routingKey = o.routingKey;
          if (o.port !== undefined) spec.port = /^\d+$/.test(o.port) ? Number(o.port) : o.port;
          if (o.host !== undefined) spec.host = o.host;
          if (o.type !== undefined) spec.type = o.type;
          if (o.tlsCredentials !== undefined) spec.tlsCredentials = o.tlsCredentials;
          if (o.balance !== undefined) spec.balance = o.balance;
          checked(kind, { apiVersion: API_VERSION, kind: Kind, metadata: { name }, spec }, String(o.port));
          // The version read above makes this a compare-and-set: a concurrent change is refused.
          await s.client.apply({ resources: [{ kind: Kind, metadata: { name, resourceVersion: cur.metadata.resourceVersion }, [kind]: spec }] });
          console.log(`${kind} ${name} updated; ${appliesWhen(s.running)}`);
        });
      });
    cmd.command('delete <name>').description(`delete a ${kind}`).addOption(dirOption())
      .action(async (name: string, o) => {
        await withSession(o, async (s) => {
          await s.client.delete({ refs: [{ kind: Kind, name: nameArg(name) }] });
          console.log(`${kind} ${name} deleted; ${appliesWhen(s.running)}`);
        });
      });
    cmd.command('status [name]').description(`show ${kind}s and whether they are ready`).addOption(dirOption())
      .addOption(new Option('-o, --output <format>', 'json or yaml instead of a table'))
      .action(async (name: string | undefined, o) => {
        const format = parseFormat(o.output);
        await withSession(o, async (s) => {
          const all: Resource[] = name ? [await s.client.get({ kind: Kind, name: nameArg(name) })] : (await s.client.list({ kind: Kind })).resources;
          const rows = all.map((r) => {
            const spec = r[kind] as { routingKey: string; port: number; host: string; type?: string; balance?: string };
            return { name: r.metadata.name, routingKey: spec.routingKey, host: spec.host, port: spec.port, type: spec.type || 'tcp', ...(kind === 'listener' ? { balance: spec.balance || 'connection' } : {}), status: r.status?.state ?? '', message: r.status?.message ?? '', flowsActive: r.status?.flowsActive ?? 0 };
          });
          if (kind === 'listener') print(format, rows, ['NAME', 'ROUTING KEY', 'PORT', 'TYPE', 'STATUS', 'FLOWS', 'MESSAGE'], rows.map((r) => [r.name, r.routingKey, r.port, r.type, r.status, r.flowsActive, r.message]));
          else print(format, rows, ['NAME', 'ROUTING KEY', 'TARGET', 'TYPE', 'STATUS', 'FLOWS', 'MESSAGE'], rows.map((r) => [r.name, r.routingKey, `${r.host}:${r.port}`, r.type, r.status, r.flowsActive, r.message]));
        });
      });
  }
}
