// Two real sites driven only by YAML files and `svcnet apply/get/delete` (issue 3): a grant and a
// Skupper-format token join them, a Skupper connector and a svcnet listener carry traffic, bad
// files are refused whole with the field path and exit 1, and a SIGKILLed site comes back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { svcnet, svcnetOk, runSite, kill, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { SiteStore } from '../../control/state/site-store.js';
import { freePorts } from '../helpers/ports.js';
import { echoServer, exchange } from '../helpers/tcp.js';

const root = tempDir();
const E = path.join(root, 'east');
const W = path.join(root, 'west');
let ports: number[];
let west: ChildProcess;
const servers: net.Server[] = [];
const CODE = 'Zm9yLXRlc3RzLW9ubHktMTI4LWJpdHM'; // a fixed one-time code, fine for a throwaway test site

function file(name: string, text: string): string {
  const f = path.join(root, name);
  fs.writeFileSync(f, text);
  return f;
}
const listenerUp = (name: string) => runtimeStatus(W)?.listeners.find((l) => l.name === name && l.status === 'ready');

test.before(async () => {
  ports = await freePorts(8);
  await svcnetOk(['site', 'create', 'east', '--dir', E, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'west', '--dir', W]);
  servers.push(await echoServer(ports[2]));
});

test.after(async () => {
  await stopAll();
  for (const s of servers) s.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('apply on a stopped site is stored and says it applies at the next start; the started site applies it', async () => {
  const f = file('west-listener.yaml', `apiVersion: svcnet.io/v1
kind: Listener
metadata: {name: echo}
spec: {routingKey: echo, host: 127.0.0.1, port: ${ports[3]}}
`);
  const out = await svcnetOk(['apply', '-f', f, '--dir', W]);
  assert.match(out, /Listener echo created\n1 resource applied; the site is not running; it applies at the next start/);
  runSite(E);
  west = runSite(W);
  await waitFor('sites running', () => runtimeStatus(E) && runtimeStatus(W));
  const got = JSON.parse(await svcnetOk(['get', 'listener', 'echo', '--dir', W, '-o', 'json']));
  assert.is(got.spec.port, ports[3]);
  assert.is(got.status.state, 'no-route');
});

test('a grant (svcnet YAML) at east and a token (Skupper YAML) at west link the sites', async () => {
  const grant = file('grant.yaml', `apiVersion: svcnet.io/v1
kind: AccessGrant
metadata: {name: for-west}
spec: {code: ${CODE}, expirationWindow: 10m, redemptionsAllowed: 1}
`);
  assert.match(await svcnetOk(['apply', '-f', grant, '--dir', E]), /AccessGrant for-west created/);
  const ca = new SiteStore(E).readCa().cert;
  const token = file('token.yaml', `apiVersion: skupper.io/v2alpha1
kind: AccessToken
metadata: {name: to-east}
spec:
  url: https://127.0.0.1:${ports[1]}/for-west
  code: ${CODE}
  ca: |
${ca.trim().split('\n').map((l) => `    ${l}`).join('\n')}
`);
  const r = await svcnet(['apply', '-f', token, '--dir', W]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /AccessToken to-east redeemed\n1 resource applied; the running site applies it now/);
  assert.match(r.stderr, /warning: .*token\.yaml document 1 \(AccessToken to-east\): skupper\.io\/v2alpha1 fields ignored: spec\.url \(path\)/);
  await waitFor('link ready', async () => JSON.parse(await svcnetOk(['get', 'link', 'to-east', '--dir', W, '-o', 'json'])).status.state === 'ready');
  const g = JSON.parse(await svcnetOk(['get', 'accessgrant', 'for-west', '--dir', E, '-o', 'json']));
  assert.is(g.status.redeemed, 1);
  assert.is(g.spec.code, undefined, 'the code is never stored or shown');
});

test('a Skupper Connector at east (ignored fields warned) serves the listener at west', async () => {
  const f = file('connector.yaml', `apiVersion: skupper.io/v2alpha1
kind: Connector
metadata: {name: echo, namespace: shop}
spec: {routingKey: echo, host: 127.0.0.1, port: ${ports[2]}, selector: app=echo}
`);
  const r = await svcnet(['apply', '-f', f, '--dir', E]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /fields ignored: metadata\.namespace, spec\.selector/);
  await waitFor('listener ready', () => listenerUp('echo'));
  assert.is((await exchange(ports[3], 'yaml all the way')).toString(), 'yaml all the way');
});

test('get -o yaml can be applied again and is unchanged', async () => {
  const y = await svcnetOk(['get', 'listener', 'echo', '--dir', W, '-o', 'yaml']);
  assert.match(y, /^apiVersion: svcnet\.io\/v1\nkind: Listener\n/);
  assert.match(await svcnetOk(['apply', '-f', file('roundtrip.yaml', y), '--dir', W]), /Listener echo unchanged/);
});

test('bad files are refused whole: exit 1, one line naming file/document/field, nothing changed on disk', async () => {
  const snapshot = () => fs.readdirSync(path.join(W, 'resources'), { recursive: true }).sort().map((f) => {
    const p = path.join(W, 'resources', String(f));
    return fs.statSync(p).isFile() ? `${f}:${fs.readFileSync(p, 'utf8')}` : String(f);
  }).join('\n');
  const before = snapshot();
  const ok = `apiVersion: svcnet.io/v1\nkind: Connector\nmetadata: {name: fine}\nspec: {routingKey: fine, port: 80}\n---\n`;
  const l = (spec: string, name = 'bad') => `${ok}apiVersion: svcnet.io/v1\nkind: Listener\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
  const cases: [string, string, RegExp][] = [
    ['malformed', `${ok}kind: Listener\nmetadata: {name: bad\n`, /malformed\.yaml line \d+, column \d+: malformed YAML/],
    ['unknown-kind', `${ok}apiVersion: svcnet.io/v1\nkind: Router\nmetadata: {name: r}\n`, /unknown-kind\.yaml document 2: kind: unknown kind "Router"/],
    ['wrong-type', l('{routingKey: k, port: "eighty"}'), /wrong-type\.yaml document 2 \(Listener bad\): spec\.port: must be a number/],
    ['port-range', l('{routingKey: k, port: 65536}'), /port-range\.yaml document 2 \(Listener bad\): spec\.port: must be 1\.\.65535/],
    ['routing-key', l('{routingKey: "k/../x", port: 8000}'), /routing-key\.yaml document 2 \(Listener bad\): spec\.routingKey: may hold only letters, digits and \. _ - :/],
    ['duplicate', `${ok}${ok.replace('---\n', '')}`, /duplicate\.yaml document 2 \(Connector fine\): metadata\.name: duplicate/],
    ['port-taken', l(`{routingKey: k, port: ${ports[3]}}`), /port-taken\.yaml document 2 \(Listener bad\): port \d+ is already used by listener echo/],
  ];
  for (const [name, text, re] of cases) {
    const r = await svcnet(['apply', '-f', file(`${name}.yaml`, text), '--dir', W]);
    assert.is(r.code, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, re, name);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const absent = await svcnet(['delete', 'connector', 'nothing-here', '--dir', W]);
  assert.is(absent.code, 1);
  assert.match(absent.stderr, /Connector nothing-here not found; nothing was deleted/);
  const usage = await svcnet(['apply', '--dir', W]);
  assert.is(usage.code, 2);
  assert.is(snapshot(), before);
});

test('delete -f removes what a file declares: the listener port closes at once', async () => {
  assert.match(await svcnetOk(['delete', '-f', path.join(root, 'west-listener.yaml'), '--dir', W]), /Listener echo deleted/);
  await waitFor('port closed', () => exchange(ports[3], 'x').then(() => false, () => true), 5000);
  await svcnetOk(['apply', '-f', path.join(root, 'west-listener.yaml'), '--dir', W]);
  await waitFor('listener ready again', () => listenerUp('echo'));
});

test('west killed with SIGKILL comes back from its directory with its link and listener', async () => {
  await kill(west, 'SIGKILL');
  west = runSite(W);
  // The killed process left its last status behind: wait for the new process's own report.
  const fresh = () => (runtimeStatus(W) as { pid?: number } | undefined)?.pid === west.pid;
  await waitFor('west running again', () => fresh() && runtimeStatus(W)?.links.some((l) => l.status === 'ready'), 20_000);
  await waitFor('listener ready', () => fresh() && listenerUp('echo'), 20_000);
  assert.is((await exchange(ports[3], 'back again')).toString(), 'back again');
  const all = await svcnetOk(['get', 'all', '--dir', W]);
  assert.match(all, /to-east/);
  assert.match(all, /echo/);
});

test('--help works on every command and exits 0', async () => {
  for (const args of [['--help'], ['apply', '--help'], ['get', '--help'], ['delete', '--help'], ['listener', 'create', '--help'], ['admin', 'issue', '--help'], ['events', '--help'], ['network', 'status', '--help']]) {
    const r = await svcnet(args);
    assert.is(r.code, 0, args.join(' '));
    assert.match(r.stdout, /Usage: svcnet/);
  }
});

test.run();
