// The site's private CA and the certificates it signs, built with node-forge (RSA only; key
// generation goes through Node's native crypto, so it is fast and off the hot path).
import forge from 'node-forge';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

const { pki } = forge;

export interface KeyPairPem { key: string; cert: string }

export const CA_LIFETIME_DAYS = 3650;
export const LEAF_LIFETIME_DAYS = 60;
const KEY_BITS = 2048;

/** Generates an RSA key pair with Node's native crypto (node-forge delegates when it can). */
export function generateKeyPair(): Promise<forge.pki.rsa.KeyPair> {
  return new Promise((resolve, reject) => {
    pki.rsa.generateKeyPair({ bits: KEY_BITS, workers: -1 }, (err, kp) => (err ? reject(err) : resolve(kp)));
  });
}

function serial(): string {
  // Positive 128-bit serial: clear the top bit so DER does not read it as negative.
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, lifetimeMs: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000); // tolerate small clock skew between sites
  cert.validity.notAfter = new Date(now + lifetimeMs);
}

/** Creates a self-signed CA for a site. */
export async function createCa(siteName: string, lifetimeMs = CA_LIFETIME_DAYS * 86400_000): Promise<KeyPairPem> {
  const kp = await generateKeyPair();
  const cert = pki.createCertificate();
  cert.publicKey = kp.publicKey;
  cert.serialNumber = serial();
  validity(cert, lifetimeMs);
  const attrs = [{ name: 'commonName', value: `svcnet CA ${siteName}` }, { name: 'organizationName', value: 'svcnet' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(kp.privateKey, forge.md.sha256.create());
  return { key: pki.privateKeyToPem(kp.privateKey), cert: pki.certificateToPem(cert) };
}

export interface LeafOptions {
  commonName: string;
  /** DNS names and IP addresses for a server certificate */
  hosts?: string[];
  server?: boolean;
  client?: boolean;
  lifetimeMs?: number;
}

function altNames(hosts: string[]): { type: number; value?: string; ip?: string }[] {
  return hosts.map((h) => (net.isIP(h) ? { type: 7, ip: h } : { type: 2, value: h }));
}

function signLeaf(ca: KeyPairPem, publicKey: forge.pki.PublicKey, o: LeafOptions): { cert: string; serial: string } {
  const caCert = pki.certificateFromPem(ca.cert);
  const caKey = pki.privateKeyFromPem(ca.key);
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  validity(cert, o.lifetimeMs ?? LEAF_LIFETIME_DAYS * 86400_000);
  cert.setSubject([{ name: 'commonName', value: o.commonName }, { name: 'organizationName', value: 'svcnet' }]);
  cert.setIssuer(caCert.subject.attributes);
  const ext: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: !!o.server, clientAuth: !!o.client },
  ];
  if (o.hosts?.length) ext.push({ name: 'subjectAltName', altNames: altNames(o.hosts) });
  cert.setExtensions(ext);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: pki.certificateToPem(cert), serial: cert.serialNumber };
}

/** Issues a key and certificate signed by `ca` (for this site's own server certificate). */
export async function issueLeaf(ca: KeyPairPem, o: LeafOptions): Promise<KeyPairPem & { serial: string }> {
  const kp = await generateKeyPair();
  const { cert, serial: sn } = signLeaf(ca, kp.publicKey, o);
  return { key: pki.privateKeyToPem(kp.privateKey), cert, serial: sn };
}

/** Makes a key and a CSR on the joining site; the key never leaves it. */
export async function createCsr(commonName: string): Promise<{ key: string; csr: string }> {
  const kp = await generateKeyPair();
  const csr = pki.createCertificationRequest();
  csr.publicKey = kp.publicKey;
  csr.setSubject([{ name: 'commonName', value: commonName }]);
  csr.sign(kp.privateKey, forge.md.sha256.create());
  return { key: pki.privateKeyToPem(kp.privateKey), csr: pki.certificationRequestToPem(csr) };
}

/** Signs a CSR as a link client certificate with the subject we choose, not the one asked for. */
export function signCsr(ca: KeyPairPem, csrPem: string, commonName: string, lifetimeMs?: number): { cert: string; serial: string } {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = pki.certificationRequestFromPem(csrPem);
  } catch (err) {
    throw new Error(`the certificate request is not a valid PEM CSR (${(err as Error).message})`);
  }
  if (!csr.verify()) throw new Error('the certificate request signature does not verify');
  const pub = csr.publicKey as forge.pki.rsa.PublicKey | null;
  if (!pub || !pub.n || pub.n.bitLength() < 2048) throw new Error('the certificate request must carry an RSA key of at least 2048 bits');
  return signLeaf(ca, pub, { commonName, client: true, lifetimeMs });
}

/** Subject common name of a PEM certificate. */
export function commonNameOf(certPem: string): string {
  const c = pki.certificateFromPem(certPem);
  return String(c.subject.getField('CN')?.value ?? '');
}
