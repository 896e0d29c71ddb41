// The control plane → data-plane half of the port (Envoy ADS + SDS style): one resource set per
// type, each push carrying a version and a nonce, answered by an ACK or a NACK with the reason.
// Types only: control/ imports nothing else from dataplane/ (the push order lives with the
// publisher, control/xds/resource-types.ts).

/** What router replicas subscribe to (svcnet.v1.DataplaneDiscovery). */
export type RouterResourceType = 'certificates' | 'links' | 'listeners' | 'connectors';
/** A site's own engine also runs the link server: it subscribes to its certificate and to the admission set too. */
export type ResourceType = 'server' | 'admission' | RouterResourceType;

/** A key, its certificate and the CA certificates to trust (several during a CA rotation). */
export interface TlsMaterial {
  key: string;
  cert: string;
  ca: string[];
}

/** How a multi-key listener picks a key: failover in order, or smooth weighted round robin. */
export type KeyMode = 'single' | 'priority' | 'weighted';

/** What a listener or connector carries: opaque bytes (`tcp`), or HTTP observed on the way (issue 13). */
export type ServiceType = 'tcp' | 'http1' | 'http2';

/**
 * Application TLS of a listener (it terminates TLS for its clients) or a connector (it originates
 * TLS to its server), issue 15: the PEMs travel inline, so a change of credentials is a new version
 * of the listeners or connectors push and reopens that one port (open flows continue).
 */
export interface AppTlsSpec {
  /** the credentials' name (tlsCredentials), for status and logs */
  credentials: string;
  /** PEM key and certificate chain: a listener's server certificate; a connector's client certificate (sent when present) */
  key?: string;
  cert?: string;
  /** PEM CAs: a listener checks client certificates against them; a connector trusts them for its server (absent: the system's CAs) */
  ca?: string[];
  /** listener: refuse clients without a certificate signed by `ca` */
  requireClientCert?: boolean;
  /** connector: check that the server's certificate names the host (false only when written so) */
  verifyHostname?: boolean;
}

/** A listener port as the data plane runs it. */
export interface ListenerSpec {
  name: string;
  /** the first (or only) key; shown in status */
  routingKey: string;
  host: string;
  port: number;
  /** several keys (multi-key listener): by priority or weight; single otherwise */
  mode?: KeyMode;
  keys?: { key: string; weight: number }[];
  /** hash the client address to pick the target instead of balancing by open flows */
  affinity?: boolean;
  /** absent: tcp; http1 flows feed the HTTP/1.1 observer */
  type?: ServiceType;
  /** absent: plain TCP; set: clients speak TLS to this port, which presents `tls.cert` */
  tls?: AppTlsSpec;
  /** absent: connection (each client connection goes to one target); request: an http1 listener's requests are spread (issue 13) */
  balance?: Balance;
}

/** How a listener spreads its clients' traffic over the connectors of its key. */
export type Balance = 'connection' | 'request';

/** A real server that receives the flows of a routing key. */
export interface ConnectorSpec {
  name: string;
  routingKey: string;
  host: string;
  port: number;
  /** absent: tcp */
  type?: ServiceType;
  /** absent: plain TCP to the server; set: TLS, the server checked against `tls.ca` */
  tls?: AppTlsSpec;
}

/** An outbound link as pushed: its TLS material is named (`secret`), as Envoy's SDS does. */
export interface LinkResource {
  name: string;
  host: string;
  port: number;
  cost: number;
  /** name of a secret in the certificates resource set */
  secret: string;
  proxy?: string;
}

/** A named key, certificate and trusted CAs (SDS secret). */
export interface SecretResource extends TlsMaterial { name: string }

/** The link server (inbound links): where it listens, what it presents and which CAs it trusts. At most one. */
export interface ServerResource extends TlsMaterial {
  name: string;
  /** address the port binds */
  host: string;
  port: number;
}

/**
 * One certificate this site issued (pki/issued.json) as admission sees it: who it was issued to,
 * and, when it may not link here now (revoked lineage, refused by policy), the refusal. A verified
 * certificate whose serial is not in the set was not issued here and is refused too.
 */
export interface AdmissionEntry {
  /** normalized serial (lower-case hex, no leading zeros) */
  serial: string;
  siteId: string;
  site: string;
  grant: string;
  lineage: string;
  /** lowest cost the peer may announce (policy inboundLinkCost) */
  minCost: number;
  refusal?: { code: string; reason: string };
}

/** What each resource type carries. */
export interface ResourcesOf {
  server: ServerResource[];
  admission: AdmissionEntry[];
  certificates: SecretResource[];
  links: LinkResource[];
  listeners: ListenerSpec[];
  connectors: ConnectorSpec[];
}

/** The desired data-plane state, without versions: desired = f(resources, pki). */
export type DesiredState = { [T in ResourceType]: ResourcesOf[T] };

/** One push of one resource type. */
export interface Push<T extends ResourceType = ResourceType> {
  type: T;
  version: string;
  nonce: string;
  resources: ResourcesOf[T];
}

/** The answer to a push: ACK when `error` is absent (then `version` is the pushed one), NACK otherwise
 * (then `version` is the last accepted one, '' if none). */
export interface PushAck {
  type: ResourceType;
  version: string;
  nonce: string;
  error?: string;
}

/** A versioned snapshot of every type: what the control plane currently wants. */
export type DataplaneSnapshot = { [T in ResourceType]: Push<T> };
