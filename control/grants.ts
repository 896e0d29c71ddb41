// Access grants: issuing one-time codes, redeeming them for link certificates, and renewing those
// certificates. Codes are random 128-bit values; only their sha256 is stored, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SiteStore } from './state/site-store.js';
import { validateAccessGrant, type AccessGrant } from './resources/access-grant.js';
import { API_VERSION, nameSchema } from './resources/common.js';
import { signCsr, CsrError, normalizeSerial } from './pki/ca.js';
import { loadIssued, loadRevocations, recordIssued, revokedLineages, findIssued, type IssuedCert } from './pki/registry.js';
import { loadPolicy, peerRefusal } from './pki/policy.js';
import { isSiteId, keyOwnsId, verifySignature } from '../common/identity.js';

export const DEFAULT_GRANT_EXPIRY_MS = 15 * 60_000;

export type GrantErrorCode =
  | 'SVCNET_ERR_TOKEN_INVALID' | 'SVCNET_ERR_TOKEN_EXPIRED' | 'SVCNET_ERR_TOKEN_USED'
  | 'SVCNET_ERR_CSR_INVALID' | 'SVCNET_ERR_IMPERSONATION' | 'SVCNET_ERR_POLICY_DENIED'
  | 'SVCNET_ERR_CERT_UNKNOWN' | 'SVCNET_ERR_CERT_REVOKED' | 'SVCNET_ERR_CERT_EXPIRED';

/** An expected refusal of a redemption or renewal; the message is for the caller and the log. */
export class GrantError extends Error {
  constructor(readonly code: GrantErrorCode, message: string) {
    super(message);
  }
}

function hashCode(code: string): Buffer {
  return createHash('sha256').update(code, 'utf8').digest();
}

/** Creates a grant and returns its one-time code (shown once, never stored). */
export async function issueGrant(store: SiteStore, o: { expiryMs?: number; redemptions?: number; name?: string } = {}): Promise<{ grant: AccessGrant; code: string }> {
  const code = randomBytes(16).toString('base64url');
  const name = o.name ?? `grant-${randomBytes(4).toString('hex')}`;
  const grant = validateAccessGrant({
    apiVersion: API_VERSION,
    kind: 'AccessGrant',
    metadata: { name },
    spec: {
      redemptionsAllowed: o.redemptions ?? 1,
      expiresAt: new Date(Date.now() + (o.expiryMs ?? DEFAULT_GRANT_EXPIRY_MS)).toISOString(),
      codeHash: hashCode(code).toString('hex'),
    },
    status: { redeemed: 0, issued: [] },
  });
  await store.put('AccessGrant', name, grant);
  return { grant, code };
}

/** Finds the grant for `code` by constant-time comparison of hashes over every grant. */
function findGrant(store: SiteStore, code: string): AccessGrant | undefined {
  const h = hashCode(code);
  let found: AccessGrant | undefined;
  for (const raw of store.list('AccessGrant')) {
    const g = validateAccessGrant(raw);
    if (timingSafeEqual(h, Buffer.from(g.spec.codeHash, 'hex'))) found = g;
  }
  return found;
}

/** Names of the grants that exist now (a certificate whose grant is gone is revoked). */
export function grantNames(store: SiteStore): Set<string> {
  return new Set(store.list('AccessGrant').map((g) => (g as { metadata: { name: string } }).metadata.name));
}

/** Lineages revoked right now: explicitly, or because their grant was deleted. */
export function currentRevocations(store: SiteStore, issued: readonly IssuedCert[] = loadIssued(store)): Set<string> {
  return revokedLineages(issued, loadRevocations(store), grantNames(store));
}

function sign(store: SiteStore, csr: string, site: string, siteId: string): { cert: string; serial: string; notAfter: string } {
  try {
    return signCsr(store.readCa(), csr, site, undefined, siteId);
  } catch (err) {
    if (err instanceof CsrError) throw new GrantError('SVCNET_ERR_CSR_INVALID', err.message);
    throw err;
  }
}

export interface RedeemRequest {
  code: string;
  csr: string;
  siteName: string;
  siteId: string;
  /** base64 raw Ed25519 identity key of the joining site: siteId must be its hash */
  identityKey: string;
  /** base64 signature by identityKey over redeemProofBytes(code, csr, siteName, siteId) */
  proof: string;
}

/** What the joining site signs with its identity key: proof that it holds the key behind its id. */
export function redeemProofBytes(code: string, csr: string, siteName: string, siteId: string): Buffer {
  return Buffer.from(`svcnet-redeem-v1\n${JSON.stringify([code, csr, siteName, siteId])}`);
}

/** Checks the code, the policy and the joiner's identity, signs the CSR; records the certificate. Call inside store.exclusive. */
export async function redeemGrant(store: SiteStore, req: RedeemRequest, now = Date.now()): Promise<{ cert: string; serial: string; grant: string }> {
  const grant = findGrant(store, req.code);
  if (!grant) throw new GrantError('SVCNET_ERR_TOKEN_INVALID', 'the token code is not valid for this site');
  if (Date.parse(grant.spec.expiresAt) <= now) throw new GrantError('SVCNET_ERR_TOKEN_EXPIRED', `the token expired at ${grant.spec.expiresAt}; issue a new one`);
  if (grant.status.redeemed >= grant.spec.redemptionsAllowed) throw new GrantError('SVCNET_ERR_TOKEN_USED', 'the token was already redeemed; issue a new one');
  const self = store.readConfig();
  if (!nameSchema.safeParse(req.siteName).success) throw new GrantError('SVCNET_ERR_CSR_INVALID', `site name "${req.siteName}" is not a valid site name`);
  if (req.siteName === self.name || req.siteId === self.id) throw new GrantError('SVCNET_ERR_IMPERSONATION', `the joining site claims to be "${req.siteName}", which is this site itself`);
  // A site id is public; only the holder of the identity key behind it may redeem under it.
  if (typeof req.siteId !== 'string' || !isSiteId(req.siteId) || typeof req.identityKey !== 'string' || !keyOwnsId(req.identityKey, req.siteId)) {
    throw new GrantError('SVCNET_ERR_IMPERSONATION', `the joining site's id ${String(req.siteId).slice(0, 40)} is not the hash of the identity key it presented (an earlier svcnet, or another site's id)`);
  }
  if (typeof req.proof !== 'string' || !verifySignature(req.identityKey, redeemProofBytes(req.code, req.csr, req.siteName, req.siteId), req.proof)) {
    throw new GrantError('SVCNET_ERR_IMPERSONATION', `the joining site did not prove it holds the identity key of site id ${req.siteId}`);
  }
  const refusal = peerRefusal(loadPolicy(store), req.siteName);
  if (refusal) throw new GrantError('SVCNET_ERR_POLICY_DENIED', refusal);
  // A name already held by a live, unrevoked certificate of another site id is an impersonation
  // attempt; the same site re-joining (same id) is fine.
  const issued = loadIssued(store);
  const revoked = currentRevocations(store, issued);
  const holder = issued.find((e) => e.site === req.siteName && e.siteId !== req.siteId && !revoked.has(e.lineage) && Date.parse(e.notAfter) > now);
  if (holder) throw new GrantError('SVCNET_ERR_IMPERSONATION', `site name "${req.siteName}" is already linked here by another site (id ${holder.siteId}, grant ${holder.grant}); delete that inbound link first`);
  const signed = sign(store, req.csr, req.siteName, req.siteId);
  grant.status.redeemed++;
  grant.status.issued.push({ serial: signed.serial, site: req.siteName, at: new Date(now).toISOString() });
  await store.put('AccessGrant', grant.metadata.name, grant);
  await recordIssued(store, { serial: signed.serial, site: req.siteName, siteId: req.siteId, grant: grant.metadata.name, lineage: signed.serial, issuedAt: new Date(now).toISOString(), notAfter: signed.notAfter }, now);
  return { cert: signed.cert, serial: signed.serial, grant: grant.metadata.name };
}

/** The caller's current link certificate, as verified by TLS. */
export interface PresentedCert { serial: string; commonName: string; notAfter: Date }

/**
 * Renews a link certificate: the caller proved it holds `current` (mutual TLS against our CA);
 * it must be one we issued, unexpired and unrevoked, and its site still allowed by policy. The
 * new certificate keeps the site name, grant and lineage, so revoking the grant still reaches it.
 * Call inside store.exclusive.
 */
export async function renewCertificate(store: SiteStore, current: PresentedCert, csr: string, now = Date.now()): Promise<{ cert: string; serial: string; entry: IssuedCert }> {
  const serial = normalizeSerial(current.serial);
  const issued = loadIssued(store);
  const entry = findIssued(issued, serial);
  if (!entry) throw new GrantError('SVCNET_ERR_CERT_UNKNOWN', `certificate ${serial} was not issued through a grant of this site`);
  if (current.notAfter.getTime() <= now) throw new GrantError('SVCNET_ERR_CERT_EXPIRED', `certificate ${serial} expired at ${current.notAfter.toISOString()}; redeem a new token`);
  if (currentRevocations(store, issued).has(entry.lineage)) throw new GrantError('SVCNET_ERR_CERT_REVOKED', `certificate ${serial} of site ${entry.site} is revoked (grant ${entry.grant}); redeem a new token`);
  const refusal = peerRefusal(loadPolicy(store), entry.site);
  if (refusal) throw new GrantError('SVCNET_ERR_POLICY_DENIED', refusal);
  const signed = sign(store, csr, entry.site, entry.siteId);
  const next: IssuedCert = { ...entry, serial: signed.serial, issuedAt: new Date(now).toISOString(), notAfter: signed.notAfter };
  await recordIssued(store, next, now);
  return { cert: signed.cert, serial: signed.serial, entry: next };
}

/**
 * Counts wrong codes per caller address; `limit` or more in a window and the address is limited
 * (grant-server.ts then lets only codes of live grants through, see CodeIndex). Memory is bounded:
 * at most `limit` times per address and `maxAddresses` addresses (the stalest are forgotten first).
 */
export class FailureLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly limit = 10, private readonly windowMs = 60_000, private readonly maxAddresses = 10_000) {}

  blocked(addr: string, now = Date.now()): boolean {
    const h = (this.hits.get(addr) ?? []).filter((t) => now - t < this.windowMs);
    if (h.length === 0) this.hits.delete(addr); else this.hits.set(addr, h);
    return h.length >= this.limit;
  }

  fail(addr: string, now = Date.now()): void {
    const h = this.hits.get(addr) ?? [];
    h.push(now);
    if (h.length > this.limit) h.shift();
    this.hits.delete(addr); // re-inserted last: Map order is then oldest activity first
    this.hits.set(addr, h);
    if (this.hits.size > this.maxAddresses) {
      for (const [a, times] of this.hits) if (now - times[times.length - 1] >= this.windowMs) this.hits.delete(a);
      for (const a of this.hits.keys()) { if (this.hits.size <= this.maxAddresses) break; this.hits.delete(a); }
    }
  }

  /** Addresses remembered now. */
  get size(): number { return this.hits.size; }
}

/**
 * The code hashes of the grants that exist, re-read at most every `maxAgeMs`. A limited address
 * may still redeem a valid code; its wrong guesses then cost one hash and a set lookup instead of
 * a store read under the state lock. (A Set lookup is not constant-time, but it can leak only
 * bits of a SHA-256 output, from which no code can be recovered.)
 */
export class CodeIndex {
  private hashes = new Set<string>();
  private at = -Infinity;
  constructor(private readonly store: SiteStore, private readonly maxAgeMs = 1000) {}

  /** Whether `code` belongs to a grant that existed at the last read (expiry and use are checked by redeemGrant). */
  knows(code: string, now = Date.now()): boolean {
    if (now - this.at >= this.maxAgeMs) {
      try {
        this.hashes = new Set(this.store.list('AccessGrant').map((g) => String((g as { spec?: { codeHash?: string } }).spec?.codeHash)));
        this.at = now;
      } catch { /* unreadable now (out of fds): keep the last set */ }
    }
    return this.hashes.has(hashCode(code).toString('hex'));
  }
}
