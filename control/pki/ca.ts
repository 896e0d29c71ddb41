// The site's private CA and the certificates it signs, built with node-forge (RSA only; key
// generation goes through Node's native crypto, so it is fast and off the hot path). Reading a
// certificate uses Node's native X509Certificate; node-forge (about 10 MiB resident) is loaded on
// the first signature, so a running site that signs nothing never holds it.
import type forgeModule from 'node-forge';
import { randomBytes, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import net from 'node:net';
import { siteUri } from '../../common/identity.js';
import { normalizeSerial } from '../../common/serial.js';

export { normalizeSerial };

type Forge = typeof forgeModule;
let loaded: Forge | undefined;
/** node-forge, loaded on first use (it is CommonJS, so a synchronous require keeps the API synchronous). */
function forgeLib(): Forge {
  loaded ??= createRequire(import.meta.url)('node-forge') as Forge;
  return loaded;
}

export interface KeyPairPem { key: string; cert: string }

export const CA_LIFETIME_DAYS = 3650;
export const LEAF_LIFETIME_DAYS = 60;
/** notBefore is set this far in the past to tolerate clock skew between sites. */
export const SKEW_MS = 60_000;
const KEY_BITS = 2048;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses 500ms, 30s, 15m, 2h, 7d into milliseconds; undefined when it does not look like one. */
export function parseLifetime(v: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(v.trim());
  return m ? Number(m[1]) * UNITS[m[2]] : undefined;
}

/** Lifetime of link and server certificates: $SVCNET_LEAF_LIFETIME (tests shorten it to seconds) or 60 days. */
export function leafLifetimeMs(): number {
  const env = process.env.SVCNET_LEAF_LIFETIME;
  if (!env) return LEAF_LIFETIME_DAYS * 86400_000;
  const v = parseLifetime(env);
  if (v === undefined || v < 1000) throw new Error(`SVCNET_LEAF_LIFETIME="${env}" must be a duration of at least 1s, like 30s, 15m or 7d`);
  return v;
}

/** Generates an RSA key pair with Node's native crypto (node-forge delegates when it can). */
export function generateKeyPair(): Promise<forgeModule.pki.rsa.KeyPair> {
  const { pki } = forgeLib();
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

/** A serial as Node and forge both can print it: lowercase hex, no separators, no leading zeros. */

function validity(cert: forgeModule.pki.Certificate, lifetimeMs: number, now = Date.now()): void {
  cert.validity.notBefore = new Date(now - SKEW_MS);
  cert.validity.notAfter = new Date(now + lifetimeMs);
}

const caExtensions = () => [
  { name: 'basicConstraints', cA: true, critical: true },
  { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  { name: 'subjectKeyIdentifier' },
];

/** Creates a self-signed CA for a site. Each CA gets a distinct subject so old and new can be told apart during a rotation. */
export async function createCa(siteName: string, lifetimeMs = CA_LIFETIME_DAYS * 86400_000): Promise<KeyPairPem> {
  const { pki, md } = forgeLib();
  const kp = await generateKeyPair();
  const cert = pki.createCertificate();
  cert.publicKey = kp.publicKey;
  cert.serialNumber = serial();
  validity(cert, lifetimeMs);
  const attrs = [{ name: 'commonName', value: `svcnet CA ${siteName} ${cert.serialNumber.slice(0, 8)}` }, { name: 'organizationName', value: 'svcnet' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions(caExtensions());
  cert.sign(kp.privateKey, md.sha256.create());
  return { key: pki.privateKeyToPem(kp.privateKey), cert: pki.certificateToPem(cert) };
}

/**
 * Certifies `newCaPem`'s key and subject with the old CA, so a peer that still trusts only the old
 * CA can verify a chain [leaf from the new CA, this cross certificate] (CA rotation without drops).
 */
export function crossSign(oldCa: KeyPairPem, newCaPem: string, untilMs: number): string {
  const { pki, md } = forgeLib();
  const oldCert = pki.certificateFromPem(oldCa.cert);
  const next = pki.certificateFromPem(newCaPem);
  const cert = pki.createCertificate();
  cert.publicKey = next.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = next.validity.notBefore;
  cert.validity.notAfter = new Date(Math.min(untilMs, oldCert.validity.notAfter.getTime()));
  cert.setSubject(next.subject.attributes);
  cert.setIssuer(oldCert.subject.attributes);
  cert.setExtensions(caExtensions());
  cert.sign(pki.privateKeyFromPem(oldCa.key), md.sha256.create());
  return pki.certificateToPem(cert);
}

export interface LeafOptions {
  commonName: string;
  /** DNS names and IP addresses for a server certificate */
  hosts?: string[];
  server?: boolean;
  client?: boolean;
  /** default: leafLifetimeMs(); negative values make an already expired certificate (tests) */
  lifetimeMs?: number;
  /** the site the certificate is for: a URI SAN urn:svcnet:site:<id>, checked against the peer's HELLO */
  siteId?: string;
}

function altNames(hosts: string[], siteId?: string): { type: number; value?: string; ip?: string }[] {
  const names = hosts.map((h) => (net.isIP(h) ? { type: 7, ip: h } : { type: 2, value: h }));
  return siteId ? [...names, { type: 6, value: siteUri(siteId) }] : names;
}

function signLeaf(ca: KeyPairPem, publicKey: forgeModule.pki.PublicKey, o: LeafOptions): { cert: string; serial: string; notAfter: string } {
  const { pki, md } = forgeLib();
  const caCert = pki.certificateFromPem(ca.cert);
  const caKey = pki.privateKeyFromPem(ca.key);
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  validity(cert, o.lifetimeMs ?? leafLifetimeMs());
  cert.setSubject([{ name: 'commonName', value: o.commonName }, { name: 'organizationName', value: 'svcnet' }]);
  cert.setIssuer(caCert.subject.attributes);
  const ext: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: !!o.server, clientAuth: !!o.client },
  ];
  if (o.hosts?.length || o.siteId) ext.push({ name: 'subjectAltName', altNames: altNames(o.hosts ?? [], o.siteId) });
  cert.setExtensions(ext);
  cert.sign(caKey, md.sha256.create());
  return { cert: pki.certificateToPem(cert), serial: normalizeSerial(cert.serialNumber), notAfter: cert.validity.notAfter.toISOString() };
}

/** Issues a key and certificate signed by `ca` (for this site's own server certificate). */
export async function issueLeaf(ca: KeyPairPem, o: LeafOptions): Promise<KeyPairPem & { serial: string; notAfter: string }> {
  const { pki } = forgeLib();
  const kp = await generateKeyPair();
  const signed = signLeaf(ca, kp.publicKey, o);
  return { key: pki.privateKeyToPem(kp.privateKey), ...signed };
}

/** Makes a key and a CSR on the joining site; the key never leaves it. */
export async function createCsr(commonName: string): Promise<{ key: string; csr: string }> {
  const { pki, md } = forgeLib();
  const kp = await generateKeyPair();
  const csr = pki.createCertificationRequest();
  csr.publicKey = kp.publicKey;
  csr.setSubject([{ name: 'commonName', value: commonName }]);
  csr.sign(kp.privateKey, md.sha256.create());
  return { key: pki.privateKeyToPem(kp.privateKey), csr: pki.certificationRequestToPem(csr) };
}

/** Why a CSR is unacceptable, as a sentence for the log and the caller. */
export class CsrError extends Error {}

/**
 * Signs a CSR as a link client certificate. The subject is the one we choose (`commonName`); a
 * CSR whose own subject names another site is refused as an impersonation attempt, and only RSA
 * keys of 2048 bits or more are accepted. Requested extensions are ignored.
 */
export function signCsr(ca: KeyPairPem, csrPem: string, commonName: string, lifetimeMs?: number, siteId?: string): { cert: string; serial: string; notAfter: string } {
  const { pki } = forgeLib();
  let csr: forgeModule.pki.CertificateSigningRequest;
  try {
    csr = pki.certificationRequestFromPem(csrPem);
  } catch (err) {
    const msg = (err as Error).message;
    if (/not RSA/i.test(msg)) throw new CsrError('the certificate request carries a non-RSA key; svcnet link certificates use RSA keys of 2048 bits or more');
    throw new CsrError(`the certificate request is not a valid PEM CSR (${msg})`);
  }
  let verified = false;
  try { verified = csr.verify(); } catch { /* forge throws on a malformed signature block */ }
  if (!verified) throw new CsrError('the certificate request signature does not verify');
  const pub = csr.publicKey as forgeModule.pki.rsa.PublicKey | null;
  if (!pub || !pub.n || pub.n.bitLength() < 2048) throw new CsrError(`the certificate request must carry an RSA key of at least 2048 bits (it has ${pub?.n?.bitLength() ?? 0})`);
  const asked = String(csr.subject.getField('CN')?.value ?? '');
  if (asked !== commonName) throw new CsrError(`the certificate request names site "${asked}" but the caller is site "${commonName}"; refusing to issue a certificate for another site`);
  return signLeaf(ca, pub, { commonName, client: true, lifetimeMs, siteId });
}

/** What the PKI needs to know about a certificate. */
export interface CertInfo { serial: string; commonName: string; issuer: string; notBefore: Date; notAfter: Date }

/** The CN of an X509Certificate subject or issuer ("CN=x\nO=svcnet"). */
function cnOf(name: string): string {
  return name.split('\n').find((l) => l.startsWith('CN='))?.slice(3) ?? '';
}

/** Parses a PEM certificate (the first one of a bundle), natively. */
export function certInfo(certPem: string): CertInfo {
  const c = new X509Certificate(certPem);
  return {
    serial: normalizeSerial(c.serialNumber),
    commonName: cnOf(c.subject),
    issuer: cnOf(c.issuer),
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
  };
}

/** Subject common name of a PEM certificate. */
export function commonNameOf(certPem: string): string {
  return certInfo(certPem).commonName;
}

/** The PEM certificates in a bundle, in order. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)?.map((p) => p.trimEnd() + '\n') ?? [];
}
