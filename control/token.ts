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
import { validateLink, type LinkResource } from './resources/link.js';
import type { SiteStore } from './state/site-store.js';
import { trustedCas } from './pki/trust.js';
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
    spec: { url: `${cfg.linkAccess.host}:${cfg.grantPort}`, code, ca: unixPem(store.readCa().cert), site: cfg.name },
  });
  writeFileAtomic(file, YAML.stringify(token), 0o600);
  return token;
}

/** PEM text with "\n" line ends (node-forge writes "\r\n", which YAML shows as "\r" on every line). */
export function unixPem(pem: string): string {
  return pem.replace(/\r\n?/g, '\n');
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
  token.spec.ca = unixPem(token.spec.ca); // a token saved on Windows, or issued before issue 15
  // A hand-edited CA is caught here rather than as a confusing TLS error later.
  try { certInfo(token.spec.ca); } catch (err) { throw new Error(`${file} is not a valid token (spec.ca: not a readable PEM certificate: ${(err as Error).message})`); }
  return token;
}

interface RedeemResponse { certificate: string; ca: string; endpoints: { host: string; port: number }[]; siteName: string; siteId: string; grant: string }

/** Redeems a token: returns the Link resource stored on `store`'s site. */
export async function redeemToken(store: SiteStore, file: string, o: { name?: string; cost?: number; timeoutMs?: number }) {
  const token = readToken(file);
  const cfg = store.readConfig();
  // Our own grant port would wait for the lock this redemption holds (issue 15: a 10 s hang).
  if (token.spec.site === cfg.name || trustedCas(store).some((ca) => unixPem(ca) === token.spec.ca)) {
    throw new Error(`this token was issued by this site (${cfg.name}); redeem it on the site that should link to ${cfg.name}`);
  }
  const peer = (store.list('Link') as LinkResource[]).find((l) => l.spec.peerSite !== undefined && l.spec.peerSite === token.spec.site);
  if (peer) throw new Error(`this site already links to site ${token.spec.site} (link ${peer.metadata.name}); delete that link first ("svcnet link delete ${peer.metadata.name}")`);
  // Checked before the call, which spends a redemption: either name the link may take (below) must be free.
  const taken = [o.name, token.spec.site && `link-${token.spec.site}`].find((n) => n && store.get('Link', n));
  if (taken) throw new Error(`a link named ${taken} exists already; delete it first or give the token another name`);
  const identity = loadIdentity(store, cfg);
  const { key, csr } = await createCsr(cfg.name);
  const proof = identity.sign(redeemProofBytes(token.spec.code, csr, cfg.name, cfg.id));
  const res = await callGrantService<RedeemResponse>(token.spec.url, { ca: token.spec.ca }, 'Redeem',
    { code: token.spec.code, csr, siteName: cfg.name, siteId: cfg.id, identityKey: identity.pub, proof }, { timeoutMs: o.timeoutMs, who: token.spec.site });
  const got = certInfo(res.certificate);
  if (got.commonName !== cfg.name) throw new Error(`the issuing site returned a certificate for "${got.commonName}", not for this site "${cfg.name}"; refusing it`);
  // One naming (issue 15): a token still named after its grant, as `token issue` writes it, makes
  // link-<issuing site>, as `token redeem` does; a token its user renamed makes a link of that name.
  const name = !o.name || o.name === res.grant ? `link-${res.siteName}` : o.name;
  if (store.get('Link', name)) throw new Error(`a link named ${name} exists already; delete it first or give the token another name`);
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
