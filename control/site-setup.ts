// `svcnet site create`: a fresh state directory with identity key, CA and link server certificate.
// The site id is derived from the identity key (common/identity.ts), so only this site can prove it.
import { createIdentity } from './pki/site-identity.js';
import { SiteStore, type SiteConfig } from './state/site-store.js';
import { createCa, issueLeaf } from './pki/ca.js';
import { nameSchema } from './resources/common.js';

export const DEFAULT_LINK_PORT = 55671;

export interface CreateSiteOptions {
  linkAccess: boolean;
  linkHost?: string;
  /** where the link and grant ports listen when it is not linkHost (NAT, a proxy in front) */
  linkBindHost?: string;
  linkPort?: number;
  grantPort?: number;
  consolePort?: number;
  consoleHost?: string;
}

/** Creates the site in `dir`; refuses to overwrite an existing one. */
export async function createSite(dir: string, name: string, o: CreateSiteOptions): Promise<SiteConfig> {
  if (SiteStore.exists(dir)) throw new Error(`a site already exists in ${dir}; use another --dir or delete it first`);
  const check = nameSchema.safeParse(name);
  if (!check.success) throw new Error(`site name "${name}" ${check.error.issues[0].message}`);
  const store = new SiteStore(dir);
  const identity = await createIdentity(store);
  const host = o.linkHost ?? '127.0.0.1';
  const port = o.linkPort ?? DEFAULT_LINK_PORT;
  const cfg: SiteConfig = {
    id: identity.id,
    name,
    linkAccess: { enabled: o.linkAccess, host, port, ...(o.linkBindHost ? { bindHost: o.linkBindHost } : {}) },
    grantPort: o.grantPort ?? port + 1,
    consolePort: o.consolePort ?? 0,
    ...(o.consoleHost ? { consoleHost: o.consoleHost } : {}),
    createdAt: new Date().toISOString(),
  };
  const ca = await createCa(name);
  await store.writeCa(ca);
  const hosts = [...new Set([host, 'localhost', '127.0.0.1'])];
  await store.writeServerCert(await issueLeaf(ca, { commonName: name, hosts, server: true, client: true, siteId: identity.id }));
  await store.writeConfig(cfg); // last: site.json is what makes the directory a site
  return cfg;
}
