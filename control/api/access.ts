// GetPolicy, SetPolicy and RevokeSite: who may link to this site. They write pki/ under the state
// lock, like every other handler, and then tell the running site, which applies them at once.
import { ValidationError, nameSchema } from '../resources/common.js';
import { loadPolicy, savePolicy, type SitePolicy } from '../pki/policy.js';
import { revokeSite as revokeLineages } from '../pki/registry.js';
import { ApiError } from './errors.js';
import type { ApiContext } from './context.js';
import type { Policy, SetPolicyRequest, SetPolicyResponse, RevokeSiteRequest, RevokeSiteResponse } from './types.js';

/** The fields SetPolicy's update_mask may name (proto names), with the lowerCamelCase JSON names. */
const MASK_FIELDS = { link_access: 'linkAccess', allowed_peers: 'allowedPeers', exposed_keys: 'exposedKeys', inbound_link_cost: 'inboundLinkCost', refuse_bench: 'refuseBench' } as const;
type MaskField = keyof typeof MASK_FIELDS;

const DEFAULT_REASON = 'revoked through the API';
const MAX_REASON = 200;

/** The stored policy; an unreadable one is the caller's to fix (FAILED_PRECONDITION), never "allow all". */
function stored(ctx: ApiContext): SitePolicy {
  try { return loadPolicy(ctx.store); } catch (err) {
    if (err instanceof Error && !(err as NodeJS.ErrnoException).code) throw new ApiError('SVCNET_ERR_PRECONDITION', err.message, undefined, { cause: err });
    throw err;
  }
}

/** SitePolicy (null = any/all) as the wire message (explicit allow_any_peer / expose_all_keys). */
export function policyToWire(p: SitePolicy): Policy {
  return {
    linkAccess: p.linkAccess, allowAnyPeer: p.allowedPeers === null, allowedPeers: p.allowedPeers ?? [],
    exposeAllKeys: p.exposedKeys === null, exposedKeys: p.exposedKeys ?? [], inboundLinkCost: p.inboundLinkCost,
    // Only when set: absent is the default (served), as in the stored policy.
    ...(p.bench === false ? { refuseBench: true } : {}),
  };
}

/** The update_mask entries as proto field names; an unknown one is INVALID_ARGUMENT. */
function maskFields(mask: readonly string[]): MaskField[] {
  if (mask.length === 0) return Object.keys(MASK_FIELDS) as MaskField[];
  return mask.map((m, i) => {
    const f = (Object.keys(MASK_FIELDS) as MaskField[]).find((k) => k === m || MASK_FIELDS[k] === m);
    if (!f) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `updateMask.${i}: unknown field "${String(m).slice(0, 40)}"; expected one of ${Object.keys(MASK_FIELDS).join(', ')}`, `updateMask.${i}`);
    return f;
  });
}

/** GetPolicy handler. */
export async function getPolicy(ctx: ApiContext): Promise<Policy> {
  return policyToWire(stored(ctx));
}

/** SetPolicy handler: read, change the masked fields, validate, store, push to the running site. */
export async function setPolicy(ctx: ApiContext, req: SetPolicyRequest): Promise<SetPolicyResponse> {
  const fields = maskFields(req.updateMask ?? []);
  const w = req.policy ?? {};
  return ctx.store.exclusive(async () => {
    const next: Record<string, unknown> = { ...stored(ctx) };
    for (const f of fields) {
      if (f === 'link_access') next.linkAccess = w.linkAccess ?? false;
      if (f === 'allowed_peers') next.allowedPeers = w.allowAnyPeer ? null : [...(w.allowedPeers ?? [])];
      if (f === 'exposed_keys') next.exposedKeys = w.exposeAllKeys ? null : [...(w.exposedKeys ?? [])];
      if (f === 'inbound_link_cost') next.inboundLinkCost = Number(w.inboundLinkCost ?? 0);
      if (f === 'refuse_bench') { if (w.refuseBench) next.bench = false; else delete next.bench; }
    }
    let saved: SitePolicy;
    try { saved = await savePolicy(ctx.store, next); } catch (err) {
      if (err instanceof ValidationError) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', err.message, err.field, { cause: err });
      throw err;
    }
    await ctx.site?.pkiChanged();
    return { policy: policyToWire(saved), appliedNow: !!ctx.site };
  });
}

/** RevokeSite handler: every unrevoked lineage issued to the site is revoked; NOT_FOUND when there is none. */
export async function revokeSite(ctx: ApiContext, req: RevokeSiteRequest): Promise<RevokeSiteResponse> {
  const site = String(req.site ?? '');
  if (!nameSchema.safeParse(site).success) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `site: "${site.slice(0, 70)}" is not a site name (lowercase letters, digits and dashes)`, 'site');
  const reason = (req.reason || DEFAULT_REASON).replace(/[\r\n]+/g, ' ').slice(0, MAX_REASON);
  return ctx.store.exclusive(async () => {
    const added = await revokeLineages(ctx.store, site, reason);
    if (added.length === 0) throw new ApiError('SVCNET_ERR_NOT_FOUND', `no certificate issued to site ${site} that is not revoked already`);
    ctx.log.info({ site, lineages: added.map((r) => r.lineage), reason }, 'site revoked');
    await ctx.site?.pkiChanged();
    return { revoked: added.map((r) => ({ lineage: r.lineage, grant: r.grant, serials: r.serials })), appliedNow: !!ctx.site };
  });
}
