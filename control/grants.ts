// Access grants: issuing one-time codes and redeeming them for link certificates. Codes are
// random 128-bit values; only their sha256 is stored, and comparison is constant-time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SiteStore } from './state/site-store.js';
import { validateAccessGrant, type AccessGrant } from './resources/access-grant.js';
import { API_VERSION } from './resources/common.js';
import { signCsr } from './pki/ca.js';

export const DEFAULT_GRANT_EXPIRY_MS = 15 * 60_000;

export class GrantError extends Error {
  constructor(readonly code: 'SVCNET_ERR_TOKEN_INVALID' | 'SVCNET_ERR_TOKEN_EXPIRED' | 'SVCNET_ERR_TOKEN_USED' | 'SVCNET_ERR_CSR_INVALID', message: string) {
    super(message);
  }
}

function hashCode(code: string): Buffer {
  return createHash('sha256').update(code, 'utf8').digest();
}

/** Creates a grant and returns its one-time code (shown once, never stored). */
export function issueGrant(store: SiteStore, o: { expiryMs?: number; redemptions?: number; name?: string } = {}): { grant: AccessGrant; code: string } {
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
  store.put('AccessGrant', name, grant);
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

/** Checks the code and signs the CSR; records the issued serial on the grant. */
export function redeemGrant(store: SiteStore, req: { code: string; csr: string; siteName: string }, now = Date.now()): { cert: string; serial: string; grant: string } {
  const grant = findGrant(store, req.code);
  if (!grant) throw new GrantError('SVCNET_ERR_TOKEN_INVALID', 'the token code is not valid for this site');
  if (Date.parse(grant.spec.expiresAt) <= now) throw new GrantError('SVCNET_ERR_TOKEN_EXPIRED', `the token expired at ${grant.spec.expiresAt}; issue a new one`);
  if (grant.status.redeemed >= grant.spec.redemptionsAllowed) throw new GrantError('SVCNET_ERR_TOKEN_USED', 'the token was already redeemed; issue a new one');
  const self = store.readConfig();
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(req.siteName) || req.siteName === self.name) {
    throw new GrantError('SVCNET_ERR_CSR_INVALID', `site name "${req.siteName}" is not allowed`);
  }
  let signed: { cert: string; serial: string };
  try {
    signed = signCsr(store.readCa(), req.csr, req.siteName);
  } catch (err) {
    throw new GrantError('SVCNET_ERR_CSR_INVALID', (err as Error).message);
  }
  grant.status.redeemed++;
  grant.status.issued.push({ serial: signed.serial, site: req.siteName, at: new Date(now).toISOString() });
  store.put('AccessGrant', grant.metadata.name, grant);
  return { ...signed, grant: grant.metadata.name };
}

/** Counts wrong codes per caller address; more than `limit` per window is refused. */
export class FailureLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly limit = 10, private readonly windowMs = 60_000) {}

  blocked(addr: string, now = Date.now()): boolean {
    const h = (this.hits.get(addr) ?? []).filter((t) => now - t < this.windowMs);
    this.hits.set(addr, h);
    return h.length >= this.limit;
  }

  fail(addr: string, now = Date.now()): void {
    const h = this.hits.get(addr) ?? [];
    h.push(now);
    this.hits.set(addr, h);
  }
}
