// Self-certifying site identity: each site holds an Ed25519 key and its id is derived from the
// public key, so nobody can sign a routing record or a HELLO proof for a site id without its key.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A router replica's node id: `<site id>/<router name>` (it signs with its site's key). */
const NODE_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?$/;

/** The site id of a raw public key: the first 16 bytes of its SHA-256, shaped as a UUID. */
export function siteIdOf(rawPub: Buffer): string {
  const h = createHash('sha256').update(rawPub).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Whether `id` has the shape of a site id. */
export function isSiteId(id: string): boolean { return UUID.test(id); }

/** The site id a node id belongs to (itself for a site, the prefix for `site/router`), or null when malformed. */
export function baseSiteId(nodeId: string): string | null {
  const m = NODE_ID.exec(nodeId);
  return m ? m[1] : null;
}

/** Verifies an Ed25519 signature by the base64 raw public key `pubB64`; false on anything malformed. */
export function verifySignature(pubB64: string, data: Buffer, sigB64: string): boolean {
  try {
    const raw = Buffer.from(pubB64, 'base64');
    const sig = Buffer.from(sigB64, 'base64');
    if (raw.length !== 32 || sig.length !== 64) return false;
    return verify(null, data, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }), sig);
  } catch {
    return false;
  }
}

/** Whether `pubB64` is the key of node `nodeId` (its base site id is the hash of the key). */
export function keyOwnsId(pubB64: string, nodeId: string): boolean {
  const base = baseSiteId(nodeId);
  const raw = Buffer.from(pubB64, 'base64');
  return base !== null && raw.length === 32 && siteIdOf(raw) === base;
}

/** A site's identity key pair, loaded once. */
export class SiteIdentity {
  readonly id: string;
  /** base64 of the raw 32-byte public key */
  readonly pub: string;

  private constructor(private readonly key: KeyObject) {
    const raw = createPublicKey(key).export({ type: 'spki', format: 'der' }).subarray(SPKI_PREFIX.length);
    this.pub = raw.toString('base64');
    this.id = siteIdOf(raw);
  }

  /** A fresh identity (site create, tests). */
  static generate(): SiteIdentity { return new SiteIdentity(generateKeyPairSync('ed25519').privateKey); }

  /** Loads a PEM private key; throws when it is not an Ed25519 key. */
  static fromPem(pem: string): SiteIdentity {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the site identity key is ${key.asymmetricKeyType}, not ed25519`);
    return new SiteIdentity(key);
  }

  /** The private key as PKCS#8 PEM, for the state directory (mode 0600). */
  toPem(): string { return this.key.export({ type: 'pkcs8', format: 'pem' }).toString(); }

  /** Base64 Ed25519 signature over `data`. */
  sign(data: Buffer): string { return sign(null, data, this.key).toString('base64'); }
}

/** What a peer certificate says about the site it was issued to: the id in its URI SAN, if any. */
export function certSiteId(subjectAltName: string | undefined): string | undefined {
  const m = /(?:^|,\s*)URI:urn:svcnet:site:([0-9a-f-]{36})(?:,|$)/.exec(subjectAltName ?? '');
  return m ? m[1] : undefined;
}

/** The URI SAN value naming a site id in its certificates. */
export function siteUri(siteId: string): string { return `urn:svcnet:site:${siteId}`; }

/** Whether two node ids belong to one site (a router replica `<site id>/<name>` is its site). */
export function sameSite(a: string, b: string): boolean {
  return (baseSiteId(a) ?? a) === (baseSiteId(b) ?? b);
}
