// TypeScript shapes of the svcnet.v1 control messages (control/proto/svcnet/v1/*.proto) as
// @grpc/proto-loader produces them: lowerCamelCase fields, enums as strings, 64-bit as numbers.
import type { HttpRequest } from '../../dataplane/port/report.js';
import type { BenchProgress, BenchResult } from '../../dataplane/port/bench.js';

export interface Metadata { name: string; resourceVersion?: string }
export interface ResourceStatus {
  ready: boolean; state: string; message: string;
  flowsActive?: number; flowsOpened?: number; peerSite?: string; redeemed?: number; link?: string;
}
export type SpecField = 'site' | 'listener' | 'connector' | 'link' | 'accessGrant' | 'accessToken';
/** A resource on the wire: exactly one spec field set, matching kind. */
export interface Resource {
  apiVersion?: string; kind: string; metadata: Metadata; status?: ResourceStatus | null;
  site?: Record<string, unknown> | null; listener?: Record<string, unknown> | null; connector?: Record<string, unknown> | null;
  link?: Record<string, unknown> | null; accessGrant?: Record<string, unknown> | null; accessToken?: Record<string, unknown> | null;
  /** oneof discriminator set by the proto loader on received messages */
  spec?: SpecField;
}

export interface Manifest { source: string; text: string }
export interface ApplyRequest { resources?: Resource[]; manifests?: Manifest[]; createOnly?: boolean; dryRun?: boolean }
export interface ApplyResult {
  resource: Resource; action: string;
  /** an AccessGrant created without a code: the token that redeems it (only here; the site keeps the code's hash) */
  token?: Resource; tokenYaml?: string;
}
export interface ApplyResponse { results: ApplyResult[]; warnings: string[]; appliedNow: boolean }
export interface ResourceRef { kind: string; name: string; resourceVersion?: string }
export interface DeleteRequest { refs?: ResourceRef[]; manifests?: Manifest[]; ignoreNotFound?: boolean }
export interface DeleteResponse { deleted: ResourceRef[]; notFound: ResourceRef[]; appliedNow: boolean }
export interface GetRequest { kind: string; name?: string }
export interface ListRequest { kind?: string }
export interface ListResponse { resources: Resource[] }

export const EVENT_TYPES = ['SYNC', 'RESOURCE_APPLIED', 'RESOURCE_DELETED', 'LINK_UP', 'LINK_DOWN', 'ROUTES_CHANGED', 'FLOW_OPEN', 'FLOW_END', 'LINK_REFUSED'] as const;
export type EventType = typeof EVENT_TYPES[number];
export interface ResourceEvent { kind: string; name: string; resourceVersion: string; action: string }
export interface LinkEvent { name: string; direction: string; peerSite: string; reason: string; /** LINK_REFUSED: the stable code (SVCNET_ERR_CERT_REVOKED …) */ code?: string }
export interface RoutesEvent { version: number; reachableSites: string[]; routingKeys: string[] }
export interface FlowEvent { listener: string; routingKey: string; site: string; bytesIn: number; bytesOut: number; error: string }
export interface Event {
  seq: number; time: string; type: EventType;
  resource?: ResourceEvent | null; link?: LinkEvent | null; routes?: RoutesEvent | null; flow?: FlowEvent | null;
}
export interface WatchRequest { types?: EventType[] }

export interface NetworkLink { peerId: string; peerName: string; cost: number }
export interface NetworkSite { id: string; name: string; reachable: boolean; cost: number; links: NetworkLink[]; routingKeys: string[] }
export interface ServiceListener { site: string; name: string; host: string; port: number; state: string }
export interface ServiceConnector { site: string; cost: number; name: string; host: string; port: number; ready: boolean }
export interface Service { routingKey: string; listeners: ServiceListener[]; connectors: ServiceConnector[] }
/** `links`: this site's own links, with their state (a refused one says why). */
export interface Network { siteId: string; siteName: string; sites: NetworkSite[]; services: Service[]; links?: LinkMetric[] }

export interface LinkMetric { name: string; direction: string; peerSite: string; ready: boolean; state: string; message: string; cost: number }
export interface EndpointMetric { name: string; routingKey: string; flowsActive: number; flowsOpened: number }
export interface Metrics {
  flowsOpened: number; flowsFailed: number; streamsActive: number;
  links: LinkMetric[]; listeners: EndpointMetric[]; connectors: EndpointMetric[]; prometheus: string;
  /** the JSON of /api/traffic (issue 12) */
  trafficJson: string;
}

export interface ListFlowsRequest { routingKey?: string; site?: string; outcome?: string; state?: string; limit?: number }
export interface FlowRecordMessage {
  id: string; role: string; routingKey: string; listenerSite: string; connectorSite: string; peerSite: string; endpoint: string; client: string; target: string;
  startedAt: string; endedAt: string; bytesToServer: number; bytesToClient: number; ttfbMs: number; active: boolean; outcome: string; error: string;
  requests: HttpRequest[]; requestCount: number; httpError: string;
}
export interface ListFlowsResponse { flows: FlowRecordMessage[] }

export interface IssueTokenRequest { expirySeconds?: number; redemptions?: number }
export interface IssueTokenResponse { token: Resource; yaml: string }
export interface IssueAdminCertificateRequest { name: string; csr: string; days?: number }
export interface IssueAdminCertificateResponse { certificate: string; ca: string; endpoint: string }
export interface GenerateLinkRequest { peer: string; peerId: string; cost?: number }
export interface GenerateLinkResponse { yaml: string; name: string; grant: string }
export interface RotateCertificatesRequest { overlapSeconds?: number }
export interface RotateCertificatesResponse { renewed: string[] }
export interface Policy {
  linkAccess: boolean; allowAnyPeer: boolean; allowedPeers: string[]; exposeAllKeys: boolean; exposedKeys: string[]; inboundLinkCost: number;
  /** issue 14: bench streams from other sites are refused (policy bench: false) */
  refuseBench?: boolean;
}
export interface SetPolicyRequest { policy?: Partial<Policy> | null; updateMask?: string[] }
export interface SetPolicyResponse { policy: Policy; appliedNow: boolean }
export interface RevokeSiteRequest { site: string; reason?: string }
export interface RevokedLineage { lineage: string; grant: string; serials: string[] }
export interface RevokeSiteResponse { revoked: RevokedLineage[]; appliedNow: boolean }

/** RunBenchmark (issue 14): the request, and the events streamed back (the messages have the port's shapes). */
export interface RunBenchmarkRequest { to: string; from?: string; flows?: number; durationMs?: number; size?: number; maxBytes?: number; ends?: string }
export type BenchmarkProgress = BenchProgress;
export type BenchmarkResult = BenchResult;
export interface BenchmarkEvent { progress?: BenchmarkProgress | null; result?: BenchmarkResult | null; event?: 'progress' | 'result' }
