// Issue 10 #5 and #12 at the control API (handlers in-process on a real state directory): names and
// file-naming fields that would leave the state directory are INVALID_ARGUMENT and touch nothing;
// IssueToken is bounded; a YAML alias bomb or an oversized manifest is a quick INVALID_ARGUMENT.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import * as grpc from '@grpc/grpc-js';
import { createSite } from '../../control/site-setup.js';
import { SiteStore } from '../../control/state/site-store.js';
import { UnsafeNameError } from '../../control/state/safe-name.js';
import { WatchHub } from '../../control/api/watch-hub.js';
import { createControlHandlers } from '../../control/api/handlers.js';
import { inProcessClient } from '../../control/api/in-process-client.js';
import { ApiError, API_ERRORS, toServiceError } from '../../control/api/errors.js';
import type { ApiContext } from '../../control/api/context.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-api-names-'));
const dir = path.join(root, 'site');
// Beside the site: `links/../../victim` from the site's links folder.
const victim = path.join(root, 'victim');
let ctx: ApiContext;
let h: ReturnType<typeof createControlHandlers>;

test.before(async () => {
  await createSite(dir, 'east', { linkAccess: true, linkPort: 45200 });
  const store = SiteStore.open(dir);
  await store.writePkiFile('revoked.json', '[]\n');
  await store.writePkiFile('policy.json', '{"allowedPeers":null}\n');
  ctx = { store, hub: new WatchHub(), log: pino({ level: 'silent' }), redeem: async () => { throw new Error('no network in this test'); } };
  h = createControlHandlers(ctx);
  fs.mkdirSync(victim);
  fs.writeFileSync(path.join(victim, 'credentials.json'), JSON.stringify({ key: 'VICTIM-KEY', cert: 'VICTIM-CERT', ca: 'VICTIM-CA' }));
});
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

function snapshot(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (x: string) => { for (const e of fs.readdirSync(x, { withFileTypes: true })) { const p = path.join(x, e.name); if (e.isDirectory()) walk(p); else out[path.relative(d, p)] = fs.readFileSync(p, 'utf8'); } };
  walk(d);
  return out;
}

/** `p` must fail with `code`, and neither the site directory nor the victim beside it may change. */
async function refused(p: () => Promise<unknown>, code: keyof typeof API_ERRORS, re?: RegExp): Promise<ApiError> {
  const before = snapshot(dir);
  const victimBefore = snapshot(victim);
  try { await p(); } catch (err) {
    assert.instance(err, ApiError, String(err));
    assert.is((err as ApiError).code, code, (err as Error).message);
    assert.not.match((err as Error).message, /\n/, 'one line');
    if (re) assert.match((err as Error).message, re);
    assert.equal(snapshot(dir), before, 'nothing may change in the site directory');
    assert.equal(snapshot(victim), victimBefore, 'nothing may change beside it');
    return err as ApiError;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

const TRAVERSALS = ['../../pki/ca', '../../site', '../../pki/revoked', '../../pki/policy', '../../../victim', '..', 'a/b', '/etc/passwd', 'a\0b'];
const KINDS = ['Listener', 'Connector', 'Link', 'AccessGrant', 'AccessToken'];

test('issue 10 #5: Get with a traversal name is INVALID_ARGUMENT, and reads nothing', async () => {
  for (const name of TRAVERSALS) for (const kind of KINDS) {
    const e = await refused(() => h.Get({ kind, name }), 'SVCNET_ERR_INVALID_ARGUMENT', /not a resource name/);
    assert.is(e.field, 'name');
  }
});

test('issue 10 #5: Delete by ref or by manifest with a traversal name is INVALID_ARGUMENT; CA, site.json, revoked.json, policy.json survive', async () => {
  for (const name of TRAVERSALS) for (const kind of KINDS) {
    await refused(() => h.Delete({ refs: [{ kind, name }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /refs\.0\.name/);
    await refused(() => h.Delete({ refs: [{ kind, name }], ignoreNotFound: true }), 'SVCNET_ERR_INVALID_ARGUMENT');
  }
  await refused(() => h.Delete({ manifests: [{ source: 'd.yaml', text: 'apiVersion: svcnet.io/v1\nkind: Listener\nmetadata: {name: ../../pki/ca}\n' }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /d\.yaml document 1: metadata\.name/);
  for (const f of ['pki/ca.json', 'site.json', 'pki/revoked.json', 'pki/policy.json']) assert.ok(fs.existsSync(path.join(dir, f)), f);
});

test('issue 10 #5: Apply of a Link whose tlsCredentials leaves links/ is INVALID_ARGUMENT before anything is read', async () => {
  const link = (cred: string) => ({ source: 'l.yaml', text: `apiVersion: svcnet.io/v1\nkind: Link\nmetadata: {name: west}\nspec: {endpoints: [{host: 127.0.0.1, port: 1}], tlsCredentials: ${JSON.stringify(cred)}}\n` });
  for (const cred of ['../../victim', '../../pki', '..', '/tmp', 'a/b']) {
    const e = await refused(() => h.Apply({ manifests: [link(cred)] }), 'SVCNET_ERR_INVALID_ARGUMENT', /spec\.tlsCredentials/);
    assert.is(e.field, 'spec.tlsCredentials');
    await refused(() => h.Apply({ resources: [{ kind: 'Link', metadata: { name: 'west' }, link: { endpoints: [{ host: '127.0.0.1', port: 1 }], tlsCredentials: cred } }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /tlsCredentials/);
  }
  await refused(() => h.Apply({ manifests: [{ source: 'n.yaml', text: 'apiVersion: svcnet.io/v1\nkind: Listener\nmetadata: {name: ../../site}\nspec: {routingKey: a, port: 2}\n' }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /metadata\.name/);
});

test('issue 10 #5: a Link stored before the fix with tlsCredentials ../../victim-old is deleted without touching that folder', async () => {
  const linkDir = path.join(dir, 'resources', 'Link');
  const old = path.join(root, 'victim-old'); // its own victim: no other Link can be holding it
  fs.mkdirSync(old);
  fs.writeFileSync(path.join(old, 'credentials.json'), '{"key":"OLD"}');
  fs.mkdirSync(linkDir, { recursive: true });
  fs.writeFileSync(path.join(linkDir, 'old.json'), JSON.stringify({ apiVersion: 'svcnet.io/v1', kind: 'Link', metadata: { name: 'old', resourceVersion: '1' }, spec: { endpoints: [{ host: '127.0.0.1', port: 1 }], cost: 1, tlsCredentials: '../../victim-old' } }));
  const victimBefore = snapshot(old);
  const listed = await h.List({ kind: 'Link' });
  assert.ok(listed.resources.some((r) => r.metadata.name === 'old'), 'old state is still listed');
  const r = await h.Delete({ refs: [{ kind: 'Link', name: 'old' }] });
  assert.equal(r.deleted, [{ kind: 'Link', name: 'old' }]);
  assert.not.ok(fs.existsSync(path.join(linkDir, 'old.json')));
  assert.equal(snapshot(old), victimBefore, 'the folder beside the site is intact');
});

test('issue 10 #5: a name the store refuses maps to INVALID_ARGUMENT on the wire and in-process, never INTERNAL', async () => {
  const s = toServiceError(new UnsafeNameError('Listener name', '../x'));
  assert.is(s.code, grpc.status.INVALID_ARGUMENT);
  const client = inProcessClient({ ...ctx, store: Object.assign(Object.create(SiteStore.prototype), ctx.store, { get: () => { throw new UnsafeNameError('Listener name', '../x'); } }) });
  await client.get({ kind: 'Listener', name: 'fine' }).then(() => assert.unreachable(), (e: ApiError) => assert.is(e.code, 'SVCNET_ERR_INVALID_ARGUMENT'));
});

test('issue 10 #12: IssueToken bounds expiry (1 s..30 days) and redemptions (1..1000); within them it works', async () => {
  await refused(() => h.IssueToken({ expirySeconds: 1e12 }), 'SVCNET_ERR_INVALID_ARGUMENT', /expirySeconds: must be 1\.\.2592000/);
  await refused(() => h.IssueToken({ expirySeconds: 30 * 86400 + 1 }), 'SVCNET_ERR_INVALID_ARGUMENT', /expirySeconds/);
  await refused(() => h.IssueToken({ expirySeconds: -5 }), 'SVCNET_ERR_INVALID_ARGUMENT', /expirySeconds/);
  await refused(() => h.IssueToken({ redemptions: 1e9 }), 'SVCNET_ERR_INVALID_ARGUMENT', /redemptions: must be an integer 1\.\.1000/);
  await refused(() => h.IssueToken({ redemptions: 1001 }), 'SVCNET_ERR_INVALID_ARGUMENT', /redemptions/);
  await refused(() => h.IssueToken({ redemptions: 2.5 }), 'SVCNET_ERR_INVALID_ARGUMENT', /redemptions/);
  const t = await h.IssueToken({ expirySeconds: 30 * 86400, redemptions: 1000 });
  const grant = ctx.store.get('AccessGrant', t.token.metadata.name) as { spec: { redemptionsAllowed: number; expiresAt: string } };
  assert.is(grant.spec.redemptionsAllowed, 1000);
  assert.ok(Date.parse(grant.spec.expiresAt) - Date.now() <= 30 * 86_400_000);
  // An applied AccessGrant has the same bounds.
  const g = (spec: string) => ({ source: 'g.yaml', text: `apiVersion: svcnet.io/v1\nkind: AccessGrant\nmetadata: {name: g}\nspec: {code: AAAAAAAAAAAAAAAAAAAAAA, ${spec}}\n` });
  await refused(() => h.Apply({ manifests: [g('redemptionsAllowed: 1000000000')] }), 'SVCNET_ERR_INVALID_ARGUMENT', /spec\.redemptionsAllowed/);
  await refused(() => h.Apply({ manifests: [g('expirationWindow: 99999d')] }), 'SVCNET_ERR_INVALID_ARGUMENT', /spec\.expirationWindow: must be 1s\.\.30d/);
  await refused(() => h.Apply({ manifests: [g('expiresAt: "2999-01-01T00:00:00Z"')] }), 'SVCNET_ERR_INVALID_ARGUMENT', /spec\.expiresAt/);
});

// The "billion laughs": nine levels of nine aliases, 9^9 strings once expanded.
const BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n') + '\n';

test('issue 10 #12: a YAML alias bomb is INVALID_ARGUMENT with a one-line reason, in under a second', async () => {
  for (const call of [() => h.Apply({ manifests: [{ source: 'bomb.yaml', text: BOMB }] }), () => h.Delete({ manifests: [{ source: 'bomb.yaml', text: BOMB }] })]) {
    const t0 = Date.now();
    await refused(call, 'SVCNET_ERR_INVALID_ARGUMENT', /bomb\.yaml document 1: refused: its aliases expand to too much data/);
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  }
});

test('issue 10 #12: manifests over 256 KiB, 1000 documents or 64 nested brackets are refused at once', async () => {
  const t0 = Date.now();
  await refused(() => h.Apply({ manifests: [{ source: 'big.yaml', text: 'a: ' + 'x'.repeat(1024 * 1024) + '\n' }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /big\.yaml: too large: \d+ bytes of manifests, at most 262144/);
  await refused(() => h.Apply({ manifests: [{ source: 'a.yaml', text: 'a: ' + 'x'.repeat(200 * 1024) }, { source: 'b.yaml', text: 'b: ' + 'x'.repeat(100 * 1024) }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /request: too large/);
  // 100,000 open brackets: the parser would spend seconds and hundreds of MB before its stack gives out.
  await refused(() => h.Apply({ manifests: [{ source: 'deep.yaml', text: '['.repeat(100_000) + ']'.repeat(100_000) }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /deep\.yaml: refused: \[ \] and \{ \} nested more than 64 deep/);
  await refused(() => h.Delete({ manifests: [{ source: 'deep.yaml', text: '{a: '.repeat(65) + '1' + '}'.repeat(65) }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /nested more than 64 deep/);
  assert.ok(Date.now() - t0 < 500, `took ${Date.now() - t0} ms`);
  const many = Array.from({ length: 1001 }, () => 'a: 1\n---\n').join('');
  const t1 = Date.now();
  await refused(() => h.Apply({ manifests: [{ source: 'many.yaml', text: many }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /too many documents: at most 1000/);
  assert.ok(Date.now() - t1 < 2000, `took ${Date.now() - t1} ms`);
});

test.run();
