// Issue 3 item 6: a site whose data plane runs as two `svcnet router` replica processes steered
// by its controller over svcnet.v1.DataplaneDiscovery (mTLS). Bravo reaches alpha's service
// through them; a refused push (NACK) keeps the last good state and shows in status; a replica
// killed with SIGKILL leaves new flows working through the other.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, svcnet, svcnetOk, runSite, kill, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { SiteStore } from '../../control/state/site-store.js';
import { freePorts } from '../helpers/ports.js';
import { echoServer, exchange } from '../helpers/tcp.js';
import * as grpc from '@grpc/grpc-js';
import { unixClient, type ControlClient } from '../../control/api/client.js';
import { discoveryService } from '../../control/xds/wire.js';

const root = tempDir();
const dir = (n: string) => path.join(root, n);
let ports: number[];
let offset = 0;
const routers = new Map<string, ChildProcess>();
const clients: ControlClient[] = [];
const servers: net.Server[] = [];
let a: ControlClient;
let b: ControlClient;

type RouterStatus = { connected: boolean; node?: { routerId: string }; pushes?: Record<string, { version: string; refused?: { error: string } }>; links: { status: string }[]; connectors: { flowsOpened: number }[]; listeners: { port: number; status: string }[] };
const routerStatus = (n: string): RouterStatus | undefined => { try { return JSON.parse(fs.readFileSync(path.join(dir(n), 'status.json'), 'utf8')); } catch { return undefined; } };
type XdsNode = { node: string; types: Record<string, { sent: string; acked: string; refused?: { version: string; error: string } }> };
const siteXds = (): XdsNode[] => (JSON.parse(fs.readFileSync(path.join(dir('a'), 'run', 'status.json'), 'utf8')).xds?.nodes ?? []);

function startRouter(name: string, extra: string[] = []): void {
  const log = fs.openSync(path.join(dir(name), 'router.log'), 'a');
  const child = spawn(process.execPath, [BIN, 'router', '--control', `127.0.0.1:${ports[4]}`, '--dir', dir(name), ...extra], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  routers.set(name, child);
}

async function client(n: string): Promise<ControlClient> {
  const c = unixClient(dir(n), { timeoutMs: 20_000 });
  clients.push(c);
  await waitFor(`${n} API`, () => c.get({ kind: 'Site' }).then((s) => s.status!.state === 'running'), 20_000);
  return c;
}

test.before(async () => {
  ports = await freePorts(9);
  // ports[7] + offset = ports[8]: replica r2 opens alpha's listener on a port known to be free.
  [ports[7], ports[8]] = ports[7] < ports[8] ? [ports[7], ports[8]] : [ports[8], ports[7]];
  offset = ports[8] - ports[7];
  await svcnetOk(['site', 'create', 'alpha', '--dir', dir('a'), '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'bravo', '--dir', dir('b'), '--link-access', '--link-port', String(ports[2]), '--grant-port', String(ports[3])]);
  for (const r of ['r1', 'r2']) await svcnetOk(['router', 'issue', r, '--dir', dir('a'), '--out', dir(r)]);
  runSite(dir('b'));
  const log = fs.openSync(path.join(dir('a'), 'site.log'), 'a');
  routers.set('a', spawn(process.execPath, [BIN, 'site', 'run', '--dir', dir('a'), '--router-port', String(ports[4]), '--no-local-dataplane'], { stdio: ['ignore', log, log] }));
  fs.closeSync(log);
  [a, b] = await Promise.all([client('a'), client('b')]);
  servers.push(await echoServer(ports[5]));
});

test.after(async () => {
  for (const c of clients) c.close();
  await Promise.all([...routers.values()].map((c) => kill(c)));
  await stopAll();
  for (const s of servers) s.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('router issue: a router certificate is refused by the control API; a missing --dir is a usage error', async () => {
  const cert = fs.readFileSync(path.join(dir('r1'), 'router.crt'), 'utf8');
  assert.ok(cert.includes('BEGIN CERTIFICATE'));
  assert.is((fs.statSync(path.join(dir('r1'), 'router.key')).mode & 0o777).toString(8), '600');
  assert.is((await svcnet(['router', '--control', '127.0.0.1:1', '--dir', dir('nothing')])).code, 2);
});

/** Opens the push stream with `pem` as client certificate; resolves with the gRPC status it ends with. */
function streamStatus(pem: { key: string; cert: string }): Promise<number> {
  const Client = grpc.makeGenericClientConstructor(discoveryService(), 'DataplaneDiscovery');
  const ca = Buffer.from(new SiteStore(dir('a')).readCa().cert);
  const c = new Client(`127.0.0.1:${ports[4]}`, grpc.credentials.createSsl(ca, Buffer.from(pem.key), Buffer.from(pem.cert)));
  return new Promise((resolve) => {
    const call = (c as unknown as { StreamResources(): grpc.ClientDuplexStream<unknown, unknown> }).StreamResources();
    call.on('data', () => { call.cancel(); });
    call.on('error', (e: grpc.ServiceError) => { c.close(); resolve(e.code); });
    call.write({});
  });
}

test('the router endpoint refuses certificates that are not router certificates of this site', async () => {
  const server = (d: string) => new SiteStore(d).readServerCert();
  assert.is(await streamStatus(server(dir('a'))), grpc.status.PERMISSION_DENIED);
  assert.is(await streamStatus(server(dir('b'))), grpc.status.UNAUTHENTICATED);
});

test('two replicas join the network as alpha/r1 and alpha/r2, dial bravo, and serve alpha\'s connector', async () => {
  const { token } = await b.issueToken({ expirySeconds: 120 });
  token.metadata.name = 'to-bravo';
  await a.apply({ resources: [token] });
  await a.apply({ resources: [{ kind: 'Connector', metadata: { name: 'echo' }, connector: { routingKey: 'echo', port: ports[5] } }] });
  await b.apply({ resources: [{ kind: 'Listener', metadata: { name: 'echo' }, listener: { routingKey: 'echo', host: '127.0.0.1', port: ports[6] } }] });
  startRouter('r1');
  startRouter('r2', ['--listener-port-offset', String(offset)]);
  await waitFor('both replicas link to bravo', () => ['r1', 'r2'].every((r) => routerStatus(r)?.links[0]?.status === 'ready'), 20_000);
  assert.equal(['r1', 'r2'].map((r) => routerStatus(r)!.node!.routerId.split('/')[1]), ['r1', 'r2']);
  await waitFor('bravo sees both replicas serving echo', () => {
    const sites = runtimeStatus(dir('b'))?.network.sites ?? [];
    return ['alpha/r1', 'alpha/r2'].every((n) => sites.some((s) => s.name === n && s.keys.includes('echo') && s.cost !== null));
  }, 15_000);
  await waitFor('bravo listener ready', async () => (await b.get({ kind: 'Listener', name: 'echo' })).status!.ready);
  for (let i = 0; i < 5; i++) assert.is((await exchange(ports[6], `hello ${i}`)).toString(), `hello ${i}`);
  // The controller saw every type acknowledged by both replicas (its status file is a periodic snapshot).
  const allAcked = () => {
    // The site's own engine is a node too (it keeps the link port: server and admission only).
    const nodes = siteXds().filter((n) => n.node.startsWith('router:'));
    return nodes.map((n) => n.node).sort().join() === 'router:r1,router:r2' && nodes.every((n) => Object.values(n.types).every((t) => t.sent !== '' && t.acked === t.sent));
  };
  await waitFor('every type acknowledged by both replicas', allAcked, 10_000).catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(siteXds())}`); });
});

test('a push the replica refuses is NACKed; its last good listeners keep serving; status shows why', async () => {
  await a.apply({ resources: [{ kind: 'Listener', metadata: { name: 'local' }, listener: { routingKey: 'echo', host: '127.0.0.1', port: ports[7] } }] });
  await waitFor('r2 opens the listener at port + offset', () => routerStatus('r2')?.listeners.some((l) => l.port === ports[8] && l.status === 'ready'), 10_000);
  assert.is((await exchange(ports[8], 'via r2')).toString(), 'via r2');
  const good = routerStatus('r2')!.pushes!.listeners.version;
  // 65535 is a valid listener port for the site, but 65535 + offset is not one for r2.
  await a.apply({ resources: [{ kind: 'Listener', metadata: { name: 'high' }, listener: { routingKey: 'echo', host: '127.0.0.1', port: 65535 } }] });
  const refused = await waitFor('the controller records the NACK from r2', () => siteXds().find((n) => n.node === 'router:r2')?.types.listeners.refused, 10_000);
  assert.is(refused.error, `listener high: port ${65535 + offset} is outside 1..65535`);
  const r2 = siteXds().find((n) => n.node === 'router:r2')!.types.listeners;
  assert.is(r2.acked, good, 'the NACK names the version r2 kept');
  assert.is(siteXds().find((n) => n.node === 'router:r1')!.types.listeners.refused, undefined, 'r1 opens no listeners and accepted it');
  const own = await waitFor('r2 status shows the refusal', () => routerStatus('r2')?.pushes?.listeners.refused, 5_000);
  assert.match(own.error, /outside 1\.\.65535/);
  assert.is((await exchange(ports[8], 'still via r2')).toString(), 'still via r2');
  assert.match(fs.readFileSync(path.join(dir('r2'), 'router.log'), 'utf8'), /push refused \(NACK\)/);
  // Removing the bad listener makes the next push acceptable again: the refusal clears.
  await a.delete({ refs: [{ kind: 'Listener', name: 'high' }] });
  await waitFor('r2 accepts the next listeners push', () => { const t = siteXds().find((n) => n.node === 'router:r2')?.types.listeners; return t && !t.refused && t.acked === t.sent; }, 10_000);
});

test('SIGKILL the replica that carried the flows: new flows from bravo work through the other', async () => {
  const carried = ['r1', 'r2'].find((r) => (routerStatus(r)?.connectors[0]?.flowsOpened ?? 0) > 0)!;
  assert.ok(carried, 'one replica carried the earlier flows');
  const other = carried === 'r1' ? 'r2' : 'r1';
  const before = routerStatus(other)!.connectors[0]?.flowsOpened ?? 0;
  const t0 = Date.now();
  await kill(routers.get(carried)!, 'SIGKILL');
  // Flows opened in the second before bravo notices the dead link may fail; then they must not.
  const first = await waitFor('a flow through the surviving replica', () => exchange(ports[6], 'after kill').then((r) => r.toString() === 'after kill', () => false), 15_000, 100);
  assert.ok(first);
  const recoveredMs = Date.now() - t0;
  for (let i = 0; i < 10; i++) assert.is((await exchange(ports[6], `survivor ${i}`)).toString(), `survivor ${i}`);
  await waitFor('survivor status counts the flows', () => (routerStatus(other)!.connectors[0]?.flowsOpened ?? 0) >= before + 11, 5_000);
  await waitFor('bravo routes only via the survivor', () => !(runtimeStatus(dir('b'))?.network.sites ?? []).some((s) => s.name === `alpha/${carried}` && s.cost !== null), 10_000);
  console.log(`router-replicas: new flows worked again ${recoveredMs} ms after SIGKILL of ${carried}`);
});

test.run();
