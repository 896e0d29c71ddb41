// Resources between their wire form (proto messages) and their document form (what YAML holds
// and the store keeps). proto3 cannot tell "unset" from "", 0 or false, so empty values read as
// unset, except ports, which stay so that 0 is refused by validation instead of defaulted.
import { API_VERSION, KINDS, type Kind } from '../resources/common.js';
import { ApiError } from './errors.js';
import type { Resource, ResourceStatus, SpecField } from './types.js';

/** The spec field of the Resource message for each kind. */
export const SPEC_FIELD: Readonly<Record<Kind, SpecField>> = Object.freeze({
  Site: 'site', Listener: 'listener', Connector: 'connector', Link: 'link', AccessGrant: 'accessGrant', AccessToken: 'accessToken',
});

function prune(v: unknown, keepZero: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => prune(x, keepZero));
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || x === undefined || x === '') continue;
    if (k.startsWith('_') && typeof x === 'string') continue; // proto3 `optional`'s synthetic oneof (which field is set), not a field
    if (x === 0 && !(keepZero && k === 'port')) continue;
    if (Array.isArray(x) && x.length === 0) continue;
    out[k] = prune(x, keepZero);
  }
  return out;
}

/** A wire resource as a raw document, ready for the same validation as YAML. */
export function resourceToDocument(r: Resource): Record<string, unknown> {
  const fields = Object.entries(SPEC_FIELD).filter(([, f]) => r[f] !== undefined && r[f] !== null && (r.spec === undefined || r.spec === f));
  const kind = (r.kind || (fields.length === 1 ? fields[0][0] : '')) as Kind;
  if (!KINDS.includes(kind)) {
    throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `kind: ${r.kind ? `unknown kind ${JSON.stringify(r.kind)}` : 'required'}; expected one of ${KINDS.join(', ')}`, 'kind');
  }
  const field = SPEC_FIELD[kind];
  const other = fields.find(([k]) => k !== kind);
  if (other) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `${other[1]}: a ${kind} carries its spec in the ${field} field`, other[1]);
  const spec = prune(r[field] ?? {}, kind !== 'Site');
  const metadata = prune(r.metadata ?? {}, false);
  return { apiVersion: r.apiVersion || API_VERSION, kind, metadata, spec };
}

/** A stored document (validated) as a wire resource with its status. */
export function documentToResource(kind: Kind, doc: { metadata: { name: string; resourceVersion?: string }; spec: object }, status?: ResourceStatus): Resource {
  let spec: Record<string, unknown> = { ...doc.spec };
  if (kind === 'AccessGrant') spec = { redemptionsAllowed: spec.redemptionsAllowed, expiresAt: spec.expiresAt, codeHash: spec.codeHash };
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { name: doc.metadata.name, resourceVersion: doc.metadata.resourceVersion ?? '' },
    [SPEC_FIELD[kind]]: spec,
    status: status ?? null,
  };
}
