// GenerateLink handler: `svcnet link generate` through the API, so a running site issues the
// certificate itself and its data plane learns the new issued entry at once (pkiChanged).
import { generateLink } from '../link-generate.js';
import type { ApiContext } from './context.js';
import type { GenerateLinkRequest, GenerateLinkResponse } from './types.js';

/** Issues, records and publishes; the response holds a private key. */
export function generateLinkHandler(ctx: ApiContext, req: GenerateLinkRequest): Promise<GenerateLinkResponse> {
  return ctx.store.exclusive(async () => {
    const g = await generateLink(ctx.store, { peer: req.peer, peerId: req.peerId, cost: req.cost || undefined });
    const rv = (ctx.store.get('AccessGrant', g.grant) as { metadata: { resourceVersion?: string } } | undefined)?.metadata.resourceVersion ?? '';
    ctx.hub.publish('RESOURCE_APPLIED', { resource: { kind: 'AccessGrant', name: g.grant, resourceVersion: rv, action: 'created' } });
    ctx.log.info({ peer: req.peer, grant: g.grant }, 'link certificate generated');
    await ctx.site?.pkiChanged(); // the admission table must know the new certificate before the peer dials
    return g;
  });
}
