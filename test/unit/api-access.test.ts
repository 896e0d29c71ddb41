// GetPolicy, SetPolicy and RevokeSite called in-process on a real state directory (issue 11 #2),
// and the hooks every writing handler calls so the running site need not poll the disk:
// reconcile() after resources change, pkiChanged() after policy, grants, revocations, rotation.
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
import { ApiError } from '../../control/api/errors.js';
import { loadPolicy } from '../../control/pki/policy.js';
import { recordIssued, loadRevocations } from '../../control/pki/registry.js';
import type { ApiContext, SiteHooks } from '../../control/api/context.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-api-access-'));
let store: SiteStore;
let h: ReturnType<typeof createControlHandlers>;
const calls: string[] = [];

const site: SiteHooks = {
  // A running site with nothing live yet: resources show as pending.
  status: () => ({ links: [], listeners: [], connectors: [], network: { sites: [] } }) as unknown as ReturnType<SiteHooks['status']>,
  reconcile: () => { calls.push('reconcile'); },
  pkiChanged: async () => { calls.push('pkiChanged'); },
  settled: async () => {},
  metrics: async () => ({ flowsOpened: 0, flowsFailed: 0, streamsActive: 0, prometheus: '' }),
  flows: async () => [],
};

test.before(async () => {
  const dir = path.join(root, 'site');
  await createSite(dir, 'east', { linkAccess: true, linkPort: 45100 });
  store = SiteStore.open(dir);
  const ctx: ApiContext = { store, site, hub: new WatchHub(), log: pino({ level: 'silent' }), redeem: async () => { throw new Error('no network here'); } };
  h = createControlHandlers(ctx);
});
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

/** The hooks `fn` made the handlers call. */
async function hooksOf(fn: () => Promise<unknown>): Promise<string[]> {
  calls.length = 0;
  await fn();
  return [...calls];
}

async function refused(p: Promise<unknown>, code: string, field?: string, re?: RegExp): Promise<void> {
  const policy = store.readPkiFile('policy.json');
  const revoked = store.readPkiFile('revoked.json');
  calls.length = 0;
  try { await p; } catch (err) {
    assert.instance(err, ApiError);
    assert.is((err as ApiError).code, code, (err as Error).message);
    if (field) assert.is((err as ApiError).field, field);
    if (re) assert.match((err as Error).message, re);
    assert.is(store.readPkiFile('policy.json'), policy, 'policy unchanged');
    assert.is(store.readPkiFile('revoked.json'), revoked, 'revocations unchanged');
    assert.equal(calls, [], 'a refused call tells the site nothing');
    return;
  }
  assert.unreachable('the call should have been refused');
}

test('issue 11 #2: GetPolicy of a site that never set one is the open default, with any/all explicit', async () => {
  assert.equal(await h.GetPolicy({}), { linkAccess: true, allowAnyPeer: true, allowedPeers: [], exposeAllKeys: true, exposedKeys: [], inboundLinkCost: 1 });
});

test('issue 11 #2: SetPolicy changes only the update_mask fields, stores them, and tells the running site (pkiChanged)', async () => {
  const hooks = await hooksOf(async () => {
    const r = await h.SetPolicy({ policy: { allowedPeers: ['west'], inboundLinkCost: 99, linkAccess: false }, updateMask: ['allowed_peers'] });
    assert.ok(r.appliedNow);
    assert.equal(r.policy.allowedPeers, ['west']);
    assert.is(r.policy.linkAccess, true, 'link_access was not in the mask');
    assert.is(r.policy.inboundLinkCost, 1, 'inbound_link_cost was not in the mask');
  });
  assert.equal(hooks, ['pkiChanged']);
  assert.equal(loadPolicy(store), { linkAccess: true, allowedPeers: ['west'], exposedKeys: null, inboundLinkCost: 1 });
  // lowerCamelCase mask names, an empty list (nobody) distinct from "any", and the JSON name of a field
  await h.SetPolicy({ policy: { exposeAllKeys: false, exposedKeys: [], inboundLinkCost: 10 }, updateMask: ['exposedKeys', 'inbound_link_cost'] });
  assert.equal(loadPolicy(store), { linkAccess: true, allowedPeers: ['west'], exposedKeys: [], inboundLinkCost: 10 });
  // an empty mask replaces the whole policy
  await h.SetPolicy({ policy: { linkAccess: true, allowAnyPeer: true, exposeAllKeys: true, inboundLinkCost: 1 } });
  assert.equal(loadPolicy(store), { linkAccess: true, allowedPeers: null, exposedKeys: null, inboundLinkCost: 1 });
});

test('issue 11 #2: SetPolicy refuses bad values and unknown mask fields with INVALID_ARGUMENT naming the field; nothing written', async () => {
  await refused(h.SetPolicy({ policy: { allowedPeers: ['Not_A_Site'] }, updateMask: ['allowed_peers'] }), 'SVCNET_ERR_INVALID_ARGUMENT', 'policy.allowedPeers.0');
  await refused(h.SetPolicy({ policy: { inboundLinkCost: 0 }, updateMask: ['inbound_link_cost'] }), 'SVCNET_ERR_INVALID_ARGUMENT', 'policy.inboundLinkCost');
  await refused(h.SetPolicy({ policy: { inboundLinkCost: 1_000_001 }, updateMask: ['inbound_link_cost'] }), 'SVCNET_ERR_INVALID_ARGUMENT', 'policy.inboundLinkCost');
  await refused(h.SetPolicy({ policy: {}, updateMask: ['allowed_peers', 'everything'] }), 'SVCNET_ERR_INVALID_ARGUMENT', 'updateMask.1', /unknown field "everything"/);
});

test('issue 11 #2: an unreadable stored policy is FAILED_PRECONDITION for Get and Set, never "allow all"', async () => {
  const good = store.readPkiFile('policy.json')!;
  await store.writePkiFile('policy.json', '{not json');
  try {
    await refused(h.GetPolicy({}), 'SVCNET_ERR_PRECONDITION', undefined, /policy\.json is not valid JSON/);
    await refused(h.SetPolicy({ policy: { linkAccess: false }, updateMask: ['link_access'] }), 'SVCNET_ERR_PRECONDITION');
  } finally { await store.writePkiFile('policy.json', good); }
});

test('issue 11 #2: RevokeSite revokes every lineage of the site, tells the running site, and is NOT_FOUND the second time', async () => {
  const now = Date.now();
  const notAfter = new Date(now + 3_600_000).toISOString();
  for (const [serial, lineage] of [['aa01', 'aa01'], ['aa02', 'aa01'], ['bb01', 'bb01']]) {
    await recordIssued(store, { serial, site: 'west', siteId: 'id-west', grant: 'grant-x', lineage, issuedAt: new Date(now).toISOString(), notAfter }, now);
  }
  await recordIssued(store, { serial: 'cc01', site: 'north', siteId: 'id-north', grant: 'grant-x', lineage: 'cc01', issuedAt: new Date(now).toISOString(), notAfter }, now);
  const hooks = await hooksOf(async () => {
    const r = await h.RevokeSite({ site: 'west', reason: 'inbound link deleted' });
    assert.equal(r.revoked.map((x) => [x.lineage, x.serials]), [['aa01', ['aa01', 'aa02']], ['bb01', ['bb01']]]);
    assert.ok(r.appliedNow);
  });
  assert.equal(hooks, ['pkiChanged']);
  assert.equal(loadRevocations(store).map((x) => [x.site, x.lineage, x.reason]), [['west', 'aa01', 'inbound link deleted'], ['west', 'bb01', 'inbound link deleted']]);
  await refused(h.RevokeSite({ site: 'west' }), 'SVCNET_ERR_NOT_FOUND', undefined, /no certificate issued to site west/);
  await refused(h.RevokeSite({ site: 'nobody' }), 'SVCNET_ERR_NOT_FOUND');
  await refused(h.RevokeSite({ site: '../../pki/ca' }), 'SVCNET_ERR_INVALID_ARGUMENT', 'site');
  await h.RevokeSite({ site: 'north' });
  assert.is(loadRevocations(store).find((x) => x.site === 'north')?.reason, 'revoked through the API');
});

test('issue 11 #2: every handler that writes resources or PKI state calls the matching hook', async () => {
  const listener = { kind: 'Listener', metadata: { name: 'web' }, listener: { port: 45180, routingKey: 'web', host: '127.0.0.1' } };
  assert.equal(await hooksOf(() => h.Apply({ resources: [listener] })), ['reconcile'], 'Apply of a listener');
  assert.equal(await hooksOf(() => h.Delete({ refs: [{ kind: 'Listener', name: 'web' }] })), ['reconcile'], 'Delete of a listener');
  assert.ok((await hooksOf(() => h.IssueToken({}))).includes('pkiChanged'), 'IssueToken: a new grant');
  const grant = (await h.List({ kind: 'AccessGrant' })).resources[0].metadata.name;
  assert.ok((await hooksOf(() => h.Delete({ refs: [{ kind: 'AccessGrant', name: grant }] }))).includes('pkiChanged'), 'Delete of a grant revokes what it issued');
  const applied = { kind: 'AccessGrant', metadata: { name: 'by-hand' }, accessGrant: { redemptionsAllowed: 1, expirationWindow: '15m', code: 'c'.repeat(22) } };
  assert.ok((await hooksOf(() => h.Apply({ resources: [applied] }))).includes('pkiChanged'), 'Apply of a grant');
  assert.ok((await hooksOf(() => h.RotateCertificates({}))).includes('pkiChanged'), 'RotateCertificates');
});

test.run();
