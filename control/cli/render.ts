// Resources from the API as people and programs read them: YAML/JSON documents in the same form
// `svcnet apply` takes (so `get -o yaml` can be edited and applied again), or tables.
import { SPEC_FIELD } from '../api/convert.js';
import type { Kind } from '../resources/common.js';
import type { Resource } from '../api/types.js';

function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== '' && x !== null && x !== undefined).map(([k, x]) => [k, prune(x)]));
}

/**
 * A wire resource as a svcnet.io/v1 document (empty values left out). Without resourceVersion: a
 * version is one site's, and an exported document must apply to another site too (issue 15).
 */
export function toDocument(r: Resource): Record<string, unknown> {
  const spec = r[SPEC_FIELD[r.kind as Kind]] ?? {};
  const { resourceVersion: _version, ...metadata } = r.metadata;
  return { apiVersion: r.apiVersion, kind: r.kind, metadata: prune(metadata), spec: prune(spec), status: prune(r.status) };
}

/** Table columns per kind: header and cell. */
export const COLUMNS: Readonly<Record<Kind, [string, (r: Resource) => unknown][]>> = {
  Site: [['NAME', (r) => r.metadata.name], ['STATUS', (r) => r.status?.state], ['LINK ACCESS', (r) => { const la = r.site?.linkAccess as { enabled: boolean; host: string; port: number } | undefined; return la?.enabled ? `${la.host}:${la.port}` : 'off'; }], ['MESSAGE', (r) => r.status?.message]],
  Listener: [['NAME', (r) => r.metadata.name], ['ROUTING KEY', (r) => r.listener?.routingKey], ['PORT', (r) => r.listener?.port], ['STATUS', (r) => r.status?.state], ['FLOWS', (r) => r.status?.flowsActive ?? 0], ['MESSAGE', (r) => r.status?.message]],
  Connector: [['NAME', (r) => r.metadata.name], ['ROUTING KEY', (r) => r.connector?.routingKey], ['TARGET', (r) => `${r.connector?.host}:${r.connector?.port}`], ['STATUS', (r) => r.status?.state], ['FLOWS', (r) => r.status?.flowsActive ?? 0], ['MESSAGE', (r) => r.status?.message]],
  Link: [['NAME', (r) => r.metadata.name], ['PEER', (r) => r.status?.peerSite || r.link?.peerSite], ['COST', (r) => r.link?.cost], ['STATUS', (r) => r.status?.state], ['MESSAGE', (r) => r.status?.message]],
  AccessGrant: [['NAME', (r) => r.metadata.name], ['STATUS', (r) => r.status?.state], ['REDEEMED', (r) => `${r.status?.redeemed ?? 0}/${r.accessGrant?.redemptionsAllowed}`], ['EXPIRES', (r) => r.accessGrant?.expiresAt]],
  AccessToken: [['NAME', (r) => r.metadata.name], ['SITE', (r) => r.accessToken?.site], ['STATUS', (r) => r.status?.state], ['LINK', (r) => r.status?.link]],
};
