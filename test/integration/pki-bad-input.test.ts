// Bad input against a real running site, each refused with a clear error and log line: expired,
// used and wrong codes; a hand-edited token; CSRs with a wrong key type or another site's name;
// client certificates from another CA, expired, unknown or revoked; plain TCP and TLS 1.2 on the
// link port; renewal without a certificate; a man-in-the-middle grant endpoint; and the policy
// (link access off, allowed peers, exposed routing keys), refusals counted in the site status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import crypto from 'node:crypto';
import YAML from 'yaml';
import { svcnet, svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { probeLink, ecCsr, fakeGrantServer } from '../helpers/pki.js';
import { createCa, issueLeaf, createCsr } from '../../control/pki/ca.js';
import { callGrantService, GrantCallError } from '../../control/pki/grant-client.js';
import { readToken } from '../../control/token.js';
import { SiteStore } from '../../control/state/site-store.js';
import { freshIdentity, redeemRequest } from '../helpers/identity.js';

const root = tempDir();
const A = path.join(root, 'a');
const B = path.join(root, 'b');
/** Redeems the refused tokens: a site with no link to alpha (beta's would be refused as a second link to one peer, issue 15). */
const C = path.join(root, 'c');
let ports: number[];
const log = () => fs.readFileSync(path.join(A, 'site.log'), 'utf8');
const security = () => (runtimeStatus(A) as unknown as { security: { refused: Record<string, number> } }).security;

test.before(async () => {
  ports = await freePorts(6);
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'beta', '--dir', B]);
  await svcnetOk(['site', 'create', 'epsilon', '--dir', C]);
  runSite(A);
  await waitFor('alpha running', () => runtimeStatus(A));
});

test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Awaits `p` and checks that it fails with an error matching `check`. */
async function rejects(p: Promise<unknown>, check: RegExp | ((e: Error) => boolean)): Promise<void> {
  let err: Error | undefined;
  try { await p; } catch (e) { err = e as Error; }
  assert.ok(err, 'expected a refusal');
  if (check instanceof RegExp) assert.match(err!.message, check); else assert.ok(check(err!), err!.message);
}

const token = async (name: string, extra: string[] = []) => {
  const f = path.join(root, `${name}.yaml`);
  await svcnetOk(['token', 'issue', f, '--dir', A, ...extra]);
  return f;
};
const redeemRefused = async (file: string, re: RegExp) => {
  const r = await svcnet(['token', 'redeem', file, '--dir', C, '--name', `x${crypto.randomBytes(3).toString('hex')}`]);
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stderr, re);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
};

test('expired, used and wrong codes are refused, with a log line on the issuing site', async () => {
  const expired = await token('expired', ['--expiry', '1s']);
  await new Promise((r) => setTimeout(r, 1500));
  await redeemRefused(expired, /SVCNET_ERR_TOKEN_EXPIRED: the token expired/);
  const once = await token('once');
  const r = await svcnet(['token', 'redeem', once, '--dir', B, '--name', 'first']);
  assert.is(r.code, 0, r.stderr);
  await redeemRefused(once, /SVCNET_ERR_TOKEN_USED: the token was already redeemed/);
  const wrong = await token('wrong');
  const t = YAML.parse(fs.readFileSync(wrong, 'utf8'));
  t.spec.code = crypto.randomBytes(16).toString('base64url');
  fs.writeFileSync(wrong, YAML.stringify(t));
  await redeemRefused(wrong, /SVCNET_ERR_TOKEN_INVALID: the token code is not valid/);
  const l = log();
  for (const code of ['EXPIRED', 'USED', 'INVALID']) assert.match(l, new RegExp(`SVCNET_ERR_TOKEN_${code}.*token redemption refused`));
});

test('a token edited by hand: broken CA, changed address', async () => {
  const f = await token('edited');
  const t = YAML.parse(fs.readFileSync(f, 'utf8'));
  const badCa = path.join(root, 'bad-ca.yaml');
  fs.writeFileSync(badCa, YAML.stringify({ ...t, spec: { ...t.spec, ca: t.spec.ca.replace(/\n[^\n-]+\n/, '\n') } }));
  await redeemRefused(badCa, /is not a valid token \(spec\.ca: not a readable PEM certificate/);
  const moved = path.join(root, 'moved.yaml');
  fs.writeFileSync(moved, YAML.stringify({ ...t, spec: { ...t.spec, url: `127.0.0.1:${ports[5]}` } }));
  await redeemRefused(moved, /cannot reach the grant endpoint/);
});

test('CSRs with a wrong key type or another site\'s name are refused; the grant is not used up', async () => {
  const f = await token('csr');
  const t = readToken(f);
  const call = (csr: string, siteName: string) => callGrantService(t.spec.url, { ca: t.spec.ca }, 'Redeem', redeemRequest(freshIdentity(), { code: t.spec.code, csr, siteName }), { who: 'alpha' });
  await rejects(call(ecCsr('gamma'), 'gamma'), /SVCNET_ERR_CSR_INVALID: the certificate request carries a non-RSA key/);
  const other = await createCsr('beta');
  await rejects(call(other.csr, 'gamma'), /SVCNET_ERR_CSR_INVALID: the certificate request names site "beta" but the caller is site "gamma"/);
  await rejects(call((await createCsr('alpha')).csr, 'alpha'), /SVCNET_ERR_IMPERSONATION/);
  // beta holds a live certificate here (first test); another site id may not take its name.
  await rejects(call(other.csr, 'beta'), /SVCNET_ERR_IMPERSONATION: site name "beta" is already linked here by another site/);
  const ok = await call((await createCsr('gamma')).csr, 'gamma');
  assert.ok(ok);
  assert.match(log(), /SVCNET_ERR_CSR_INVALID.*token redemption refused: the certificate request carries a non-RSA key/);
});

test('the link port refuses plain TCP, TLS 1.2 without a certificate, and certificates from another CA, expired or unknown', async () => {
  const before = (log().match(/"link refused/g) ?? []).length;
  const plain = await new Promise<string>((resolve) => {
    const s = net.connect(ports[0], '127.0.0.1', () => s.write('GET / HTTP/1.1\r\n\r\n'));
    s.on('data', (d) => resolve(`data ${d.length}`));
    s.on('error', (e) => resolve(`error ${e.message}`));
    s.on('close', () => resolve('closed'));
  });
  assert.not.match(plain, /^data/);
  assert.match(await probeLink(ports[0], { maxVersion: 'TLSv1.2' }), /error/);
  const stranger = await createCa('mallory');
  const foreign = await issueLeaf(stranger, { commonName: 'beta', client: true });
  assert.is.not(await probeLink(ports[0], { key: foreign.key, cert: foreign.cert }), 'data');
  const alphaCa = new SiteStore(A).readCa();
  const expired = await issueLeaf(alphaCa, { commonName: 'beta', client: true, lifetimeMs: -1000 });
  assert.is.not(await probeLink(ports[0], { key: expired.key, cert: expired.cert }), 'data');
  // Signed by alpha's CA but never issued through a grant (e.g. a stolen CA key would be needed).
  const unknown = await issueLeaf(alphaCa, { commonName: 'beta', client: true });
  assert.is.not(await probeLink(ports[0], { key: unknown.key, cert: unknown.cert }), 'data');
  await waitFor('refusals logged', () => (log().match(/"link refused/g) ?? []).length >= before + 5);
  assert.match(log(), /CERT_HAS_EXPIRED.*link refused: the client certificate is missing, expired or not from this site's CA/);
  assert.match(log(), /"subject":"beta","reason":"(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)"/);
  assert.match(log(), /SVCNET_ERR_CERT_UNKNOWN/);
  await waitFor('refusal counted in status', () => security().refused.SVCNET_ERR_CERT_UNKNOWN >= 1, 3000);
});

test('renewal needs the current certificate: none, or one from another CA, is refused', async () => {
  const t = readToken(await token('renew'));
  await rejects(callGrantService(t.spec.url, { ca: t.spec.ca }, 'Renew', { csr: (await createCsr('beta')).csr }), /SVCNET_ERR_CERT_MISSING/);
  const foreign = await issueLeaf(await createCa('mallory'), { commonName: 'beta', client: true });
  await rejects(callGrantService(t.spec.url, { ca: t.spec.ca, key: foreign.key, cert: foreign.cert }, 'Renew', { csr: (await createCsr('beta')).csr }), /SVCNET_ERR_CERT_MISSING/);
  assert.match(log(), /certificate renewal refused: no valid client certificate/);
});

test('a grant endpoint with a certificate not from the token\'s CA (man in the middle) gets nothing', async () => {
  const t = YAML.parse(fs.readFileSync(await token('mitm'), 'utf8'));
  const mallory = await createCa('mallory');
  const fake = await fakeGrantServer(ports[4], await issueLeaf(mallory, { commonName: 'alpha', hosts: ['127.0.0.1', 'localhost'], server: true }));
  const f = path.join(root, 'mitm-redirected.yaml');
  fs.writeFileSync(f, YAML.stringify({ ...t, spec: { ...t.spec, url: `127.0.0.1:${ports[4]}` } }));
  try {
    await redeemRefused(f, /presented a certificate not signed by the CA we trust for site alpha .*man in the middle/);
    assert.is(fake.calls, 0, 'the impostor never saw the code or the CSR');
    await rejects(callGrantService(`127.0.0.1:${ports[4]}`, { ca: t.spec.ca }, 'Redeem', {}), (e: Error) => e instanceof GrantCallError && e.kind === 'untrusted');
  } finally { fake.server.forceShutdown(); }
});

test('policy: allowed peers, link access off (redemption refused, inbound links closed), exposed keys; counted', async () => {
  runSite(B);
  await waitFor('beta linked (first test)', () => runtimeStatus(B)?.links.some((l) => l.status === 'ready'), 20_000);
  await svcnetOk(['site', 'policy', '--dir', A, '--allow-peers', 'beta']);
  await redeemRefusedAs('delta', /SVCNET_ERR_POLICY_DENIED: site "delta" is not in this site's allowed peers/);
  await svcnetOk(['site', 'policy', '--dir', A, '--link-access', 'off']);
  await waitFor('inbound link closed by policy', () => !runtimeStatus(B)?.links.some((l) => l.status === 'ready'), 5000);
  await waitFor('reconnect refused by policy', () => /SVCNET_ERR_POLICY_DENIED: link access is off.*"link refused/.test(log()) || /"link refused.*SVCNET_ERR_POLICY_DENIED/.test(log()), 15_000);
  await svcnetOk(['site', 'policy', '--dir', A, '--link-access', 'on', '--allow-peers', 'any', '--expose-keys', 'public']);
  await waitFor('beta linked again', () => runtimeStatus(B)?.links.some((l) => l.status === 'ready'), 20_000);
  await svcnetOk(['connector', 'create', 'secret', String(ports[2]), '--routing-key', 'secret', '--dir', A]);
  await svcnetOk(['connector', 'create', 'public', String(ports[3]), '--routing-key', 'public', '--dir', A]);
  await waitFor('public key reaches beta', () => runtimeStatus(B)?.network.sites.find((s) => s.name === 'alpha')?.keys.includes('public'), 10_000);
  assert.not.ok(runtimeStatus(B)!.network.sites.find((s) => s.name === 'alpha')!.keys.includes('secret'));
  assert.match(log(), /connector not applied: its routing key is not exposed/);
  await new Promise((r) => setTimeout(r, 700)); // status is published every 500 ms
  const sec = security().refused;
  for (const code of ['SVCNET_ERR_POLICY_DENIED', 'SVCNET_ERR_KEY_NOT_EXPOSED', 'SVCNET_ERR_TOKEN_USED', 'SVCNET_ERR_CSR_INVALID']) assert.ok(sec[code] >= 1, `${code}: ${JSON.stringify(sec)}`);
});

async function redeemRefusedAs(site: string, re: RegExp): Promise<void> {
  const t = readToken(await token(`as-${site}`));
  await rejects(callGrantService(t.spec.url, { ca: t.spec.ca }, 'Redeem', redeemRequest(freshIdentity(), { code: t.spec.code, csr: (await createCsr(site)).csr, siteName: site })), re);
}

test.run();
