// Throwaway site identities for tests: a joining site's redemption request signed with a real
// Ed25519 identity key, as `svcnet token redeem` makes it (no committed keys).
import { SiteIdentity } from '../../common/identity.js';
import { redeemProofBytes, type RedeemRequest } from '../../control/grants.js';

/** A fresh identity key; its id is a valid site id only this key can prove. */
export const freshIdentity = (): SiteIdentity => SiteIdentity.generate();

/** A Redeem request for `r` signed by `id`; `siteId` defaults to the key's own id (pass another to impersonate). */
export function redeemRequest(id: SiteIdentity, r: { code: string; csr: string; siteName: string }, siteId = id.id): RedeemRequest {
  return { ...r, siteId, identityKey: id.pub, proof: id.sign(redeemProofBytes(r.code, r.csr, r.siteName, siteId)) };
}
