// Pushes and answers as svcnet.v1.DataplaneDiscovery messages (control/proto/svcnet/v1/xds.proto)
// and back. The receiving side still validates: this only maps field names.
import * as grpc from '@grpc/grpc-js';
import { loadSvcnetV1 } from '../grpc-proto.js';
import type { AppTlsSpec, Push, PushAck, ResourceType, ResourcesOf, RouterResourceType } from '../../dataplane/port/push.js';
import { RESOURCE_TYPES } from './resource-types.js';

/** NodeIdentity: who a replica is in the network. */
export interface NodeIdentity { routerId: string; routerName: string }

export interface WireResponse {
  type: string; versionInfo: string; nonce: string; node?: NodeIdentity;
  listeners?: unknown[]; connectors?: unknown[]; links?: unknown[]; secrets?: unknown[];
}
export interface WireRequest { type?: string; versionInfo?: string; responseNonce?: string; errorDetail?: string }

let service: grpc.ServiceDefinition | undefined;
/** The DataplaneDiscovery service definition, loaded once. */
export function discoveryService(): grpc.ServiceDefinition {
  return (service ??= (loadSvcnetV1('svcnet/v1/xds.proto').DataplaneDiscovery as grpc.ServiceClientConstructor).service);
}

const FIELD: Record<RouterResourceType, keyof WireResponse> = { certificates: 'secrets', links: 'links', listeners: 'listeners', connectors: 'connectors' };

/** AppTls on the wire (issue 15): proto3 has no absent bool, so the hostname check is sent as its opposite. */
interface WireTls { credentials: string; key?: string; cert?: string; ca?: string[]; requireClientCert?: boolean; skipHostnameCheck?: boolean }
function tlsToWire({ verifyHostname, ...t }: AppTlsSpec): WireTls { return { ...t, skipHostnameCheck: verifyHostname === false }; }
function tlsFromWire(w: WireTls): AppTlsSpec {
  return {
    credentials: w.credentials, ...(w.key ? { key: w.key, cert: w.cert } : {}), ...(w.ca && w.ca.length > 0 ? { ca: w.ca } : {}),
    ...(w.requireClientCert ? { requireClientCert: true } : {}), ...(w.skipHostnameCheck ? { verifyHostname: false } : {}),
  };
}

/** A push as a DiscoveryResponse. */
export function toResponse(push: Push, node: NodeIdentity): WireResponse {
  let resources: unknown[] = push.resources;
  if (push.type === 'listeners' || push.type === 'connectors') resources = (push.resources as { tls?: AppTlsSpec }[]).map((r) => (r.tls ? { ...r, tls: tlsToWire(r.tls) } : r));
  return { type: push.type, versionInfo: push.version, nonce: push.nonce, node, [FIELD[push.type as RouterResourceType]]: resources };
}

/** A DiscoveryResponse as a push; optional proto3 fields come back as "" and are dropped. */
export function fromResponse(r: WireResponse): Push {
  const type = r.type as RouterResourceType;
  if (!RESOURCE_TYPES.includes(type)) return { type, version: r.versionInfo, nonce: r.nonce, resources: [] } as Push;
  let resources = (r[FIELD[type]] ?? []) as Record<string, unknown>[];
  resources = resources.map((x) => Object.fromEntries(Object.entries(x).filter(([k, v]) => !(v === '' && (k === 'proxy' || k === 'mode' || k === 'type')) && !(k === 'tls' && !v))
    .map(([k, v]) => (k === 'tls' ? [k, tlsFromWire(v as WireTls)] : [k, v]))));
  return { type, version: r.versionInfo, nonce: r.nonce, resources: resources as unknown as ResourcesOf[typeof type] } as Push;
}

/** An answer as a DiscoveryRequest. */
export function toRequest(a: PushAck): WireRequest {
  return { type: a.type, versionInfo: a.version, responseNonce: a.nonce, errorDetail: a.error ?? '' };
}

/** A DiscoveryRequest as an answer; undefined for the subscribing first message. */
export function fromRequest(r: WireRequest): PushAck | undefined {
  if (!r.type) return undefined;
  return { type: r.type as ResourceType, version: r.versionInfo ?? '', nonce: r.responseNonce ?? '', error: r.errorDetail ? r.errorDetail : undefined };
}
