// The one list of resource kinds: how each is validated when applied. Code elsewhere looks kinds
// up here instead of switching on them.
import type { Kind } from './common.js';
import { validateSite, type SiteResource } from './site.js';
import { validateListener, type Listener } from './listener.js';
import { validateConnector, type Connector } from './connector.js';
import { validateLink, type LinkResource } from './link.js';
import { normalizeAccessGrantInput, type AccessGrant } from './access-grant.js';
import { validateAccessToken, type AccessToken } from './access-token.js';

export type AnyResource = SiteResource | Listener | Connector | LinkResource | AccessGrant | AccessToken;

/** Validates (and for grants, normalizes) a document of each kind; throws ValidationError naming the field. */
export const VALIDATE: Readonly<Record<Kind, (raw: unknown) => AnyResource>> = Object.freeze({
  Site: validateSite,
  Listener: validateListener,
  Connector: validateConnector,
  Link: validateLink,
  AccessGrant: (raw: unknown) => normalizeAccessGrantInput(raw),
  AccessToken: validateAccessToken,
});

/** Accepts any capitalisation and plural ("listeners", "accessgrant"); undefined when unknown. */
export function kindFromName(v: string): Kind | undefined {
  const k = v.toLowerCase().replace(/s$/, '');
  return (Object.keys(VALIDATE) as Kind[]).find((x) => x.toLowerCase() === k);
}
