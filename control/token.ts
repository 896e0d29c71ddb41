// The CLI side of joining: writing a token file for a grant, and redeeming one (key and CSR made
// here, the code and CSR sent to the issuing site's grant endpoint, the certificate stored as a Link).
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import YAML from 'yaml';
import { loadSvcnetV1 } from './grpc-proto.js';
import { issueGrant } from './grants.js';
import { createCsr } from './pki/ca.js';
import { API_VERSION, ValidationError } from './resources/common.js';
import { validateAccessToken, type AccessToken } from './resources/access-token.js';
import { validateLink } from './resources/link.js';
import type { SiteStore } from './state/site-store.js';
import { writeFileAtomic } from './state/atomic.js';

/** Creates a grant on `store`'s site and writes the token file (mode 0600: it holds a secret). */
export function issueToken(store: SiteStore, file: string, o: { expiryMs?: number; redemptions?: number }): AccessToken {
  const cfg = store.readConfig();
  if (!cfg.linkAccess.enabled) throw new Error(`site ${cfg.name} has no link access; create it with --link-access to let other sites link to it`);
  const { grant, code } = issueGrant(store, o);
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
  try {
    return validateAccessToken(raw);
  } catch (err) {
    if (err instanceof ValidationError) throw new Error(`${file} is not a valid token (${err.message})`);
    throw err;
  }
}

interface RedeemResponse { certificate: string; ca: string; endpoints: { host: string; port: number }[]; siteName: string; siteId: string }

/** Redeems a token: returns the Link resource stored on `store`'s site. */
export async function redeemToken(store: SiteStore, file: string, o: { name?: string; cost?: number; timeoutMs?: number }) {
  const token = readToken(file);
  const cfg = store.readConfig();
  const { key, csr } = await createCsr(cfg.name);
  const v1 = loadSvcnetV1('svcnet/v1/grant.proto');
  const Client = v1.GrantService as grpc.ServiceClientConstructor;
  const client = new Client(token.spec.url, grpc.credentials.createSsl(Buffer.from(token.spec.ca)));
  const deadline = new Date(Date.now() + (o.timeoutMs ?? 10_000));
  const res = await new Promise<RedeemResponse>((resolve, reject) => {
    client.Redeem({ code: token.spec.code, csr, siteName: cfg.name, siteId: cfg.id }, { deadline }, (err: grpc.ServiceError | null, r: RedeemResponse) => {
      client.close();
      if (!err) return resolve(r);
      if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
        reject(new Error(`cannot reach the grant endpoint ${token.spec.url} of site ${token.spec.site ?? '?'} (${err.details}); is that site running?`));
      } else reject(new Error(`token refused by ${token.spec.site ?? token.spec.url}: ${err.details}`));
    });
  });
  const name = o.name ?? `link-${res.siteName}`;
  store.writeLinkCredentials(name, { key, cert: res.certificate, ca: res.ca });
  const link = validateLink({
    apiVersion: API_VERSION,
    kind: 'Link',
    metadata: { name },
    spec: { endpoints: res.endpoints, cost: o.cost ?? 1, tlsCredentials: name, peerSite: res.siteName },
  });
  store.put('Link', name, link);
  return link;
}
