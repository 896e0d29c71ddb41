// Throwaway certificates for application TLS tests (issue 15): a CA and leaves it signs, with any
// validity window (an expired one included). Keys are RSA made by Node (fast), certificates by forge.
import crypto from 'node:crypto';
import forge from 'node-forge';

export interface Pair { key: string; cert: string }

let serial = 1;

/** A certificate for `cn` signed by `issuer` (self-signed when absent), valid from `from` to `to`. */
export function makeCert(cn: string, o: { issuer?: Pair; ca?: boolean; from?: Date; to?: Date; san?: string[] } = {}): Pair {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = (serial++).toString(16).padStart(2, '0');
  cert.validity.notBefore = o.from ?? new Date(Date.now() - 60_000);
  cert.validity.notAfter = o.to ?? new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: cn }]);
  const issuerCert = o.issuer ? forge.pki.certificateFromPem(o.issuer.cert) : cert;
  cert.setIssuer(issuerCert.subject.attributes);
  const ext: object[] = [{ name: 'basicConstraints', cA: !!o.ca }];
  if (o.san) ext.push({ name: 'subjectAltName', altNames: o.san.map((n) => (/^[\d.]+$/.test(n) ? { type: 7, ip: n } : { type: 2, value: n })) });
  cert.setExtensions(ext);
  const signer = o.issuer ? forge.pki.privateKeyFromPem(o.issuer.key) : key;
  cert.sign(signer as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) };
}
