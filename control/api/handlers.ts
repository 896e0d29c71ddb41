// The control service as plain typed functions (one per rpc of svcnet.v1.ControlService). The gRPC
// server and the CLI's offline mode both call these; nothing here knows about sockets.
import { apply } from './apply.js';
import { deleteResources } from './delete.js';
import { getResource, listResources } from './resources.js';
import { getNetwork, getMetrics } from './network.js';
import { listFlows } from './flows.js';
import { issueToken, issueAdminCertificate } from './tokens.js';
import { generateLinkHandler } from './link-generate.js';
import { rotateCertificates } from '../pki/rotation.js';
import { getPolicy, setPolicy, revokeSite } from './access.js';
import type { ApiContext } from './context.js';
import type * as T from './types.js';

/** Unary handlers by rpc name. */
export interface ControlHandlers {
  Apply(req: T.ApplyRequest): Promise<T.ApplyResponse>;
  Delete(req: T.DeleteRequest): Promise<T.DeleteResponse>;
  Get(req: T.GetRequest): Promise<T.Resource>;
  List(req: T.ListRequest): Promise<T.ListResponse>;
  GetNetwork(req: object): Promise<T.Network>;
  GetMetrics(req: object): Promise<T.Metrics>;
  ListFlows(req: T.ListFlowsRequest): Promise<T.ListFlowsResponse>;
  IssueToken(req: T.IssueTokenRequest): Promise<T.IssueTokenResponse>;
  IssueAdminCertificate(req: T.IssueAdminCertificateRequest): Promise<T.IssueAdminCertificateResponse>;
  GenerateLink(req: T.GenerateLinkRequest): Promise<T.GenerateLinkResponse>;
  RotateCertificates(req: T.RotateCertificatesRequest): Promise<T.RotateCertificatesResponse>;
  GetPolicy(req: object): Promise<T.Policy>;
  SetPolicy(req: T.SetPolicyRequest): Promise<T.SetPolicyResponse>;
  RevokeSite(req: T.RevokeSiteRequest): Promise<T.RevokeSiteResponse>;
}

/** The unary handlers bound to `ctx`. */
export function createControlHandlers(ctx: ApiContext): ControlHandlers {
  return {
    Apply: (req) => apply(ctx, req),
    Delete: (req) => deleteResources(ctx, req),
    // Reads show the engine's state as of this call, not of its last periodic report.
    Get: async (req) => { await ctx.site?.settled(); return getResource(ctx, req); },
    List: async (req) => { await ctx.site?.settled(); return listResources(ctx, req); },
    GetNetwork: async () => { await ctx.site?.settled(); return getNetwork(ctx); },
    GetMetrics: async () => { await ctx.site?.settled(); return getMetrics(ctx); },
    ListFlows: (req) => listFlows(ctx, req),
    IssueToken: (req) => issueToken(ctx, req),
    IssueAdminCertificate: (req) => issueAdminCertificate(ctx, req),
    GenerateLink: (req) => generateLinkHandler(ctx, req),
    RotateCertificates: async (req) => {
      // A new CA (trusted alongside the old one during the overlap) and a new server certificate;
      // the running site reloads its TLS now, joined sites learn the CA at renewal.
      const r = await ctx.store.exclusive(async () => {
        const done = await rotateCertificates(ctx.store, { overlapMs: req.overlapSeconds ? req.overlapSeconds * 1000 : undefined });
        await ctx.site?.pkiChanged();
        return done;
      });
      return { renewed: [`ca (the previous CA stays trusted until ${r.trustOldUntil})`, `server certificate ${r.serverSerial}`] };
    },
    GetPolicy: () => getPolicy(ctx),
    SetPolicy: (req) => setPolicy(ctx, req),
    RevokeSite: (req) => revokeSite(ctx, req),
  };
}

/** Watch: subscribes `send` to the site's events (SYNC first); returns the unsubscribe function. */
export function watch(ctx: ApiContext, req: T.WatchRequest, send: (e: T.Event) => void): () => void {
  const types = (req.types ?? []).filter((t) => t !== 'SYNC' && (t as string) !== 'EVENT_TYPE_UNSPECIFIED');
  return ctx.hub.subscribe(types, send);
}
