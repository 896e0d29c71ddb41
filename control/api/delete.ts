// Delete: resources removed as one batch, after every name and version was checked, so a refused
// request deletes nothing. A deleted Link takes its credentials with it (unless another link uses them).
import { parseManifests, ManifestError } from '../resources/yaml-loader.js';
import { KINDS, type Kind } from '../resources/common.js';
import { ApiError } from './errors.js';
import { parseKind, parseName, readStored, type StoredDoc } from './resources.js';
import type { ApiContext } from './context.js';
import type { BatchOp } from '../state/site-store.js';
import { isSafeName } from '../state/safe-name.js';
import type { DeleteRequest, DeleteResponse, ResourceRef } from './types.js';

interface Target { kind: Kind; name: string; resourceVersion?: string; where: string }

/** Kind and name of every document in the manifests (the rest of each document is not read). */
function refsFromManifests(req: DeleteRequest): Target[] {
  try {
    return parseManifests(req.manifests ?? []).map((d) => {
      const where = `${d.source} document ${d.index}`;
      const r = d.raw as { kind?: unknown; metadata?: { name?: unknown } };
      const kind = KINDS.find((k) => k === r?.kind);
      if (!kind) throw new ManifestError(where, 'kind', r?.kind === undefined ? 'required' : `unknown kind ${JSON.stringify(r.kind)}; expected one of ${KINDS.join(', ')}`);
      if (typeof r.metadata?.name !== 'string' || !r.metadata.name) throw new ManifestError(where, 'metadata.name', 'required');
      try { parseName('metadata.name', r.metadata.name); } catch (err) { throw new ManifestError(where, 'metadata.name', (err as Error).message.replace(/^metadata\.name: /, '')); }
      return { kind, name: r.metadata.name, where };
    });
  } catch (err) {
    if (err instanceof ManifestError) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', err.message, err.field, { cause: err });
    throw err;
  }
}

/** Delete handler. */
export async function deleteResources(ctx: ApiContext, req: DeleteRequest): Promise<DeleteResponse> {
  const targets: Target[] = (req.refs ?? []).map((r, i) => {
    if (!r.name) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `refs.${i}.name: required`, `refs.${i}.name`);
    return { kind: parseKind(r.kind), name: parseName(`refs.${i}.name`, r.name), resourceVersion: r.resourceVersion || undefined, where: `refs.${i}` };
  });
  targets.push(...refsFromManifests(req));
  if (targets.length === 0) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', 'nothing to delete: give refs or manifests', 'refs');
  return ctx.store.exclusive(async () => {
    const seen = new Set<string>();
    const doomed: { t: Target; doc: StoredDoc }[] = [];
    const notFound: ResourceRef[] = [];
    for (const t of targets) {
      const key = `${t.kind}/${t.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (t.kind === 'Site') throw new ApiError('SVCNET_ERR_PRECONDITION', `${t.where}: a site cannot delete itself; stop it and remove its directory`);
      const doc = readStored(ctx, t.kind, t.name);
      if (!doc) {
        if (!req.ignoreNotFound) throw new ApiError('SVCNET_ERR_NOT_FOUND', `${t.kind} ${t.name} not found; nothing was deleted`);
        notFound.push({ kind: t.kind, name: t.name });
        continue;
      }
      if (t.resourceVersion && doc.metadata.resourceVersion !== t.resourceVersion) {
        throw new ApiError('SVCNET_ERR_STALE_VERSION', `${t.kind} ${t.name} was changed by someone else: stored version ${doc.metadata.resourceVersion}, request based on ${t.resourceVersion}; nothing was deleted`, 'resourceVersion');
      }
      doomed.push({ t, doc });
    }
    // All removals in one batch (a crash keeps all or none); then the credentials no Link uses.
    const batch: BatchOp[] = doomed.map(({ t }) => ({ kind: t.kind as Exclude<Kind, 'Site'>, name: t.name, remove: true }));
    const credentials = new Set<string>();
    for (const { t, doc } of doomed) {
      if (t.kind !== 'Link') continue;
      credentials.add(String(doc.spec.tlsCredentials));
      // The token that made the link is spent; dropping its record lets the name be used again.
      // (A token named after its grant made link-<site>: found by the link it records, issue 15.)
      const token = (ctx.store.list('AccessToken') as StoredDoc[]).find((d) => d.status?.link === t.name);
      if (token && !doomed.some((d) => d.t.kind === 'AccessToken' && d.t.name === token.metadata.name)) batch.push({ kind: 'AccessToken', name: token.metadata.name, remove: true });
    }
    await ctx.store.commit(batch);
    const inUse = new Set((ctx.store.list('Link') as StoredDoc[]).map((l) => String(l.spec.tlsCredentials)));
    // A Link stored before names were checked may name a folder outside links/: it is deleted, that folder never touched.
    for (const cred of credentials) if (!inUse.has(cred) && isSafeName(cred)) await ctx.store.deleteLinkCredentials(cred);
    for (const { t } of doomed) ctx.hub.publish('RESOURCE_DELETED', { resource: { kind: t.kind, name: t.name, resourceVersion: '', action: 'deleted' } });
    ctx.site?.reconcile();
    // Deleting a grant revokes what it issued: the running site closes those links now.
    if (doomed.some(({ t }) => t.kind === 'AccessGrant')) await ctx.site?.pkiChanged();
    await ctx.site?.settled();
    return { deleted: doomed.map(({ t }) => ({ kind: t.kind, name: t.name })), notFound, appliedNow: !!ctx.site };
  });
}
