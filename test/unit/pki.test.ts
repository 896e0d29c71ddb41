// The CA and certificate functions: lifetimes from the clock, CSRs refused for key type, size and
// subject, cross-signing that lets a peer trusting only the old CA verify the new chain (real TLS
// handshakes), renewal timing, the revocation registry and the access policy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import crypto from 'node:crypto';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createCa, issueLeaf, createCsr, signCsr, crossSign, certInfo, splitPem, parseLifetime, leafLifetimeMs, normalizeSerial, CsrError, SKEW_MS } from '../../control/pki/ca.js';
import { renewAt } from '../../control/pki/renewal.js';
import { revokedLineages, type IssuedCert } from '../../control/pki/registry.js';
import { peerRefusal, keyExposed, DEFAULT_POLICY } from '../../control/pki/policy.js';
import { ecCsr, rsaCsr } from '../helpers/pki.js';

const ca = await createCa('alpha');

test('a CA is self-signed, a CA, valid ~10 years; two CAs of one site have distinct subjects', async () => {
  const x = new crypto.X509Certificate(ca.cert);
  assert.ok(x.ca);
  assert.ok(x.checkIssued(x));
  const years = (Date.parse(x.validTo) - Date.now()) / (365 * 86400_000);
  assert.ok(years > 9.9 && years < 10.1, String(years));
  const other = await createCa('alpha');
  assert.is.not(certInfo(other.cert).commonName, certInfo(ca.cert).commonName);
});

test('a server certificate carries the link hosts and chains to the CA; lifetime defaults to 60 days', async () => {
  const leaf = await issueLeaf(ca, { commonName: 'alpha', hosts: ['example.test', '10.1.2.3'], server: true });
  const x = new crypto.X509Certificate(leaf.cert);
  assert.ok(x.verify(new crypto.X509Certificate(ca.cert).publicKey));
  assert.match(x.subjectAltName ?? '', /DNS:example.test/);
  assert.match(x.subjectAltName ?? '', /IP Address:10.1.2.3/);
  const days = (Date.parse(x.validTo) - Date.now()) / 86400_000;
  assert.ok(days > 59.9 && days < 60.1, String(days));
  assert.is(normalizeSerial(x.serialNumber), leaf.serial);
});

test('lifetimes come from $SVCNET_LEAF_LIFETIME; a bad value is an error, not a silent default', () => {
  assert.is(parseLifetime('90s'), 90_000);
  assert.is(parseLifetime('2h'), 7_200_000);
  assert.is(parseLifetime('soon'), undefined);
  process.env.SVCNET_LEAF_LIFETIME = '8s';
  try {
    assert.is(leafLifetimeMs(), 8000);
    process.env.SVCNET_LEAF_LIFETIME = 'eight';
    assert.throws(() => leafLifetimeMs(), /SVCNET_LEAF_LIFETIME="eight"/);
  } finally { delete process.env.SVCNET_LEAF_LIFETIME; }
});

test('signCsr issues a client certificate with the subject we choose', async () => {
  const { csr } = await createCsr('beta');
  const s = signCsr(ca, csr, 'beta');
  const x = new crypto.X509Certificate(s.cert);
  assert.match(x.subject, /CN=beta/);
  assert.ok(x.verify(new crypto.X509Certificate(ca.cert).publicKey));
  assert.ok(x.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), 'clientAuth');
});

test('CSRs refused: EC key, RSA 1024, a subject naming another site, garbage, a broken signature', async () => {
  assert.throws(() => signCsr(ca, ecCsr('beta'), 'beta'), (e: Error) => e instanceof CsrError && /non-RSA key/.test(e.message));
  assert.throws(() => signCsr(ca, rsaCsr('beta', 1024).csr, 'beta'), /at least 2048 bits \(it has 1024\)/);
  const { csr } = await createCsr('alpha');
  assert.throws(() => signCsr(ca, csr, 'beta'), /names site "alpha" but the caller is site "beta"/);
  assert.throws(() => signCsr(ca, 'hello', 'beta'), /not a valid PEM CSR/);
  const b64 = csr.split('\n').filter((l) => !l.startsWith('-----')).join('');
  const der = Buffer.from(b64, 'base64');
  der[der.length - 5] ^= 0xff; // flip a bit of the signature
  const broken = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE REQUEST-----\n`;
  assert.throws(() => signCsr(ca, broken, 'alpha'), /signature does not verify/);
});

/** Handshake against a server presenting `chain`, trusting `trust`: 'ok' or the error. */
async function handshake(server: { key: string; cert: string }, trust: string[]): Promise<string> {
  const srv = tls.createServer({ key: server.key, cert: server.cert, minVersion: 'TLSv1.3' }, (s) => s.end('x'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  try {
    return await new Promise<string>((resolve) => {
      const c = tls.connect({ port, host: '127.0.0.1', ca: trust, servername: 'localhost' }, () => { c.destroy(); resolve('ok'); });
      c.on('error', (e) => resolve(e.message));
    });
  } finally { srv.close(); }
}

test('after a rotation the new chain (leaf + cross certificate) verifies for peers trusting the old CA or the new one', async () => {
  const next = await createCa('alpha');
  const cross = crossSign(ca, next.cert, Date.now() + 3600_000);
  assert.is(certInfo(cross).commonName, certInfo(next.cert).commonName);
  assert.is(certInfo(cross).issuer, certInfo(ca.cert).commonName);
  const leaf = await issueLeaf(next, { commonName: 'alpha', hosts: ['localhost'], server: true });
  const chain = { key: leaf.key, cert: leaf.cert + cross };
  assert.is(splitPem(chain.cert).length, 2);
  assert.is(await handshake(chain, [ca.cert]), 'ok');
  assert.is(await handshake(chain, [next.cert]), 'ok');
  const stranger = await createCa('mallory');
  assert.is.not(await handshake(chain, [stranger.cert]), 'ok');
  // Without the cross certificate a peer trusting only the old CA cannot verify: it is needed.
  assert.is.not(await handshake({ key: leaf.key, cert: leaf.cert }, [ca.cert]), 'ok');
});

test('an expired certificate is refused by a TLS peer (validity checks use the clock)', async () => {
  const leaf = await issueLeaf(ca, { commonName: 'localhost', hosts: ['localhost'], server: true, lifetimeMs: -1000 });
  assert.match(await handshake(leaf, [ca.cert]), /expired/);
});

test('renewal is due when a third of the lifetime remains (clock skew allowance excluded)', async () => {
  const leaf = await issueLeaf(ca, { commonName: 'x', client: true, lifetimeMs: 9000 });
  const c = certInfo(leaf.cert);
  const issued = c.notBefore.getTime() + SKEW_MS;
  assert.ok(Math.abs(renewAt(leaf.cert) - (issued + 6000)) < 1500, `${renewAt(leaf.cert) - issued}`);
});

test('revoked lineages: listed explicitly, or issued through a grant that is gone', () => {
  const e = (serial: string, lineage: string, grant: string): IssuedCert => ({ serial, lineage, grant, site: 's', siteId: 'i', issuedAt: '', notAfter: '' });
  const issued = [e('1', '1', 'g1'), e('2', '1', 'g1'), e('3', '3', 'g2'), e('4', '4', 'g3')];
  const cases: [string[], string[], string[]][] = [
    // revoked lineages listed, grants that exist, expected revoked
    [[], ['g1', 'g2', 'g3'], []],
    [['3'], ['g1', 'g2', 'g3'], ['3']],
    [[], ['g2', 'g3'], ['1']],
    [['4'], ['g3'], ['1', '3', '4']],
  ];
  for (const [listed, grants, want] of cases) {
    const got = revokedLineages(issued, listed.map((l) => ({ lineage: l, site: 's', grant: '', serials: [], reason: '', at: '' })), new Set(grants));
    assert.equal([...got].sort(), want, JSON.stringify({ listed, grants }));
  }
});

test('policy: link access, allowed peers, exposed keys', () => {
  assert.is(peerRefusal(DEFAULT_POLICY, 'anyone'), null);
  assert.match(peerRefusal({ ...DEFAULT_POLICY, linkAccess: false }, 'beta') ?? '', /link access is off/);
  assert.is(peerRefusal({ ...DEFAULT_POLICY, allowedPeers: ['beta'] }, 'beta'), null);
  assert.match(peerRefusal({ ...DEFAULT_POLICY, allowedPeers: ['beta'] }, 'gamma') ?? '', /"gamma" is not in this site's allowed peers \(beta\)/);
  assert.ok(keyExposed(DEFAULT_POLICY, 'db'));
  assert.ok(keyExposed({ ...DEFAULT_POLICY, exposedKeys: ['db'] }, 'db'));
  assert.not.ok(keyExposed({ ...DEFAULT_POLICY, exposedKeys: ['db'] }, 'admin'));
});

test.run();
