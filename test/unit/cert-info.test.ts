// issue 11 (footprint): certificates are read with Node's native X509Certificate, and node-forge is
// loaded only when something is signed, so a running site's control process never holds it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import forge from 'node-forge';
import { createCa, issueLeaf, createCsr, signCsr, certInfo, normalizeSerial } from '../../control/pki/ca.js';

/** The same fields as forge reads them: the reference the native reader must agree with. */
function forgeInfo(pem: string) {
  const c = forge.pki.certificateFromPem(pem);
  return {
    serial: normalizeSerial(c.serialNumber),
    commonName: String(c.subject.getField('CN')?.value ?? ''),
    issuer: String(c.issuer.getField('CN')?.value ?? ''),
    notBefore: c.validity.notBefore,
    notAfter: c.validity.notAfter,
  };
}

test('issue 11: certInfo reads CA, server, link and admin certificates as forge does', async () => {
  const ca = await createCa('alpha-with-a-long-name-0123456789');
  const server = await issueLeaf(ca, { commonName: 'alpha', hosts: ['example.test', '10.1.2.3'], server: true, lifetimeMs: 5000 });
  const { csr } = await createCsr('beta');
  const link = signCsr(ca, csr, 'beta', 60_000, '0123456789abcdef0123456789abcdef');
  const admin = signCsr(ca, (await createCsr('admin:ops')).csr, 'admin:ops');
  for (const pem of [ca.cert, server.cert, link.cert, admin.cert, server.cert + ca.cert]) {
    assert.equal(certInfo(pem), forgeInfo(pem));
  }
  assert.is(certInfo(admin.cert).commonName, 'admin:ops');
  assert.is(certInfo(link.cert).serial, link.serial);
});

test('issue 11: importing the site runtime loads no node-forge', () => {
  const runtime = fileURLToPath(new URL('../../control/site-runtime.js', import.meta.url));
  const script = `import { createRequire } from 'node:module';
await import(${JSON.stringify(runtime)});
const cache = createRequire(import.meta.url).cache;
console.log(Object.keys(cache).filter((k) => k.includes('node-forge')).length);`;
  const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim();
  assert.is(loaded, '0');
});

test.run();
