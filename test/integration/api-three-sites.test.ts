// Three real sites driven only through the gRPC control API on their unix sockets (issue 3):
// linked in a chain by IssueToken + Apply(AccessToken), a service two hops away, deletes that
// take effect at once, a SIGKILLed site that comes back from its directory, and bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { svcnetOk, runSite, kill, stopAll, tempDir, waitFor } from '../helpers/cli.js';
import { SiteStore } from '../../control/state/site-store.js';
import { freePorts } from '../helpers/ports.js';
import { echoServer, exchange } from '../helpers/tcp.js';
import { unixClient, type ControlClient } from '../../control/api/client.js';
import { ApiError } from '../../control/api/errors.js';
import type { Event } from '../../control/api/types.js';

const root = tempDir();
const dir = (n: string) => path.join(root, n);
let ports: number[];
const procs = new Map<string, ChildProcess>();
const clients = new Map<string, ControlClient>();
const servers: net.Server[] = [];
const api = (n: string) => clients.get(n)!;

async function start(n: string): Promise<void> {
  procs.set(n, runSite(dir(n)));
  clients.get(n)?.close();
  const c = unixClient(dir(n), { timeoutMs: 20_000 });
  await waitFor(`${n} API`, () => c.get({ kind: 'Site' }).then((s) => s.status!.state === 'running'), 20_000);
  clients.set(n, c);
}

test.before(async () => {
  ports = await freePorts(8);
  await svcnetOk(['site', 'create', 'alpha', '--dir', dir('a'), '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'bravo', '--dir', dir('b'), '--link-access', '--link-port', String(ports[2]), '--grant-port', String(ports[3])]);
  await svcnetOk(['site', 'create', 'charlie', '--dir', dir('c')]);
  await Promise.all(['a', 'b', 'c'].map(start));
});

test.after(async () => {
  for (const c of clients.values()) c.close();
  await stopAll();
  for (const s of servers) s.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function linkVia(issuer: string, joiner: string, name: string): Promise<void> {
  const { token } = await api(issuer).issueToken({ expirySeconds: 120 });
  token.metadata.name = name;
  const r = await api(joiner).apply({ resources: [token] });
  assert.is(r.results[0].action, 'redeemed');
  assert.is(r.appliedNow, true);
}

test('IssueToken + Apply(AccessToken) link charlie→bravo→alpha; LINK_UP arrives on Watch', async () => {
  const events: Event[] = [];
  await new Promise<void>((resolve) => api('b').watch({ types: ['LINK_UP'] }, (e) => { if (e.type === 'SYNC') resolve(); else events.push(e); }));
  await linkVia('a', 'b', 'to-alpha');
  await linkVia('b', 'c', 'to-bravo');
  await waitFor('two LINK_UP events at bravo', () => events.length >= 2);
  assert.ok(events.every((e) => e.type === 'LINK_UP' && e.link));
  assert.equal(events.map((e) => e.link!.peerSite).sort(), ['alpha', 'charlie']);
  await waitFor('charlie sees three sites', async () => (await api('c').getNetwork()).sites.filter((s) => s.reachable).length === 3);
  const links = (await api('c').get({ kind: 'Link', name: 'to-bravo' }));
  assert.is(links.status!.state, 'ready');
  assert.is(links.status!.peerSite, 'bravo');
});

test('a connector at alpha and a listener at charlie carry traffic over two hops; GetNetwork shows the service', async () => {
  servers.push(await echoServer(ports[4]));
  await api('a').apply({ resources: [{ kind: 'Connector', metadata: { name: 'echo' }, connector: { routingKey: 'echo', port: ports[4] } }] });
  await api('c').apply({ resources: [{ kind: 'Listener', metadata: { name: 'echo' }, listener: { routingKey: 'echo', host: '127.0.0.1', port: ports[5] } }] });
  await waitFor('listener ready', async () => (await api('c').get({ kind: 'Listener', name: 'echo' })).status!.ready);
  assert.is((await exchange(ports[5], 'over two hops')).toString(), 'over two hops');
  const n = await api('c').getNetwork();
  const svc = n.services.find((s) => s.routingKey === 'echo')!;
  assert.equal(svc.listeners.map((l) => [l.site, l.name, l.port, l.state]), [['charlie', 'echo', ports[5], 'ready']]);
  assert.equal(svc.connectors.map((c) => [c.site, c.cost]), [['alpha', 2]]);
  const m = await api('c').getMetrics();
  assert.ok(m.flowsOpened >= 1);
  assert.match(m.prometheus, /svcnet_flows_opened_total/);
  // Issue 12: the flow left a record at each of the three sites, under one id; bravo's is a relay's.
  const ends = async (n: string) => (await api(n).listFlows({ routingKey: 'echo', state: 'recent' })).flows;
  const atC = await waitFor('charlie\'s record', async () => (await ends('c'))[0]);
  const relay = await waitFor('bravo\'s record', async () => (await ends('b')).find((f) => f.id === atC.id));
  const atA = await waitFor('alpha\'s record', async () => (await ends('a')).find((f) => f.id === atC.id));
  const row = (f: typeof atC) => [f.role, f.listenerSite, f.connectorSite, f.bytesToServer, f.bytesToClient, f.outcome];
  assert.equal(row(atC), ['listener', 'charlie', 'alpha', 13, 13, 'closed']);
  assert.equal(row(relay), ['relay', 'charlie', 'alpha', 13, 13, 'closed']);
  assert.equal(row(atA), ['connector', 'charlie', 'alpha', 13, 13, 'closed']);
  assert.ok(relay.ttfbMs >= 0 && relay.client === atC.client);
});

test('deleting the connector closes the remote listener port; deleting the listener frees it', async () => {
  await api('a').delete({ refs: [{ kind: 'Connector', name: 'echo' }] });
  await waitFor('listener no-route', async () => (await api('c').get({ kind: 'Listener', name: 'echo' })).status!.state === 'no-route');
  const refused = await exchange(ports[5], 'x').then(() => 'connected', (e: NodeJS.ErrnoException) => e.code);
  assert.is(refused, 'ECONNREFUSED');
  await api('a').apply({ resources: [{ kind: 'Connector', metadata: { name: 'echo' }, connector: { routingKey: 'echo', port: ports[4] } }] });
  await waitFor('listener ready again', async () => (await api('c').get({ kind: 'Listener', name: 'echo' })).status!.ready);
  await api('c').delete({ refs: [{ kind: 'Listener', name: 'echo' }] });
  await waitFor('port closed', () => exchange(ports[5], 'x').then(() => false, () => true));
  await api('c').apply({ resources: [{ kind: 'Listener', metadata: { name: 'echo' }, listener: { routingKey: 'echo', host: '127.0.0.1', port: ports[5] } }] });
  await waitFor('listener back', async () => (await api('c').get({ kind: 'Listener', name: 'echo' })).status!.ready);
});

test('bad input over gRPC: exact status codes, nothing changed in the state directory', async () => {
  const before = fs.readdirSync(path.join(dir('c'), 'resources'), { recursive: true }).sort().join();
  const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: ApiError) => `${e.code}:${e.status}`);
  assert.is(await code(api('c').apply({ manifests: [{ source: 'x.yaml', text: 'kind: [' }] })), 'SVCNET_ERR_INVALID_ARGUMENT:3');
  assert.is(await code(api('c').apply({ resources: [{ kind: 'Listener', metadata: { name: 'bad' }, listener: { routingKey: 'a b', port: 80 } }] })), 'SVCNET_ERR_INVALID_ARGUMENT:3');
  assert.is(await code(api('c').apply({ resources: [{ kind: 'Listener', metadata: { name: 'echo' }, listener: { routingKey: 'echo', port: 9 } }], createOnly: true })), 'SVCNET_ERR_ALREADY_EXISTS:6');
  assert.is(await code(api('c').apply({ resources: [{ kind: 'Listener', metadata: { name: 'echo', resourceVersion: '12' }, listener: { routingKey: 'echo', port: 9 } }] })), 'SVCNET_ERR_STALE_VERSION:10');
  assert.is(await code(api('c').delete({ refs: [{ kind: 'Connector', name: 'nothing' }] })), 'SVCNET_ERR_NOT_FOUND:5');
  assert.is(await code(api('c').get({ kind: 'Gizmo', name: 'x' })), 'SVCNET_ERR_INVALID_ARGUMENT:3');
  assert.is(fs.readdirSync(path.join(dir('c'), 'resources'), { recursive: true }).sort().join(), before);
});

test('RotateCertificates over gRPC: a new CA at alpha while a flow runs; the link stays up and new flows work', async () => {
  servers.push(await echoServer(ports[6]));
  await api('a').apply({ resources: [{ kind: 'Connector', metadata: { name: 'echo2' }, connector: { routingKey: 'echo2', port: ports[6] } }] });
  await api('c').apply({ resources: [{ kind: 'Listener', metadata: { name: 'echo2' }, listener: { routingKey: 'echo2', host: '127.0.0.1', port: ports[7] } }] });
  await waitFor('listener ready', async () => (await api('c').get({ kind: 'Listener', name: 'echo2' })).status!.ready);
  const open = net.connect({ port: ports[7], host: '127.0.0.1', allowHalfOpen: true });
  await new Promise((r) => open.once('connect', r));
  let echoed = '';
  open.on('data', (d) => { echoed += d; });
  const caOf = () => new SiteStore(dir('a')).readCa().cert;
  const caBefore = caOf();
  const r = await api('a').rotateCertificates();
  assert.match(r.renewed.join(' '), /^ca /);
  assert.is.not(caOf(), caBefore);
  await new Promise((res) => setTimeout(res, 1500)); // the site reloads its TLS within a poll
  open.end('still here');
  await new Promise((res) => open.once('end', res));
  assert.is(echoed, 'still here');
  assert.is((await api('b').get({ kind: 'Link', name: 'to-alpha' })).status!.state, 'ready');
  assert.is((await exchange(ports[7], 'after rotation')).toString(), 'after rotation');
});

test('the API socket is 0600 in a 0700 folder', () => {
  assert.is((fs.statSync(path.join(dir('b'), 'run', 'api.sock')).mode & 0o777).toString(8), '600');
  assert.is((fs.statSync(path.join(dir('b'), 'run')).mode & 0o777).toString(8), '700');
});

test('bravo killed with SIGKILL restarts from its directory: same identity, links, and traffic again', async () => {
  const id = (await api('b').get({ kind: 'Site' })).site!.id;
  await kill(procs.get('b')!, 'SIGKILL');
  await waitFor('charlie sees bravo down', async () => (await api('c').get({ kind: 'Link', name: 'to-bravo' })).status!.state !== 'ready', 10_000);
  await start('b');
  assert.is((await api('b').get({ kind: 'Site' })).site!.id, id);
  assert.is((await api('b').get({ kind: 'Link', name: 'to-alpha' })).link!.peerSite, 'alpha');
  await waitFor('bravo linked to alpha again', async () => (await api('b').get({ kind: 'Link', name: 'to-alpha' })).status!.ready, 20_000);
  await waitFor('charlie relinked', async () => (await api('c').get({ kind: 'Link', name: 'to-bravo' })).status!.ready, 20_000);
  await waitFor('listener ready', async () => (await api('c').get({ kind: 'Listener', name: 'echo' })).status!.ready, 20_000);
  assert.is((await exchange(ports[5], 'after the crash')).toString(), 'after the crash');
});

test.run();
