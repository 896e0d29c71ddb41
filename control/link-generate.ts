// `svcnet link generate` (issue 15, as Skupper's `skupper link generate`): this site issues a link
// certificate for a named peer site and returns a Link plus a Secret with its credentials, which the
// peer applies to link without a token. The certificate is recorded like a redeemed one (its own
// used-up grant), so `link delete PEER`, `grant delete` and RevokeSite revoke it the same way.
import YAML from 'yaml';
import type { SiteStore } from './state/site-store.js';
import { issueGrant } from './grants.js';
import { createCsr, signCsr } from './pki/ca.js';
import { loadIssued, recordIssued } from './pki/registry.js';
import { loadPolicy, peerRefusal } from './pki/policy.js';
import { isSiteId } from '../common/identity.js';
import { API_VERSION, nameSchema } from './resources/common.js';
import { secretDocument } from './resources/link-secret.js';
import { unixPem } from './token.js';
import { ApiError } from './api/errors.js';

/** What to generate: the peer site's name and id (`svcnet site status -o json` on the peer shows both). */
export interface GenerateRequest { peer: string; peerId: string; cost?: number }

/** Issues and records a certificate for `peer`; the YAML (Link + Secret, private key included). Call inside store.exclusive; throws ApiError. */
export async function generateLink(store: SiteStore, req: GenerateRequest, now = Date.now()): Promise<{ yaml: string; name: string; grant: string }> {
  const cfg = store.readConfig();
  if (!cfg.linkAccess.enabled) throw new ApiError('SVCNET_ERR_PRECONDITION', `site ${cfg.name} has no link access; enable it (svcnet site update --link-access) to let other sites link to it`);
  if (!nameSchema.safeParse(req.peer).success || req.peer === cfg.name) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `peer: "${String(req.peer).slice(0, 80)}" is not the name of another site`, 'peer');
  if (!isSiteId(req.peerId) || req.peerId === cfg.id) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `peerId: "${String(req.peerId).slice(0, 80)}" is not another site's id (the "id" of "svcnet site status -o json" on site ${req.peer})`, 'peerId');
  const refusal = peerRefusal(loadPolicy(store), req.peer);
  if (refusal) throw new ApiError('SVCNET_ERR_PRECONDITION', refusal);
  // The HELLO check binds the certificate to the peer's id, so a name held by another live id would clash.
  const holder = loadIssued(store).find((e) => e.site === req.peer && e.siteId !== req.peerId && Date.parse(e.notAfter) > now);
  if (holder) throw new ApiError('SVCNET_ERR_PRECONDITION', `site name "${req.peer}" is already linked here by another site (id ${holder.siteId}); delete that inbound link first`);
  // A grant that is used up at once: it names the lineage, so deleting it revokes the certificate.
  const { grant } = await issueGrant(store, { expiryMs: 1000, redemptions: 1 });
  const { key, csr } = await createCsr(req.peer);
  const ca = store.readCa();
  const signed = signCsr(ca, csr, req.peer, undefined, req.peerId);
  grant.status.redeemed = 1;
  grant.status.issued.push({ serial: signed.serial, site: req.peer, at: new Date(now).toISOString() });
  await store.put('AccessGrant', grant.metadata.name, grant);
  await recordIssued(store, { serial: signed.serial, site: req.peer, siteId: req.peerId, grant: grant.metadata.name, lineage: signed.serial, issuedAt: new Date(now).toISOString(), notAfter: signed.notAfter }, now);
  const name = `link-${cfg.name}`;
  const link = {
    apiVersion: API_VERSION, kind: 'Link', metadata: { name },
    spec: { endpoints: [{ host: cfg.linkAccess.host, port: cfg.linkAccess.port }], cost: req.cost ?? 1, tlsCredentials: name, peerSite: cfg.name },
  };
  const secret = secretDocument(name, { key: unixPem(key), cert: unixPem(signed.cert), ca: unixPem(ca.cert), grantUrl: `${cfg.linkAccess.host}:${cfg.grantPort}` });
  return { yaml: `${YAML.stringify(link)}---\n${YAML.stringify(secret)}`, name, grant: grant.metadata.name };
}
