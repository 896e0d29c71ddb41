// Issue 15 "Missing 3" through the real CLI: Skupper v2 habits — the routing key defaults to the
// resource name (CLI and YAML), and Skupper's flag spellings work as listed aliases of ours.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { svcnet, svcnetOk, stopAll, tempDir } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';

const root = tempDir();
const E = path.join(root, 'east');
let ports: number[];

test.before(async () => {
  ports = await freePorts(6);
  await svcnetOk(['site', 'create', 'east', '--dir', E, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
});
test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Runs svcnet and checks it exits `code` with stderr matching `re`. */
async function fails(args: string[], code: number, re: RegExp): Promise<void> {
  const r = await svcnet(args);
  assert.is(r.code, code, `svcnet ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, re, `svcnet ${args.join(' ')}`);
}

const statusOf = async (kind: string, name: string) => JSON.parse(await svcnetOk([kind, 'status', name, '-o', 'json', '--dir', E]))[0];
const linkAccess = async (dir: string) => JSON.parse(await svcnetOk(['site', 'status', '-o', 'json', '--dir', dir])).linkAccess.enabled as boolean;

test('issue 15: listener create and connector create without --routing-key use the name as the key', async () => {
  assert.match(await svcnetOk(['listener', 'create', 'backend', String(ports[2]), '--host', '127.0.0.1', '--dir', E]), /routing key backend/);
  assert.match(await svcnetOk(['connector', 'create', 'backend', '8080', '--dir', E]), /routing key backend/);
  assert.is((await statusOf('listener', 'backend')).routingKey, 'backend');
  assert.is((await statusOf('connector', 'backend')).routingKey, 'backend');
  // An explicit key still wins.
  await svcnetOk(['connector', 'create', 'other', '8081', '--routing-key', 'k2', '--dir', E]);
  assert.is((await statusOf('connector', 'other')).routingKey, 'k2');
});

test('issue 15: a Listener or Connector manifest without spec.routingKey gets its name; a strategy listener does not', async () => {
  const f = path.join(root, 'no-key.yaml');
  fs.writeFileSync(f, [
    'apiVersion: svcnet.io/v1\nkind: Connector\nmetadata: {name: db}\nspec: {port: 5432}\n',
    `apiVersion: svcnet.io/v1\nkind: Listener\nmetadata: {name: db}\nspec: {port: ${ports[3]}, host: 127.0.0.1}\n`,
    `apiVersion: svcnet.io/v1\nkind: Listener\nmetadata: {name: multi}\nspec: {port: ${ports[4]}, host: 127.0.0.1, strategy: {priority: {routingKeysByPriority: [a, b]}}}\n`,
  ].join('---\n'));
  await svcnetOk(['apply', '-f', f, '--dir', E]);
  assert.is((await statusOf('connector', 'db')).routingKey, 'db');
  assert.is((await statusOf('listener', 'db')).routingKey, 'db');
  const multi = JSON.parse(await svcnetOk(['get', 'listener', 'multi', '-o', 'json', '--dir', E]));
  assert.is((Array.isArray(multi) ? multi[0] : multi).spec.routingKey, undefined, 'a strategy names the keys');
});

test('issue 15: --enable-link-access is an alias of --link-access (site create and update), =false turns it off', async () => {
  const help = await svcnetOk(['site', 'create', '--help']);
  assert.match(help, /--enable-link-access \[bool\]\s+alias of --link-access/);
  assert.match(await svcnetOk(['site', 'update', '--help']), /--enable-link-access \[bool\]\s+alias of --link-access/);
  const W = path.join(root, 'west');
  await svcnetOk(['site', 'create', 'west', '--enable-link-access', '--link-port', String(ports[5]), '--dir', W]);
  assert.is(await linkAccess(W), true);
  await svcnetOk(['site', 'update', '--enable-link-access=false', '--dir', W]);
  assert.is(await linkAccess(W), false);
  await svcnetOk(['site', 'update', '--enable-link-access', '--dir', W]);
  assert.is(await linkAccess(W), true);
  const N = path.join(root, 'north');
  await svcnetOk(['site', 'create', 'north', '--enable-link-access=false', '--dir', N]);
  assert.is(await linkAccess(N), false);
  // Misuse is a usage error, as for our spelling.
  await fails(['site', 'update', '--enable-link-access=maybe', '--dir', W], 2, /--enable-link-access takes no value, =true or =false/);
  await fails(['site', 'update', '--enable-link-access', '--no-link-access', '--dir', W], 2, /cannot be used with/);
  await fails(['site', 'create', 'south', '--enable-link-access', '--link-access', '--dir', path.join(root, 'south')], 2, /cannot be used with/);
  assert.not.ok(fs.existsSync(path.join(root, 'south', 'site.json')));
});

test('issue 15: --expiration-window and --redemptions-allowed are aliases of token issue --expiry and --redemptions', async () => {
  assert.match(await svcnetOk(['token', 'issue', '--help']), /--expiration-window <duration>\s+alias of --expiry[\s\S]*--redemptions-allowed <n>\s+alias of --redemptions/);
  const t = path.join(root, 'skupper.token');
  const out = await svcnetOk(['token', 'issue', t, '--expiration-window', '2h', '--redemptions-allowed', '3', '--dir', E]);
  assert.match(out, /valid 2h, 3 redemptions/);
  const grantName = /grant (\S+),/.exec(out)![1];
  const grant = JSON.parse(await svcnetOk(['get', 'accessgrant', grantName, '-o', 'json', '--dir', E]));
  const spec = (Array.isArray(grant) ? grant[0] : grant).spec;
  assert.is(spec.redemptionsAllowed, 3, JSON.stringify(spec));
  const expires = Date.parse(spec.expiresAt);
  assert.ok(Math.abs(expires - Date.now() - 2 * 3600_000) < 120_000, `expires ${new Date(expires).toISOString()}`);
  await fails(['token', 'issue', t, '--expiration-window', '0s', '--dir', E], 2, /--expiration-window must be 1s\.\.30d/);
  await fails(['token', 'issue', t, '--redemptions-allowed', '0', '--dir', E], 2, /--redemptions-allowed must be 1\.\.1000/);
  await fails(['token', 'issue', t, '--redemptions-allowed', 'two', '--dir', E], 2, /--redemptions-allowed must be a number/);
  await fails(['token', 'issue', t, '--expiry', '5m', '--expiration-window', '5m', '--dir', E], 2, /cannot be used with/);
});

test.run();
