// The CLI side of joining: writing a token file for a grant, and redeeming one (key and CSR made
// here, the code and CSR sent to the issuing site's grant endpoint, the certificate stored as a Link).
import fs from 'node:fs';
import YAML from 'yaml';
import { issueGrant } from './grants.js';
import { createCsr, certInfo } from './pki/ca.js';
import { loadIdentity } from './pki/site-identity.js';
import { redeemProofBytes } from './grants.js';
import { callGrantService } from './pki/grant-client.js';
import { API_VERSION, ValidationError } from './resources/common.js';
import { validateAccessToken, type AccessToken } from './resources/access-token.js';
import { grantRequestProblem } from './resources/access-grant.js';
import { validateLink } from './resources/link.js';
import type { SiteStore } from './state/site-store.js';
import { writeFileAtomic } from './state/atomic.js';

/** Creates a grant on `store`'s site and writes the token file (mode 0600: it holds a secret). */
export async function issueToken(store: SiteStore, file: string, o: { expiryMs?: number; redemptions?: number }): Promise<AccessToken> {
  const cfg = store.readConfig();
  if (!cfg.linkAccess.enabled) throw new Error(`site ${cfg.name} has no link access; create it with --link-access to let other sites link to it`);
  const bad = grantRequestProblem(o);
  if (bad) throw new ValidationError(bad.field, bad.reason);
  const { grant, code } = await issueGrant(store, o);
  const token = validateAccessToken({
    apiVersion: API_VERSION,
    kind: 'AccessToken',
    metadata: { name: grant.metadata.name },
    spec: { url: `${cfg.linkAccess.host}:${cfg.grantPort}`, code, ca: store.readCa().cert, site: cfg.name },
  });
  writeFileAtomic(file, YAML.stringify(token), 0o600);
  return token;
}

/** Reads and validates a token file, with an error that says what is wrong with it. */
export function readToken(file: string): AccessToken {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (err) { throw new Error(`cannot read token file ${file}: ${(err as Error).message}`); }
  let raw: unknown;
  try { raw = YAML.parse(text); } catch { throw new Error(`${file} is not a token: it is not valid YAML`); }
  let token: AccessToken;
  try {
    token = validateAccessToken(raw);
  } catch (err) {
    if (err instanceof ValidationError) throw new Error(`${file} is not a valid token (${err.message})`);
    throw err;
  }
  // A hand-edited CA is caught here rather than as a confusing TLS error later.
  try { certInfo(token.spec.ca); } catch (err) { throw new Error(`${file} is not a valid token (spec.ca: not a readable PEM certificate: ${(err as Error).message})`); }
  return token;
}

interface RedeemResponse { certificate: string; ca: string; endpoints: { host: string; port: number }[]; siteName: string; siteId: string; grant: string }

/** Redeems a token: returns the Link resource stored on `store`'s site. */
export async function redeemToken(store: SiteStore, file: string, o: { name?: string; cost?: number; timeoutMs?: number }) {
  const token = readToken(file);
  const cfg = store.readConfig();
  const identity = loadIdentity(store, cfg);
  const { key, csr } = await createCsr(cfg.name);
  const proof = identity.sign(redeemProofBytes(token.spec.code, csr, cfg.name, cfg.id));
  const res = await callGrantService<RedeemResponse>(token.spec.url, { ca: token.spec.ca }, 'Redeem',
    { code: token.spec.code, csr, siteName: cfg.name, siteId: cfg.id, identityKey: identity.pub, proof }, { timeoutMs: o.timeoutMs, who: token.spec.site });
  const got = certInfo(res.certificate);
  if (got.commonName !== cfg.name) throw new Error(`the issuing site returned a certificate for "${got.commonName}", not for this site "${cfg.name}"; refusing it`);
  const name = o.name ?? `link-${res.siteName}`;
  await store.writeLinkCredentials(name, { key, cert: res.certificate, ca: res.ca, grantUrl: token.spec.url });
  const link = validateLink({
    apiVersion: API_VERSION,
    kind: 'Link',
    metadata: { name },
    spec: { endpoints: res.endpoints, cost: o.cost ?? 1, tlsCredentials: name, peerSite: res.siteName },
  });
  await store.put('Link', name, link);
  return link;
}
