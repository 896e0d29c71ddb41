// The site's identity key in the state directory (pki/site-identity.pem, mode 0600): made at
// `site create`, its hash is the site id. Sites made before identity keys existed must be re-created.
import type { SiteStore, SiteConfig } from '../state/site-store.js';
import { SiteIdentity } from '../../common/identity.js';

export const IDENTITY_FILE = 'site-identity.pem';

/** Writes a fresh identity key; its id becomes the site id. */
export async function createIdentity(store: SiteStore): Promise<SiteIdentity> {
  const id = SiteIdentity.generate();
  await store.writePkiFile(IDENTITY_FILE, id.toPem(), 0o600);
  return id;
}

/** Loads the identity of the site in `store`; throws a one-line instruction when it is missing or does not match site.json. */
export function loadIdentity(store: SiteStore, cfg: SiteConfig = store.readConfig()): SiteIdentity {
  const pem = store.readPkiFile(IDENTITY_FILE);
  if (!pem) throw new Error(`site ${cfg.name} was created by an earlier svcnet without an identity key (pki/${IDENTITY_FILE}); its id ${cfg.id} cannot be proven to peers: re-create the site ("svcnet site create") and re-issue its tokens`);
  const id = SiteIdentity.fromPem(pem);
  if (id.id !== cfg.id) throw new Error(`pki/${IDENTITY_FILE} belongs to site id ${id.id}, but site.json says ${cfg.id}; restore the matching key or re-create the site`);
  return id;
}
