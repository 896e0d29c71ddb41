// Issue 15, joining through the real CLI and running sites: token files without "\r"; a site's own
// token refused at once; `apply -f TOKEN` and `token redeem` name the link alike (link-<site>); a
// second link to the same peer refused before a redemption is spent; exported YAML applies to
// another site; an unreachable issuer is one plain line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { svcnet, svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';

const root = tempDir();
const E = path.join(root, 'east');
const W = path.join(root, 'west');
const N = path.join(root, 'north');
let ports: number[];
const T = (n: string) => path.join(root, n);

test.before(async () => {
  ports = await freePorts(6);
  await svcnetOk(['site', 'create', 'east', '--dir', E, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'west', '--dir', W]);
  await svcnetOk(['site', 'create', 'north', '--dir', N, '--link-access', '--link-port', String(ports[2]), '--grant-port', String(ports[3])]);
});
test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

const running = (dir: string) => waitFor(`site ${dir} running`, () => runtimeStatus(dir)?.network && fs.existsSync(path.join(dir, 'run', 'api.sock')), 20_000);
const grant = async (dir: string, name: string) => JSON.parse(await svcnetOk(['get', 'accessgrant', name, '-o', 'json', '--dir', dir]));

async function fails(args: string[], code: number, re: RegExp): Promise<string> {
  const r = await svcnet(args);
  assert.is(r.code, code, `svcnet ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  assert.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, re, r.stderr);
  assert.not.match(r.stderr, /Resolution note|LB pick|Deadline exceeded|No connection established/);
  return r.stderr;
}

test('issue 15: a token redeemed while its issuer is stopped fails at once in one plain line', async () => {
  await svcnetOk(['token', 'issue', T('early.token'), '--dir', E]);
  const t0 = Date.now();
  await fails(['token', 'redeem', T('early.token'), '--dir', W], 1, new RegExp(`cannot reach the grant endpoint of site east: no answer at 127\\.0\\.0\\.1:${ports[1]} \\(connection refused\\); is that site running\\?`));
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
});

test('issue 15: the token file holds its CA with plain line ends', async () => {
  await svcnetOk(['token', 'issue', T('east.token'), '--redemptions', '2', '--dir', E]);
  const text = fs.readFileSync(T('east.token'), 'utf8');
  assert.not.ok(text.includes('\r') || text.includes('\\r'), 'no carriage returns');
  assert.match(YAML.parse(text).spec.ca, /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?$/);
});

test('issue 15: redeeming a site\'s own token is refused at once (running site)', async () => {
  runSite(E);
  runSite(W);
  await running(E);
  await running(W);
  const t0 = Date.now();
  await fails(['token', 'redeem', T('east.token'), '--dir', E], 1, /this token was issued by this site \(east\); redeem it on the site that should link to east/);
  assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms (the old code hung 10 s)`);
  await fails(['apply', '-f', T('east.token'), '--dir', E], 1, /issued by this site/);
  const name = YAML.parse(fs.readFileSync(T('east.token'), 'utf8')).metadata.name;
  assert.is((await grant(E, name)).status.redeemed, 0, 'nothing redeemed');
});

test('issue 15: apply -f of a token file names its link link-<site>, as token redeem does; deleting the link frees the token', async () => {
  const tokenName = YAML.parse(fs.readFileSync(T('east.token'), 'utf8')).metadata.name;
  assert.match(tokenName, /^grant-/);
  const out = await svcnetOk(['apply', '-f', T('east.token'), '--dir', W]);
  assert.match(out, new RegExp(`AccessToken ${tokenName} redeemed`));
  const link = JSON.parse(await svcnetOk(['get', 'link', 'link-east', '-o', 'json', '--dir', W]));
  assert.is(link.spec.peerSite, 'east');
  assert.is((await svcnet(['get', 'link', tokenName, '--dir', W])).code, 1, 'no link named after the grant');
  const token = JSON.parse(await svcnetOk(['get', 'accesstoken', tokenName, '-o', 'json', '--dir', W]));
  assert.is(token.status.link, 'link-east');
  await waitFor('link up', () => runtimeStatus(W)?.links.find((l) => l.name === 'link-east')?.status === 'ready');
  // The link's deletion drops the spent token record, so the same file (2 redemptions) links again.
  await svcnetOk(['link', 'delete', 'link-east', '--dir', W]);
  assert.is((await svcnet(['get', 'accesstoken', tokenName, '--dir', W])).code, 1, 'token record dropped with its link');
  await svcnetOk(['apply', '-f', T('east.token'), '--dir', W]);
  assert.is((await grant(E, tokenName)).status.redeemed, 2);
  assert.ok(JSON.parse(await svcnetOk(['get', 'link', 'link-east', '-o', 'json', '--dir', W])));
});

test('issue 15: a second link to the same peer is refused before a redemption is spent', async () => {
  await svcnetOk(['token', 'issue', T('again.token'), '--dir', E]);
  const grantName = YAML.parse(fs.readFileSync(T('again.token'), 'utf8')).metadata.name;
  await fails(['token', 'redeem', T('again.token'), '--dir', W], 1, /a Link named link-east already exists/);
  await fails(['token', 'redeem', T('again.token'), '--name', 'second', '--dir', W], 1, /this site already links to site east \(link link-east\); delete that link first/);
  await fails(['apply', '-f', T('again.token'), '--dir', W], 1, /already links to site east/);
  assert.is((await grant(E, grantName)).status.redeemed, 0, 'the grant was not spent');
  const links = JSON.parse(await svcnetOk(['get', 'link', '-o', 'json', '--dir', W])) as { metadata: { name: string } }[];
  assert.equal(links.map((l) => l.metadata.name), ['link-east']);
});

test('issue 15: get -o yaml carries no resourceVersion and applies to another site', async () => {
  await svcnetOk(['listener', 'create', 'web', String(ports[4]), '-r', 'web', '--host', '127.0.0.1', '--dir', W]);
  const y = await svcnetOk(['get', 'listener', 'web', '-o', 'yaml', '--dir', W]);
  assert.not.match(y, /resourceVersion/);
  const f = T('web.yaml');
  fs.writeFileSync(f, y.replace(String(ports[4]), String(ports[5])));
  assert.match(await svcnetOk(['apply', '-f', f, '--dir', N]), /Listener web created/);
  assert.match(await svcnetOk(['apply', '-f', f, '--dir', N]), /Listener web unchanged/);
  assert.not.match(await svcnetOk(['get', 'all', '-o', 'json', '--dir', W]), /resourceVersion/);
});

test('issue 15: network status lists listeners and remote connectors; a connector withheld by policy says why', async () => {
  await svcnetOk(['site', 'policy', '--expose-keys', 'web', '--dir', E]);
  await svcnetOk(['connector', 'create', 'web', '8080', '-r', 'web', '--dir', E]);
  await svcnetOk(['connector', 'create', 'secret', '8081', '-r', 'secret', '--dir', E]);
  const secret = JSON.parse(await svcnetOk(['connector', 'status', 'secret', '-o', 'json', '--dir', E]))[0];
  assert.is(secret.status, 'withheld');
  assert.match(secret.message, /routing key secret is not exposed by this site's policy/);
  await waitFor('east\'s key reaches west', () => runtimeStatus(W)?.network.sites.find((x) => x.name === 'east')?.keys.includes('web'), 15_000);
  const table = await svcnetOk(['network', 'status', '--dir', W]);
  assert.match(table, /ROUTING KEY\s+LISTENERS \(this site\)\s+CONNECTORS/);
  assert.match(table, new RegExp(`\\nweb\\s+web 127\\.0\\.0\\.1:${ports[4]} \\w+\\s+east \\(cost 1\\)\\n`));
  const doc = JSON.parse(await svcnetOk(['network', 'status', '-o', 'json', '--dir', W]));
  const web = doc.services.find((x: { routingKey: string }) => x.routingKey === 'web');
  assert.equal(web.connectors, [{ site: 'east', cost: 1, remote: true }]);
  assert.is(web.listeners[0].name, 'web');
  assert.not.match(JSON.stringify(doc), /"name":""|"host":""|"port":0/);
});

test.run();
