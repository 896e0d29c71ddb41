// Issue 10 #5 and #12 through the real CLI and a running site: a traversal name is a one-line usage
// error (exit 2) that leaves the CA, site.json, revoked.json and policy.json alone, stopped or
// running; token issue refuses out-of-bounds expiry and redemptions (0 included); a YAML alias
// bomb is a one-line error (exit 1, as every bad file); the running console refuses a foreign Host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { svcnet, svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { unixClient } from '../../control/api/client.js';
import type { ApiError } from '../../control/api/errors.js';

const root = tempDir();
const E = path.join(root, 'east');
let ports: number[];
const PRECIOUS = ['pki/ca.json', 'site.json', 'pki/revoked.json', 'pki/policy.json'];
const contents = () => Object.fromEntries(PRECIOUS.map((f) => [f, fs.readFileSync(path.join(E, f), 'utf8')]));
let before: Record<string, string>;

test.before(async () => {
  ports = await freePorts(3);
  await svcnetOk(['site', 'create', 'east', '--dir', E, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1]), '--console-port', String(ports[2])]);
  fs.writeFileSync(path.join(E, 'pki', 'revoked.json'), '[]\n');
  fs.writeFileSync(path.join(E, 'pki', 'policy.json'), '{"allowedPeers":null}\n');
  before = contents();
});
test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Runs svcnet and checks it exits `code` with one line on stderr matching `re`. */
async function fails(args: string[], code: number, re: RegExp): Promise<void> {
  const r = await svcnet([...args, '--dir', E]);
  assert.is(r.code, code, `svcnet ${args.join(' ')}: ${r.stderr}`);
  assert.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, re);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack');
}

const TRAVERSALS = ['../../pki/ca', '../../site', '../../pki/revoked', '../../pki/policy', '/etc/passwd', '..'];

test('issue 10 #5: delete/get/link delete with a traversal name exit 2 with one line; the CA and site files are intact (stopped site)', async () => {
  for (const name of TRAVERSALS) await fails(['delete', 'listener', name], 2, /is not a resource name/);
  await fails(['delete', 'accessgrant', '../../pki/ca'], 2, /is not a resource name/);
  await fails(['get', 'connector', '../../site'], 2, /is not a resource name/);
  await fails(['link', 'delete', '../../pki/ca'], 2, /is not a resource name/);
  await fails(['listener', 'delete', '../../pki/ca'], 2, /is not a resource name/);
  await fails(['connector', 'status', '../../site'], 2, /is not a resource name/);
  assert.equal(contents(), before);
});

test('issue 10 #12: token issue refuses expiry and redemptions out of 1s..30d and 1..1000, 0 included (exit 2)', async () => {
  const T = path.join(root, 't.yaml');
  await fails(['token', 'issue', T, '--expiry', '0s'], 2, /--expiry must be 1s\.\.30d/);
  await fails(['token', 'issue', T, '--expiry', '31d'], 2, /--expiry must be 1s\.\.30d/);
  await fails(['token', 'issue', T, '--expiry', '1000000000000s'], 2, /--expiry/);
  await fails(['token', 'issue', T, '--redemptions', '0'], 2, /--redemptions must be 1\.\.1000/);
  await fails(['token', 'issue', T, '--redemptions', '1000000000'], 2, /--redemptions must be 1\.\.1000/);
  assert.not.ok(fs.existsSync(T));
  assert.not.ok(fs.existsSync(path.join(E, 'resources', 'AccessGrant')), 'no grant was made');
  await svcnetOk(['token', 'issue', T, '--expiry', '30d', '--redemptions', '1000', '--dir', E]);
  assert.ok(fs.existsSync(T));
});

test('issue 10 #12: apply -f of a YAML alias bomb is a one-line error, exit 1, quickly', async () => {
  const bomb = path.join(root, 'bomb.yaml');
  fs.writeFileSync(bomb, ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n') + '\n');
  const t0 = Date.now();
  await fails(['apply', '-f', bomb], 1, /bomb\.yaml document 1: refused: its aliases expand to too much data/);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms (CLI start included)`);
});

test('issue 10 #5, #12: a running site refuses the same names (CLI and API over its socket), and its console a foreign Host', async () => {
  runSite(E);
  await waitFor('site running', () => runtimeStatus(E)?.network && fs.existsSync(path.join(E, 'run', 'api.sock')), 20_000);
  for (const name of TRAVERSALS) await fails(['delete', 'listener', name], 2, /is not a resource name/);
  const c = unixClient(E, { timeoutMs: 10_000 });
  try {
    for (const name of TRAVERSALS) {
      for (const call of [() => c.get({ kind: 'Listener', name }), () => c.delete({ refs: [{ kind: 'Listener', name }] })]) {
        await call().then(() => assert.unreachable(`${name} accepted`), (e: ApiError) => assert.is(e.code, 'SVCNET_ERR_INVALID_ARGUMENT', e.message));
      }
    }
    await c.issueToken({ expirySeconds: 1e9 }).then(() => assert.unreachable(), (e: ApiError) => assert.is(e.code, 'SVCNET_ERR_INVALID_ARGUMENT'));
  } finally { c.close(); }
  assert.equal(contents(), before);
  const status = (host: string) => new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: ports[2], path: '/api/status', headers: { host }, timeout: 5000 }, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject);
  });
  assert.is(await status(`evil.example:${ports[2]}`), 403);
  assert.is(await status(`127.0.0.1:${ports[2]}`), 200);
  assert.is(await status(`localhost:${ports[2]}`), 200);
});

test.run();
