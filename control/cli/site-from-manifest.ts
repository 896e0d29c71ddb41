// `svcnet apply -f` on a directory with no site yet: a Site among the manifests creates it, as
// `skupper system` makes a site from a Site file; the rest of the manifests then apply to it.
import fs from 'node:fs';
import { SiteStore } from '../state/site-store.js';
import { createSite, DEFAULT_LINK_PORT } from '../site-setup.js';
import { parseManifests, loadDocuments, type Manifest } from '../resources/yaml-loader.js';
import type { SiteResource } from '../resources/site.js';

/** Creates the site in `dir` from the one Site in `manifests` when `dir` holds no site; returns a line to print, or undefined when nothing was made. */
export async function createSiteFromManifests(dir: string, manifests: Manifest[]): Promise<string | undefined> {
  if (SiteStore.exists(dir)) return undefined;
  // The same validation as apply (a bad file fails here with its field, before anything is written).
  const sites = loadDocuments(parseManifests(manifests)).resources.filter((r) => r.kind === 'Site');
  if (sites.length === 0) return undefined; // apply then says there is no site, and how to make one
  if (sites.length > 1) throw new Error(`${sites[1].source} document ${sites[1].index}: a directory holds one site; these manifests describe ${sites.length}`);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new Error(`${dir} is not empty and holds no site; a Site manifest creates a site only in an empty or new directory`);
  const { metadata, spec } = sites[0].doc as SiteResource;
  const port = spec.linkAccess?.port ?? DEFAULT_LINK_PORT;
  const cfg = await createSite(dir, metadata.name, {
    linkAccess: spec.linkAccess?.enabled ?? false, linkHost: spec.linkAccess?.host, linkPort: port,
    grantPort: spec.grantPort, consolePort: spec.consolePort, consoleHost: spec.consoleHost,
  });
  if (spec.apiPort) await new SiteStore(dir).writeConfig({ ...cfg, apiPort: spec.apiPort });
  return `site ${cfg.name} created in ${dir} from ${sites[0].source}${cfg.linkAccess.enabled ? ` (links on ${cfg.linkAccess.host}:${cfg.linkAccess.port})` : ''}; run it with "svcnet site run --dir ${dir}"`;
}
