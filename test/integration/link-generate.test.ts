// Issue 15 "Missing 2": `svcnet link generate` on site A writes a Link plus its credentials (mode
// 0600), stopped or running; site B applies it with `apply -f` and links without a token; a flow crosses; deleting the
// inbound link on A revokes the certificate and closes the link.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import type net from 'node:net';
import YAML from 'yaml';
import { svcnet, svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { hashServer, sendAndHash } from '../helpers/tcp.js';

const root = tempDir();
const A = path.join(root, 'alpha');
const B = path.join(root, 'beta');
const G = path.join(root, 'gamma');
const FILE = path.join(root, 'link.yaml');
let ports: number[];
let server: net.Server;

const ready = (dir: string) => runtimeStatus(dir)?.links.some((l) => l.status === 'ready');
const siteId = async (dir: string) => JSON.parse(await svcnetOk(['site', 'status', '-o', 'json', '--dir', dir])).id as string;

test.before(async () => {
  ports = await freePorts(5);
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'beta', '--dir', B]);
  server = await hashServer(ports[2]);
});
test.after(async () => {
  await stopAll();
  server?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 15: link generate writes a Link and a TLS Secret (mode 0600) and records the certificate as issued', async () => {
  assert.match(await svcnetOk(['link', 'generate', '--help']), /private key: -o writes the file with mode 0600/);
  const r = await svcnet(['link', 'generate', 'beta', '--dir', A]);
  assert.is(r.code, 2, 'the peer id is required');
  assert.is((await svcnet(['link', 'generate', 'Beta!', '--peer-id', await siteId(B), '--dir', A])).code, 2);
  assert.match(await svcnetOk(['link', 'generate', 'beta', '--peer-id', await siteId(B), '-o', FILE, '--dir', A]), /mode 0600/);
  assert.is(fs.statSync(FILE).mode & 0o777, 0o600);
  const [link, secret] = YAML.parseAllDocuments(fs.readFileSync(FILE, 'utf8')).map((d) => d.toJS());
  assert.equal([link.kind, link.spec.endpoints, link.spec.peerSite], ['Link', [{ host: '127.0.0.1', port: ports[0] }], 'alpha']);
  assert.equal([secret.kind, secret.type, secret.metadata.name], ['Secret', 'kubernetes.io/tls', link.spec.tlsCredentials]);
  assert.match(Buffer.from(secret.data['tls.key'], 'base64').toString(), /PRIVATE KEY/);
  const issued = JSON.parse(fs.readFileSync(path.join(A, 'pki', 'issued.json'), 'utf8')) as { site: string; siteId: string }[];
  assert.equal(issued.map((e) => [e.site, e.siteId]), [['beta', await siteId(B)]]);
  // The peer applies it as it is; nothing secret lands among its resources.
  assert.match(await svcnetOk(['apply', '-f', FILE, '--dir', B]), /Link link-alpha created/);
  assert.ok(fs.existsSync(path.join(B, 'links', 'link-alpha', 'credentials.json')));
  assert.not.match(await svcnetOk(['get', 'link', 'link-alpha', '-o', 'yaml', '--dir', B]), /PRIVATE KEY|tls\.key/);
});

test('issue 15: a running site generates through its API; a third site links with the file at once', async () => {
  runSite(A);
  await waitFor('alpha running', () => runtimeStatus(A));
  await svcnetOk(['site', 'create', 'gamma', '--dir', G]);
  const file = path.join(root, 'gamma.yaml');
  await svcnetOk(['link', 'generate', 'gamma', '--peer-id', await siteId(G), '-o', file, '--dir', A]);
  assert.is(fs.statSync(file).mode & 0o777, 0o600);
  // The same name under another id is refused while gamma's certificate lives (impersonation).
  const clash = await svcnet(['link', 'generate', 'gamma', '--peer-id', await siteId(B), '--dir', A]);
  assert.is(clash.code, 1);
  assert.match(clash.stderr, /already linked here by another site/);
  await svcnetOk(['apply', '-f', file, '--dir', G]);
  runSite(G);
  await waitFor('gamma linked', () => ready(G), 20_000);
  assert.match(await svcnetOk(['link', 'delete', 'gamma', '--dir', A]), /certificates are revoked/);
  await waitFor('gamma sees the link down', () => !ready(G), 10_000, 50);
});

test('issue 15: B links to A with the generated file, a flow crosses, and deleting the inbound link on A closes it', async () => {
  runSite(B);
  await svcnetOk(['connector', 'create', 'data', String(ports[2]), '--dir', A]);
  await svcnetOk(['listener', 'create', 'data', String(ports[3]), '--host', '127.0.0.1', '--dir', B]);
  await waitFor('link ready', () => ready(A) && ready(B), 20_000);
  await waitFor('listener ready', () => runtimeStatus(B)?.listeners.find((l) => l.name === 'data' && l.status === 'ready'), 20_000);
  const r = await sendAndHash(ports[3], 1 << 20);
  assert.is(r.reply, r.expected);
  assert.match(await svcnetOk(['link', 'delete', 'beta', '--dir', A]), /inbound link from site beta deleted: its certificates are revoked/);
  await waitFor('beta sees the link down', () => !ready(B), 10_000, 50);
  const certs = JSON.parse(await svcnetOk(['site', 'certificates', '--dir', A, '-o', 'json'])) as { kind: string; subject: string; state: string }[];
  assert.ok(certs.some((c) => c.kind === 'issued' && c.subject === 'beta'));
  assert.ok(certs.filter((c) => c.kind === 'issued' && c.subject === 'beta').every((c) => c.state !== 'valid'));
});

test.run();
