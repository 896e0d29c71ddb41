// Issue 15 (Missing 4) through the CLI, with real sites: a Skupper Site applied to an empty directory
// creates the site (as `skupper system` does); an AccessGrant without a code gets one and its token,
// shown once, links another site; a MultiKeyListener listens; Kubernetes-only kinds are refused with
// one line and change nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { freePorts } from '../helpers/ports.js';
import { runSite, stopAll, svcnet, svcnetOk, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';

const root = tempDir('svcnet-skupper-samples-');
const W = `${root}/west`;
const E = `${root}/east`;
const file = (name: string, text: string) => { const f = path.join(root, name); fs.writeFileSync(f, text); return f; };
let ports: number[];

test.before(async () => {
  ports = await freePorts(4);
});
test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 15: a Skupper Site applied to an empty directory creates the site; applied again it is unchanged', async () => {
  const site = file('site.yaml', `apiVersion: skupper.io/v2alpha1\nkind: Site\nmetadata:\n  name: west\nspec:\n  linkAccess: default\n  ha: true\n`);
  // Skupper's Site has no ports: the link and grant ports come from a second, svcnet document.
  const ports2 = file('ports.yaml', `apiVersion: svcnet.io/v1\nkind: Site\nmetadata: {name: west}\nspec: {linkAccess: {enabled: true, port: ${ports[0]}}, grantPort: ${ports[1]}}\n`);
  const r = await svcnet(['apply', '-f', site, '--dir', W]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^site west created in .*west from .*site\.yaml \(links on 127\.0\.0\.1:\d+\); run it with "svcnet site run --dir/m);
  assert.match(r.stderr, /fields ignored: spec\.ha/);
  assert.ok(JSON.parse(fs.readFileSync(path.join(W, 'site.json'), 'utf8')).linkAccess.enabled);
  const again = await svcnetOk(['apply', '-f', site, '--dir', W]);
  assert.match(again, /^Site west unchanged$/m);
  assert.not.match(again, /created in/);
  await svcnetOk(['apply', '-f', ports2, '--dir', W]);
});

test('issue 15: a Site is not made in a directory that holds other files, nor from two Site documents', async () => {
  const busy = `${root}/busy`;
  fs.mkdirSync(busy);
  fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine');
  const site = file('site2.yaml', 'apiVersion: skupper.io/v2alpha1\nkind: Site\nmetadata: {name: other}\nspec: {}\n');
  const r = await svcnet(['apply', '-f', site, '--dir', busy]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /is not empty and holds no site/);
  assert.equal(fs.readdirSync(busy), ['notes.txt']);
  const two = file('two.yaml', 'apiVersion: skupper.io/v2alpha1\nkind: Site\nmetadata: {name: a}\n---\napiVersion: skupper.io/v2alpha1\nkind: Site\nmetadata: {name: b}\n');
  const t = await svcnet(['apply', '-f', two, '--dir', `${root}/fresh`]);
  assert.is(t.code, 1);
  assert.match(t.stderr, /describe 2/);
  assert.not.ok(fs.existsSync(`${root}/fresh/site.json`));
});

test('issue 15: an AccessGrant without a code: apply makes one and writes its token once; redeemed, it links another site', async () => {
  runSite(W);
  await waitFor('west running', () => runtimeStatus(W));
  const grant = file('grant.yaml', 'apiVersion: skupper.io/v2alpha1\nkind: AccessGrant\nmetadata:\n  name: my-grant\nspec:\n  expirationWindow: 1h\n  redemptionsAllowed: 10\n');
  const token = path.join(root, 'token.yaml');
  const out = await svcnetOk(['apply', '-f', grant, '--token-file', token, '--dir', W]);
  assert.match(out, /^AccessGrant my-grant created$/m);
  assert.match(out, /the token of AccessGrant my-grant is in .*token\.yaml/);
  assert.is(fs.statSync(token).mode & 0o777, 0o600);
  assert.match(fs.readFileSync(token, 'utf8'), /kind: AccessToken[\s\S]*code: [A-Za-z0-9_-]{24}/);
  const again = await svcnetOk(['apply', '-f', grant, '--dir', W]);
  assert.match(again, /^AccessGrant my-grant unchanged$/m, 'the code and expiry it got stay');
  assert.not.match(again, /token/);
  await svcnetOk(['site', 'create', 'east', '--dir', E]);
  runSite(E);
  await waitFor('east running', () => runtimeStatus(E));
  await svcnetOk(['token', 'redeem', token, '--dir', E]);
  await waitFor('east linked to west', () => runtimeStatus(E)?.links.some((l) => l.status === 'ready'), 20_000);
  // Printed when no --token-file is given: a YAML stream a user can save.
  const shown = await svcnetOk(['apply', '-f', file('grant2.yaml', 'apiVersion: skupper.io/v2alpha1\nkind: AccessGrant\nmetadata: {name: second}\nspec: {}\n'), '--dir', W]);
  assert.match(shown, /# the token of AccessGrant second, shown once[\s\S]*\n---\napiVersion: svcnet\.io\/v1\nkind: AccessToken\n/);
});

test('issue 15: a MultiKeyListener listens on its port; a Kubernetes-only kind is refused in one line and stores nothing', async () => {
  const mkl = file('mkl.yaml', `apiVersion: skupper.io/v2alpha1\nkind: MultiKeyListener\nmetadata:\n  name: backend\nspec:\n  host: 127.0.0.1\n  port: ${ports[2]}\n  strategy:\n    priority:\n      routingKeys:\n        - backend-primary\n        - backend-secondary\n`);
  await svcnetOk(['apply', '-f', mkl, '--dir', W]);
  // A listener binds once one of its keys has a connector: the second key gets one here.
  await svcnetOk(['connector', 'create', 'backend-secondary', String(ports[3]), '--host', '127.0.0.1', '--dir', W]);
  await waitFor('listener ready', () => runtimeStatus(W)?.listeners.find((x) => x.name === 'backend' && x.status === 'ready'));
  // Nothing serves the connector's target, so the site resets the client once it dials: on a busy machine the reset can
  // come before the client sees its connect. A reset, unlike ECONNREFUSED, still shows that the port listened.
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(ports[2], '127.0.0.1', () => { s.destroy(); resolve(); });
    s.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve() : reject(err)));
  });
  const routerAccess = file('ra.yaml', `apiVersion: skupper.io/v2alpha1\nkind: Listener\nmetadata: {name: before}\nspec: {routingKey: x, port: ${ports[3]}}\n---\napiVersion: skupper.io/v2alpha1\nkind: RouterAccess\nmetadata:\n  name: west-access\nspec:\n  issuer: default\n`);
  const r = await svcnet(['apply', '-f', routerAccess, '--dir', W]);
  assert.is(r.code, 1);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /RouterAccess west-access\): kind: RouterAccess cannot apply outside Kubernetes/);
  assert.match((await svcnet(['get', 'listener', 'before', '--dir', W])).stderr, /not found/, 'all or nothing: the listener before it is not stored');
});

test.run();
