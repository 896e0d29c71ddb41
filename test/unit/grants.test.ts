// Grants against a real state directory: codes (wrong, expired, used), the rate limiter, CSR and
// identity checks at redemption, policy, renewal (lineage kept; unknown, expired, revoked refused),
// rotation, and token files edited by hand.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import YAML from 'yaml';
import { createSite } from '../../control/site-setup.js';
import { SiteStore } from '../../control/state/site-store.js';
import { issueGrant, redeemGrant, renewCertificate, FailureLimiter, CodeIndex, GrantError, currentRevocations } from '../../control/grants.js';
import { createCsr, certInfo, splitPem, issueLeaf } from '../../control/pki/ca.js';
import { loadIssued, revokeSite } from '../../control/pki/registry.js';
import { savePolicy, DEFAULT_POLICY } from '../../control/pki/policy.js';
import { rotateCertificates } from '../../control/pki/rotation.js';
import { trustedCas } from '../../control/pki/trust.js';
import { issueToken, readToken } from '../../control/token.js';
import { ecCsr } from '../helpers/pki.js';
import { tempDir } from '../helpers/cli.js';
import { freshIdentity, redeemRequest } from '../helpers/identity.js';

const root = tempDir();
await createSite(path.join(root, 'alpha'), 'alpha', { linkAccess: true, linkPort: 40001 });
const store = new SiteStore(path.join(root, 'alpha'));
const beta = await createCsr('beta');
const BETA = freshIdentity();
const BETA_ID = BETA.id;

test.after(() => fs.rmSync(root, { recursive: true, force: true }));

async function refused(f: () => Promise<unknown>, code: string, msg: RegExp): Promise<void> {
  try { await f(); } catch (e) {
    assert.ok(e instanceof GrantError && e.code === code && msg.test(e.message), `want ${code} ${msg}, got ${(e as Error).message}`);
    return;
  }
  assert.unreachable(`want ${code}, but it succeeded`);
}

test('a code redeems once; the certificate is recorded with its grant and lineage', async () => {
  const { grant, code } = await issueGrant(store);
  const r = await redeemGrant(store, redeemRequest(BETA, { code, csr: beta.csr, siteName: 'beta' }));
  assert.is(certInfo(r.cert).commonName, 'beta');
  const e = loadIssued(store).find((x) => x.serial === r.serial)!;
  assert.equal([e.site, e.siteId, e.grant, e.lineage], ['beta', BETA_ID, grant.metadata.name, r.serial]);
  await refused(() => redeemGrant(store, redeemRequest(BETA, { code, csr: beta.csr, siteName: 'beta' })), 'SVCNET_ERR_TOKEN_USED', /already redeemed/);
});

test('wrong and expired codes are refused; a refused redemption does not use the grant up', async () => {
  const { code, grant } = await issueGrant(store, { expiryMs: 60_000 });
  await refused(() => redeemGrant(store, redeemRequest(BETA, { code: code.slice(0, -1) + (code.endsWith('A') ? 'B' : 'A'), csr: beta.csr, siteName: 'beta' })), 'SVCNET_ERR_TOKEN_INVALID', /not valid/);
  await refused(() => redeemGrant(store, redeemRequest(BETA, { code, csr: beta.csr, siteName: 'beta' }), Date.now() + 61_000), 'SVCNET_ERR_TOKEN_EXPIRED', /expired at/);
  await refused(() => redeemGrant(store, redeemRequest(BETA, { code, csr: ecCsr('beta'), siteName: 'beta' })), 'SVCNET_ERR_CSR_INVALID', /non-RSA/);
  const g = store.get('AccessGrant', grant.metadata.name) as { status: { redeemed: number } };
  assert.is(g.status.redeemed, 0);
});

test('the limiter refuses an address after 10 wrong codes a minute, and forgets after the window', async () => {
  const l = new FailureLimiter(10, 60_000);
  for (let i = 0; i < 10; i++) { assert.not.ok(l.blocked('a', 1000 + i)); l.fail('a', 1000 + i); }
  assert.ok(l.blocked('a', 2000));
  assert.not.ok(l.blocked('b', 2000));
  assert.not.ok(l.blocked('a', 62_000));
});

test('issue 10 #12: the limiter\'s memory is bounded (times per address, addresses), the stalest forgotten first', () => {
  const l = new FailureLimiter(10, 60_000, 100);
  for (let i = 0; i < 1000; i++) l.fail('a', 1000 + i);
  assert.ok(l.blocked('a', 2000));
  for (let i = 0; i < 5000; i++) l.fail(`10.0.${i >> 8}.${i & 255}`, 3000 + i);
  assert.ok(l.size <= 100, `${l.size} addresses remembered`);
  l.fail('b', 9000);
  assert.ok(l.size <= 100);
});

test('issue 10 #12: the code index knows live grants\' codes only, and re-reads the store at most once per period', async () => {
  const idx = new CodeIndex(store, 1000);
  const { code } = await issueGrant(store);
  assert.ok(idx.knows(code, 10_000));
  assert.not.ok(idx.knows(crypto.randomBytes(16).toString('base64url'), 10_000));
  const later = await issueGrant(store);
  assert.not.ok(idx.knows(later.code, 10_500), 'not re-read within the period');
  assert.ok(idx.knows(later.code, 11_000), 're-read after it');
});

test('impersonation: the issuer\'s own name, a CSR for another name, a name held by another site id', async () => {
  const { code } = await issueGrant(store, { redemptions: 5 });
  const alphaCsr = await createCsr('alpha');
  await refused(() => redeemGrant(store, redeemRequest(freshIdentity(), { code, csr: alphaCsr.csr, siteName: 'alpha' })), 'SVCNET_ERR_IMPERSONATION', /this site itself/);
  await refused(() => redeemGrant(store, redeemRequest(BETA, { code, csr: alphaCsr.csr, siteName: 'beta' })), 'SVCNET_ERR_CSR_INVALID', /names site "alpha" but the caller is site "beta"/);
  await refused(() => redeemGrant(store, redeemRequest(freshIdentity(), { code, csr: beta.csr, siteName: 'beta' })), 'SVCNET_ERR_IMPERSONATION', /already linked here by another site/);
  // The same site (same id) may join again, e.g. after losing its state.
  assert.ok((await redeemGrant(store, redeemRequest(BETA, { code, csr: beta.csr, siteName: 'beta' }))).cert);
});

test('issue 10 #11: another site\'s (public) id cannot be redeemed under without its identity key', async () => {
  const { code, grant } = await issueGrant(store, { redemptions: 5 });
  const mallory = freshIdentity();
  // Beta's id with mallory's key: the id is not the hash of the key presented.
  await refused(() => redeemGrant(store, redeemRequest(mallory, { code, csr: beta.csr, siteName: 'beta' }, BETA_ID)), 'SVCNET_ERR_IMPERSONATION', /not the hash of the identity key/);
  // Beta's id and beta's public key, signed by mallory: no proof of possession.
  const forged = { ...redeemRequest(mallory, { code, csr: beta.csr, siteName: 'beta' }, BETA_ID), identityKey: BETA.pub };
  await refused(() => redeemGrant(store, forged), 'SVCNET_ERR_IMPERSONATION', /did not prove/);
  // A genuine proof does not carry over to another code or CSR (it signs both).
  const other = await createCsr('beta');
  const replay = { ...redeemRequest(BETA, { code, csr: beta.csr, siteName: 'beta' }), csr: other.csr };
  await refused(() => redeemGrant(store, replay), 'SVCNET_ERR_IMPERSONATION', /did not prove/);
  // No id at all, or a random UUID (what an earlier svcnet sent), is refused too.
  await refused(() => redeemGrant(store, { code, csr: beta.csr, siteName: 'beta', siteId: crypto.randomUUID(), identityKey: '', proof: '' }), 'SVCNET_ERR_IMPERSONATION', /not the hash/);
  const g = store.get('AccessGrant', grant.metadata.name) as { status: { redeemed: number } };
  assert.is(g.status.redeemed, 0, 'refused redemptions use nothing up');
  // The certificate issued to the real holder names its site id (URI SAN), and renewal keeps it.
  const ok = await redeemGrant(store, redeemRequest(BETA, { code, csr: beta.csr, siteName: 'beta' }));
  assert.is(new crypto.X509Certificate(ok.cert).subjectAltName, `URI:urn:svcnet:site:${BETA_ID}`);
  const renewed = await renewCertificate(store, certInfo(ok.cert), (await createCsr('beta')).csr);
  assert.is(new crypto.X509Certificate(renewed.cert).subjectAltName, `URI:urn:svcnet:site:${BETA_ID}`);
});

test('policy: link access off and allowed peers refuse redemptions', async () => {
  const { code } = await issueGrant(store, { redemptions: 5 });
  const gamma = await createCsr('gamma');
  await savePolicy(store, { ...DEFAULT_POLICY, linkAccess: false });
  await refused(() => redeemGrant(store, redeemRequest(freshIdentity(), { code, csr: gamma.csr, siteName: 'gamma' })), 'SVCNET_ERR_POLICY_DENIED', /link access is off/);
  await savePolicy(store, { ...DEFAULT_POLICY, allowedPeers: ['beta'] });
  await refused(() => redeemGrant(store, redeemRequest(freshIdentity(), { code, csr: gamma.csr, siteName: 'gamma' })), 'SVCNET_ERR_POLICY_DENIED', /not in this site's allowed peers/);
  await savePolicy(store, DEFAULT_POLICY);
});

test('renewal keeps site, grant and lineage; unknown, expired and revoked certificates are refused', async () => {
  const { code } = await issueGrant(store);
  const delta = await createCsr('delta');
  const first = await redeemGrant(store, redeemRequest(freshIdentity(), { code, csr: delta.csr, siteName: 'delta' }));
  const cur = certInfo(first.cert);
  const next = await createCsr('delta');
  const r = await renewCertificate(store, cur, next.csr);
  assert.is(r.entry.lineage, first.serial);
  assert.is(r.entry.grant, first.grant);
  assert.is.not(r.serial, first.serial);
  const r2 = await renewCertificate(store, certInfo(r.cert), (await createCsr('delta')).csr);
  assert.is(r2.entry.lineage, first.serial);
  await refused(() => renewCertificate(store, { ...cur, serial: 'abcdef' }, next.csr), 'SVCNET_ERR_CERT_UNKNOWN', /not issued through a grant/);
  await refused(() => renewCertificate(store, { ...cur, notAfter: new Date(Date.now() - 1) }, next.csr), 'SVCNET_ERR_CERT_EXPIRED', /expired/);
  const mallory = await createCsr('mallory');
  await refused(() => renewCertificate(store, certInfo(r2.cert), mallory.csr), 'SVCNET_ERR_CSR_INVALID', /names site "mallory"/);
  // Deleting the grant revokes the whole lineage, including the renewed certificates.
  await store.delete('AccessGrant', first.grant);
  assert.ok(currentRevocations(store).has(first.serial));
  await refused(() => renewCertificate(store, certInfo(r2.cert), next.csr), 'SVCNET_ERR_CERT_REVOKED', /revoked/);
});

test('revoking a site (deleting its inbound link) revokes every lineage it holds, and persists', async () => {
  const lineages = new Set(loadIssued(store).filter((e) => e.site === 'beta').map((e) => e.lineage));
  const r = await revokeSite(store, 'beta', 'test');
  assert.equal(new Set(r.map((x) => x.lineage)), lineages);
  const again = new SiteStore(store.dir); // a fresh reader, as after a restart
  for (const l of lineages) assert.ok(currentRevocations(again).has(l));
  assert.is((await revokeSite(store, 'beta', 'test')).length, 0, 'idempotent');
});

test('rotation: new CA, old one trusted during the overlap, server chain carries the cross certificate', async () => {
  const oldCa = store.readCa().cert;
  const oldLeaf = await issueLeaf(store.readCa(), { commonName: 'x', client: true });
  const r = await rotateCertificates(store, { overlapMs: 60_000 });
  assert.is.not(store.readCa().cert, oldCa);
  assert.equal(trustedCas(store), [store.readCa().cert, oldCa]);
  assert.equal(trustedCas(store, Date.now() + 61_000), [store.readCa().cert]);
  const chain = splitPem(store.readServerCert().cert);
  assert.is(chain.length, 2);
  assert.is(certInfo(chain[0]).serial, r.serverSerial);
  assert.is(certInfo(chain[1]).issuer, certInfo(oldCa).commonName);
  // A leaf of the old CA still verifies against the trusted set; new ones come from the new CA.
  assert.ok(new crypto.X509Certificate(oldLeaf.cert).verify(new crypto.X509Certificate(oldCa).publicKey));
  const { code } = await issueGrant(store);
  const eps = await createCsr('epsilon');
  const got = await redeemGrant(store, redeemRequest(freshIdentity(), { code, csr: eps.csr, siteName: 'epsilon' }));
  assert.is(certInfo(got.cert).issuer, certInfo(store.readCa().cert).commonName);
});

test('token files edited by hand are refused with the field that is wrong', async () => {
  const file = path.join(root, 't.yaml');
  await issueToken(store, file, {});
  assert.ok(readToken(file));
  const edit = (f: (t: { spec: Record<string, string> }) => void) => {
    const t = YAML.parse(fs.readFileSync(file, 'utf8'));
    f(t);
    const out = path.join(root, `edited-${Math.random()}.yaml`);
    fs.writeFileSync(out, YAML.stringify(t));
    return out;
  };
  assert.throws(() => readToken(edit((t) => { t.spec.ca = t.spec.ca.replace(/\n[^\n-]+\n/, '\n'); /* one base64 line lost */ })), /spec\.ca: not a readable PEM certificate/);
  assert.throws(() => readToken(edit((t) => { t.spec.code = 'short'; })), /spec\.code: must be the base64url one-time code/);
  assert.throws(() => readToken(edit((t) => { t.spec.url = 'not a url'; })), /spec\.url: must be host:port/);
  assert.throws(() => readToken(edit((t) => { t.spec.extra = 'x'; })), /not a valid token/);
});

test.run();
