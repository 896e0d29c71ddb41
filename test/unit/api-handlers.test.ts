// Control API handlers called in-process on a real state directory (issue 3): versions, stale
// updates, create-only, all-or-nothing batches, preconditions, deletes, Watch events, serialization.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createSite } from '../../control/site-setup.js';
import { SiteStore } from '../../control/state/site-store.js';
import { WatchHub } from '../../control/api/watch-hub.js';
import { createControlHandlers } from '../../control/api/handlers.js';
import { ApiError, API_ERRORS, toServiceError, fromServiceError } from '../../control/api/errors.js';
import type { ApiContext } from '../../control/api/context.js';
import type { Event } from '../../control/api/types.js';
import * as grpc from '@grpc/grpc-js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-api-unit-'));
let ctx: ApiContext;
let h: ReturnType<typeof createControlHandlers>;
const redeemed: string[] = [];
let redeemFails = false;

test.before(async () => {
  const dir = path.join(root, 'site');
  await createSite(dir, 'east', { linkAccess: true, linkPort: 45000 });
  const store = SiteStore.open(dir);
  ctx = {
    store, hub: new WatchHub(), log: pino({ level: 'silent' }),
    // Stands in for the network: stores the credentials and Link as a real redemption would.
    redeem: async (s, token, o) => {
      if (redeemFails) throw new Error('token refused by west: the token was already redeemed; issue a new one');
      redeemed.push(o.name);
      await s.writeLinkCredentials(o.name, { key: 'k', cert: 'c', ca: 'ca' });
      const link = { apiVersion: 'svcnet.io/v1', kind: 'Link' as const, metadata: { name: o.name }, spec: { endpoints: [{ host: '127.0.0.1', port: 1 }], cost: o.cost ?? 1, tlsCredentials: o.name, peerSite: token.spec.site } };
      await s.put('Link', o.name, link);
      return link as never;
    },
  };
  h = createControlHandlers(ctx);
});
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Every file under the site directory with its content: "nothing changed on disk" is equality of two of these. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else out[path.relative(ctx.store.dir, p)] = fs.readFileSync(p, 'utf8'); } };
  walk(ctx.store.dir);
  return out;
}

async function refused(p: Promise<unknown>, code: keyof typeof API_ERRORS, re?: RegExp): Promise<ApiError> {
  const before = snapshot();
  try { await p; } catch (err) {
    assert.instance(err, ApiError);
    assert.is((err as ApiError).code, code, (err as Error).message);
    if (re) assert.match((err as Error).message, re);
    assert.equal(snapshot(), before, 'nothing may change on disk');
    return err as ApiError;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

const yaml = (kind: string, name: string, spec: string) => ({ source: 't.yaml', text: `apiVersion: svcnet.io/v1\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${spec}\n` });

test('apply creates with a version; the same apply again is "unchanged" and keeps it', async () => {
  const events: Event[] = [];
  const stop = ctx.hub.subscribe([], (e) => events.push(e));
  const r1 = await h.Apply({ manifests: [yaml('Listener', 'web', '{routingKey: web, port: 18080}')] });
  assert.is(r1.results[0].action, 'created');
  assert.is(r1.appliedNow, false);
  const rv = r1.results[0].resource.metadata.resourceVersion!;
  assert.match(rv, /^\d+$/);
  const r2 = await h.Apply({ manifests: [yaml('Listener', 'web', '{routingKey: web, port: 18080}')] });
  assert.is(r2.results[0].action, 'unchanged');
  assert.is(r2.results[0].resource.metadata.resourceVersion, rv);
  const got = await h.Get({ kind: 'listeners', name: 'web' });
  assert.is(got.status!.state, 'site not running');
  assert.is((got.listener as { host: string }).host, '0.0.0.0');
  stop();
  assert.equal(events.map((e) => e.type), ['SYNC', 'RESOURCE_APPLIED']);
  assert.is(events[1].resource!.name, 'web');
});

test('an update based on a stale version is refused (ABORTED); the current version works', async () => {
  const cur = await h.Get({ kind: 'Listener', name: 'web' });
  const upd = (rv: string, port: number) => h.Apply({ resources: [{ kind: 'Listener', metadata: { name: 'web', resourceVersion: rv }, listener: { routingKey: 'web', port } }] });
  const ok = await upd(cur.metadata.resourceVersion!, 18081);
  assert.is(ok.results[0].action, 'updated');
  assert.ok(BigInt(ok.results[0].resource.metadata.resourceVersion!) > BigInt(cur.metadata.resourceVersion!));
  const err = await refused(upd(cur.metadata.resourceVersion!, 18082), 'SVCNET_ERR_STALE_VERSION', /changed by someone else/);
  assert.is(err.status, grpc.status.ABORTED);
  await refused(h.Apply({ resources: [{ kind: 'Listener', metadata: { name: 'ghost', resourceVersion: '5' }, listener: { routingKey: 'x', port: 5 } }] }), 'SVCNET_ERR_NOT_FOUND');
});

test('concurrent compare-and-set updates from one version: exactly one wins', async () => {
  const cur = await h.Get({ kind: 'Listener', name: 'web' });
  const tries = Array.from({ length: 10 }, (_, i) => h.Apply({ resources: [{ kind: 'Listener', metadata: { name: 'web', resourceVersion: cur.metadata.resourceVersion }, listener: { routingKey: 'web', port: 19000 + i } }] }).then(() => 'ok', (e: ApiError) => e.code));
  const out = await Promise.all(tries);
  assert.is(out.filter((x) => x === 'ok').length, 1, out.join());
  assert.is(out.filter((x) => x === 'SVCNET_ERR_STALE_VERSION').length, 9);
});

test('bad input: a batch with one bad document writes nothing, and the error names the field', async () => {
  const e = await refused(h.Apply({ manifests: [{ source: 'two.yaml', text: yaml('Connector', 'ok', '{routingKey: ok, port: 80}').text + '---\n' + yaml('Connector', 'bad', '{routingKey: "no spaces", port: 80}').text }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /two\.yaml document 2 \(Connector bad\): spec\.routingKey/);
  assert.is(e.field, 'spec.routingKey');
  assert.is(e.status, grpc.status.INVALID_ARGUMENT);
  await refused(h.Apply({ manifests: [{ source: 'm.yaml', text: 'kind: [' }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /m\.yaml line 1/);
  await refused(h.Apply({ manifests: [yaml('Gizmo', 'x', '{}')] }), 'SVCNET_ERR_INVALID_ARGUMENT', /unknown kind "Gizmo"/);
  await refused(h.Apply({ resources: [{ kind: 'Listener', metadata: { name: 'p' }, listener: { routingKey: 'p', port: 0 } }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /request document 1 \(Listener p\): spec\.port: must be 1\.\.65535/);
  await refused(h.Apply({ resources: [{ kind: 'Listener', metadata: { name: 'p' }, connector: { routingKey: 'p', port: 1 } }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /connector: a Listener carries its spec in the listener field/);
  await refused(h.Apply({}), 'SVCNET_ERR_INVALID_ARGUMENT', /no resources/);
  await refused(h.Apply({ manifests: [yaml('Listener', 'dup', '{routingKey: a, port: 2}'), yaml('Listener', 'dup', '{routingKey: a, port: 3}')] }), 'SVCNET_ERR_INVALID_ARGUMENT', /duplicate/);
});

test('create-only refuses an existing name (ALREADY_EXISTS); a port taken by another listener is FAILED_PRECONDITION', async () => {
  await refused(h.Apply({ resources: [{ kind: 'Listener', metadata: { name: 'web' }, listener: { routingKey: 'web', port: 30000 } }], createOnly: true }), 'SVCNET_ERR_ALREADY_EXISTS', /Listener web already exists/);
  const port = (await h.Get({ kind: 'Listener', name: 'web' })).listener!.port;
  const e = await refused(h.Apply({ manifests: [yaml('Connector', 'fine', '{routingKey: f, port: 1}'), yaml('Listener', 'other', `{routingKey: o, port: ${port}}`)] }), 'SVCNET_ERR_PRECONDITION', /port \d+ is already used by listener web/);
  assert.is(e.status, grpc.status.FAILED_PRECONDITION);
});

test('a Link needs credentials that exist; a Site can only describe this site', async () => {
  await refused(h.Apply({ manifests: [yaml('Link', 'l', '{endpoints: [{host: h, port: 1}], tlsCredentials: nope}')] }), 'SVCNET_ERR_PRECONDITION', /credentials "nope" not found/);
  await refused(h.Apply({ manifests: [yaml('Site', 'west', '{apiPort: 1234}')] }), 'SVCNET_ERR_PRECONDITION', /this site is named east/);
  const r = await h.Apply({ manifests: [yaml('Site', 'east', '{apiPort: 45999}')] });
  assert.is(r.results[0].action, 'updated');
  assert.match(r.warnings.join(), /next start/);
  assert.is(ctx.store.readConfig().apiPort, 45999);
  assert.is(ctx.store.readConfig().linkAccess.enabled, true, 'fields left out keep their value');
});

test('AccessToken apply redeems once, stores the Link, and is unchanged on re-apply; a failed redemption leaves nothing', async () => {
  const token = { source: 'tok.yaml', text: 'apiVersion: svcnet.io/v1\nkind: AccessToken\nmetadata: {name: to-west}\nspec: {url: "127.0.0.1:1", code: "AAAAAAAAAAAAAAAAAAAAAA", ca: "-----BEGIN CERTIFICATE-----", site: west, linkCost: 4}\n' };
  const r = await h.Apply({ manifests: [token] });
  assert.is(r.results[0].action, 'redeemed');
  assert.is(r.results[0].resource.status!.link, 'to-west');
  assert.is((await h.Get({ kind: 'Link', name: 'to-west' })).link!.cost, 4);
  assert.is((await h.Apply({ manifests: [token] })).results[0].action, 'unchanged');
  assert.equal(redeemed, ['to-west']);
  redeemFails = true;
  await refused(h.Apply({ manifests: [{ source: 'x', text: token.text.replace('to-west', 'again') }, yaml('Connector', 'side', '{routingKey: s, port: 9}')] }), 'SVCNET_ERR_PRECONDITION', /already redeemed/);
  redeemFails = false;
});

test('delete: absent is NOT_FOUND and deletes nothing; a link takes its credentials and token record with it', async () => {
  await refused(h.Delete({ refs: [{ kind: 'Listener', name: 'web' }, { kind: 'Connector', name: 'absent' }] }), 'SVCNET_ERR_NOT_FOUND', /Connector absent not found/);
  await refused(h.Delete({ refs: [{ kind: 'Site', name: 'east' }] }), 'SVCNET_ERR_PRECONDITION');
  await refused(h.Delete({ refs: [{ kind: 'Listener', name: 'web', resourceVersion: '1' }] }), 'SVCNET_ERR_STALE_VERSION');
  await refused(h.Delete({ refs: [{ kind: 'Widget', name: 'x' }] }), 'SVCNET_ERR_INVALID_ARGUMENT', /unknown kind/);
  const r = await h.Delete({ refs: [{ kind: 'Link', name: 'to-west' }, { kind: 'Connector', name: 'absent' }], ignoreNotFound: true });
  assert.equal(r.deleted, [{ kind: 'Link', name: 'to-west' }]);
  assert.equal(r.notFound, [{ kind: 'Connector', name: 'absent' }]);
  assert.not.ok(fs.existsSync(path.join(ctx.store.dir, 'links', 'to-west')));
  assert.is(ctx.store.get('AccessToken', 'to-west'), undefined);
  const d = await h.Delete({ manifests: [yaml('Listener', 'web', '{}')] });
  assert.equal(d.deleted, [{ kind: 'Listener', name: 'web' }]);
});

test('calls that need the running site say so', async () => {
  await refused(h.GetNetwork({}), 'SVCNET_ERR_NOT_RUNNING', /not running/);
  const e = await refused(h.GetMetrics({}), 'SVCNET_ERR_NOT_RUNNING');
  assert.is(e.status, grpc.status.FAILED_PRECONDITION);
});

test('RotateCertificates makes a new CA and server certificate in the state directory', async () => {
  const fresh = () => new SiteStore(ctx.store.dir); // reads the state directory again
  const ca = () => fresh().readCa().cert;
  const server = () => fresh().readServerCert().cert;
  const [caBefore, serverBefore] = [ca(), server()];
  const r = await h.RotateCertificates({});
  assert.match(r.renewed.join('\n'), /^ca \(the previous CA stays trusted until /);
  assert.is.not(ca(), caBefore);
  assert.is.not(server(), serverBefore);
  // The overlap is the caller's choice: the previous CA stays trusted for 90 s here.
  const t0 = Date.now();
  const again = await h.RotateCertificates({ overlapSeconds: 90 });
  const until = Date.parse(/trusted until (\S+)\)/.exec(again.renewed[0])![1]);
  assert.ok(Math.abs(until - (t0 + 90_000)) < 5000, `trusted until ${new Date(until).toISOString()}`);
});

test('List returns every kind with the Site first; an unknown kind is INVALID_ARGUMENT', async () => {
  const all = await h.List({});
  assert.is(all.resources[0].kind, 'Site');
  assert.is(all.resources[0].metadata.name, 'east');
  await refused(h.List({ kind: 'nope' }), 'SVCNET_ERR_INVALID_ARGUMENT');
});

test('error catalogue: every code round-trips through a gRPC status with its field', () => {
  for (const code of Object.keys(API_ERRORS) as (keyof typeof API_ERRORS)[]) {
    const s = toServiceError(new ApiError(code, `m ${code}`, 'spec.x'));
    const back = fromServiceError({ code: s.code!, details: s.details!, metadata: s.metadata!, message: '', name: '' } as grpc.ServiceError);
    assert.is(back.code, code);
    assert.is(back.field, 'spec.x');
    assert.is(back.message, `m ${code}`);
  }
  assert.is(toServiceError(new Error('secret detail')).details, 'internal error; see the site log');
});

test('every API error code is documented in docs/api.md', () => {
  const doc = fs.readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
  for (const code of Object.keys(API_ERRORS)) assert.ok(doc.includes(`| ${code} |`), `${code} missing from docs/api.md`);
});

test.run();
