// Reading resources: Get and List handlers, and the one place that turns a kind and name into
// the stored document (the Site comes from site.json, everything else from resources/).
import { createHash } from 'node:crypto';
import { KINDS, type Kind } from '../resources/common.js';
import { kindFromName } from '../resources/kinds.js';
import type { SiteConfig } from '../state/site-store.js';
import { isSafeName, SAFE_NAME_RULE } from '../state/safe-name.js';
import { ApiError } from './errors.js';
import { documentToResource } from './convert.js';
import { statusOf } from './status.js';
import { loadPolicy, keyExposed } from '../pki/policy.js';
import type { ApiContext } from './context.js';
import type { GetRequest, ListRequest, ListResponse, Resource } from './types.js';

/** A stored document as handlers see it (validated when it was written). */
export interface StoredDoc { metadata: { name: string; resourceVersion?: string }; spec: Record<string, unknown>; status?: Record<string, unknown> }

/** The Site resource of a config; its version is a digest, since site.json has no version field. */
export function siteDocument(cfg: SiteConfig): StoredDoc {
  const spec = { linkAccess: cfg.linkAccess, grantPort: cfg.grantPort, consolePort: cfg.consolePort, ...(cfg.consoleHost ? { consoleHost: cfg.consoleHost } : {}), apiPort: cfg.apiPort ?? 0, id: cfg.id };
  const resourceVersion = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  return { metadata: { name: cfg.name, resourceVersion }, spec };
}

/** Parses a kind name given by a caller (any case, singular or plural). */
export function parseKind(v: string): Kind {
  const k = kindFromName(v);
  if (!k) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `kind: unknown kind ${JSON.stringify(v)}; expected one of ${KINDS.join(', ')}`, 'kind');
  return k;
}

/**
 * A resource name given by a caller for Get or Delete: one safe path component (issue 10 #5), or
 * INVALID_ARGUMENT naming `field`. Looser than the names Apply accepts, so hand-made state stays
 * reachable; the store checks again whatever the edge let through.
 */
export function parseName(field: string, v: unknown): string {
  if (!isSafeName(v)) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `${field}: ${JSON.stringify(String(v).slice(0, 80))} is not a resource name: ${SAFE_NAME_RULE}`, field);
  return v;
}

/** The stored document of kind/name, or undefined. */
export function readStored(ctx: ApiContext, kind: Kind, name: string): StoredDoc | undefined {
  if (kind === 'Site') {
    const cfg = ctx.store.readConfig();
    return name === cfg.name ? siteDocument(cfg) : undefined;
  }
  return ctx.store.get(kind, name) as StoredDoc | undefined;
}

function listStored(ctx: ApiContext, kind: Kind): StoredDoc[] {
  if (kind === 'Site') return [siteDocument(ctx.store.readConfig())];
  return ctx.store.list(kind) as StoredDoc[];
}

/** A stored document with its live status, as the API returns it. */
export function withStatus(ctx: ApiContext, kind: Kind, doc: StoredDoc): Resource {
  const exposed = kind === 'Connector' ? (key: string) => keyExposed(loadPolicy(ctx.store), key) : undefined;
  return documentToResource(kind, doc, statusOf(kind, doc, ctx.site?.status(), { exposed }));
}

/** Get: one resource with status. NOT_FOUND when absent. */
export function getResource(ctx: ApiContext, req: GetRequest): Resource {
  const kind = parseKind(req.kind);
  const name = req.name || (kind === 'Site' ? ctx.store.readConfig().name : '');
  if (!name) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', 'name: required', 'name');
  const doc = readStored(ctx, kind, parseName('name', name));
  if (!doc) throw new ApiError('SVCNET_ERR_NOT_FOUND', `${kind} ${name} not found`);
  return withStatus(ctx, kind, doc);
}

/** List: resources of one kind, or of all kinds, sorted by kind then name. */
export function listResources(ctx: ApiContext, req: ListRequest): ListResponse {
  const kinds = req.kind ? [parseKind(req.kind)] : [...KINDS];
  const resources: Resource[] = [];
  for (const kind of kinds) {
    const docs = listStored(ctx, kind).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    for (const d of docs) resources.push(withStatus(ctx, kind, d));
  }
  return { resources };
}

