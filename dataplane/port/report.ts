// The data-plane → control half of the port: everything an engine tells its controller, as one
// discriminated union, plus the few commands the controller sends besides pushes. Types only.
import type { Push, PushAck, ResourceType } from './push.js';
import type { HeldTraffic } from './traffic.js';
import type { FlowRole } from './flow-role.js';
import type { BenchRequest, BenchProgress, BenchResult, BenchError } from './bench.js';

export type { FlowRole };

/** Per pushed type: the accepted version and, if the latest push was refused, what and why. */
export interface PushStatus { version: string; nonce: string; refused?: { version: string; nonce: string; error: string; at: string } }

/** Why the peer refused an outbound link (its GOAWAY), and what the dialer does about it (issue 15). */
export interface LinkRefusalStatus {
  /** stable name: SVCNET_ERR_CERT_REVOKED, SVCNET_ERR_POLICY_DENIED, … */
  code: string;
  /** the peer's reason (untrusted, clipped) */
  reason: string;
  /** the refusing site, as its verified server certificate names it */
  by: string;
  /** when (ISO) */
  at: string;
  /** held: not redialed until the link's credentials change (revoked); backoff: redialed at retryAt */
  redial: 'held' | 'backoff';
  retryAt?: string;
}

/** A link as status shows it. */
export interface LinkStatus {
  name: string;
  direction: 'outbound' | 'inbound';
  /** outbound: connecting, ready, retrying, refused, revoked (dataplane/redial.ts); inbound: hello, ready, closed */
  status: string;
  message: string;
  /** outbound: the peer's last refusal, until the link is up again */
  refusal?: LinkRefusalStatus;
  peer?: string;
  peerId?: string;
  cost?: number;
  /** bytes the link carried (frames, before TLS) under this name since the engine started, each way */
  bytesIn?: number;
  bytesOut?: number;
}

export interface ListenerStatus {
  name: string; routingKey: string; port: number; status: string; message: string; flowsActive: number; flowsOpened: number;
  /** a request-balanced listener (issue 13): requests per target (a local connector, or a remote site's lane) */
  targets?: BalanceTargetStatus[];
}
/** One target of a request-balanced listener: its requests sent (retries included), in flight, failed, retried here. */
export interface BalanceTargetStatus { target: string; site: string; pooled: boolean; requests: number; active: number; failed: number; retried: number }
export interface ConnectorStatus { name: string; routingKey: string; host: string; port: number; ready: boolean; message: string; flowsActive: number; flowsOpened: number }
export interface NetworkSite { id: string; name: string; cost: number | null; links: { peer: string; cost: number }[]; keys: string[] }

/** A listening port the engine owns: listening, retrying (port held), paused (out of fds)… */
export interface PortStatus { state: string; message: string }

/** Counters that only grow, for metrics. */
export interface EngineCounters {
  flowsOpened: number;
  flowsFailed: number;
  /** OPENs refused by a quota, rate, relay cap or reserve, or connector cap */
  opensRefused: number;
  /** inbound links closed because their certificate became revoked or refused by policy */
  linksClosed: number;
  /** times a port ran out of file descriptors */
  fdExhaustion: number;
  /** state-machine moves refused as illegal (a bug; dataplane/state-machine.ts) */
  illegalTransitions: number;
}

/** The engine's state, sent whenever it changed (at most every STATUS_EVERY_MS) and right after link and route events. */
export interface EngineStatus {
  pid: number;
  /** data-plane node id and name (a router replica's are "<site>/<replica>") */
  node: { id: string; name: string };
  links: LinkStatus[];
  listeners: ListenerStatus[];
  connectors: ConnectorStatus[];
  network: { sites: NetworkSite[]; routesVersion: number };
  counters: EngineCounters;
  /** streams open in the forwarding core (flows and relay halves) */
  streamsActive: number;
  /** refusals by stable code: handshakes, admission, ROUTES */
  refused: Record<string, number>;
  /** handshakes refused at the link port (all codes) */
  linksRefusedTotal: number;
  ports: { link?: PortStatus };
  /** the engine's own event loop: stalls ≥ SVCNET_STALL_WARN_MS and the longest (ms) */
  eventLoop: { stalls: number; longestMs: number };
  /** resident memory and heap of the engine's process (bytes) */
  memory: { rss: number; heapUsed: number };
  /** what the engine runs of each pushed type */
  pushes: Record<ResourceType, PushStatus>;
  /** bench streams (issue 14), counted apart from flows: bytes at either end here, streams served
   *  for other sites' runs and refused, runs driven and streams served now */
  bench?: { bytesSent: number; bytesReceived: number; streamsServed: number; streamsRefused: number; running: number; served: number };
}

/** One end of a flow at this site, as Watch and the flow events show it. */
export interface FlowInfo {
  listener: string;
  key: string;
  site: string;
  error?: string;
  bytesIn?: number;
  bytesOut?: number;
}

/** How a flow ended (docs/observability.md "Flow records"). Low-cardinality: a Prometheus label. */
export type FlowOutcome = 'closed' | 'reset_by_client' | 'reset_by_server' | 'reset_by_network' | 'aborted' | 'refused' | 'no_route';

/** One flow as one site saw it (engine: dataplane/flow-records.ts). Times are epoch ms. */
export interface FlowRecord {
  /** the same on every site the flow crosses (carried in its OPEN) */
  id: string;
  role: FlowRole;
  key: string;
  /** site names (a relay's are the ends it joins, as the OPEN names them) */
  listenerSite: string;
  connectorSite: string;
  /** the site at the other end (listener: connector site; connector: listener site; relay: connector site; local: this site) */
  peerSite: string;
  /** the listener or connector here; empty for a relay */
  endpoint: string;
  /** the client's address at the listener (ip:port) */
  client: string;
  /** the connector's target (host:port), where the connector end is here; else empty */
  target: string;
  startedAt: number;
  /** absent while the flow is active */
  endedAt?: number;
  /** bytes the client sent toward the server, and the server toward the client, through this site */
  bytesToServer: number;
  bytesToClient: number;
  /** ms from the start to the first byte from the server side passing this site; absent before */
  ttfbMs?: number;
  /** absent while the flow is active */
  outcome?: FlowOutcome;
  /** why it did not close cleanly (clipped text) */
  error?: string;
  /** HTTP requests observed on an http1 listener's flow (issue 13): the last HTTP_REQUESTS_KEPT */
  requests?: HttpRequest[];
  /** how many requests were observed in all */
  requestCount?: number;
  /** why the HTTP observer stopped following this flow (the bytes still passed unchanged) */
  httpError?: string;
}

/** Requests a flow record lists; earlier ones are only counted (requestCount). Bounded so that a ListFlows
 *  answer of 1,000 records stays well inside gRPC's 4 MiB message limit. */
export const HTTP_REQUESTS_KEPT = 32;

/** One HTTP request observed on a flow (issue 13). */
export interface HttpRequest {
  method: string;
  /** the first segment of the request's path ('' for `/`) */
  path: string;
  /** 0 when the connection ended before a response */
  status: number;
  bytesToServer: number;
  bytesToClient: number;
  /** from the first byte of the request to the last of its response, ms */
  durationMs: number;
  /** request-balanced listener (`balance: request`): the target that answered (connector, or site#lane) */
  target?: string;
  /** gRPC over HTTP/2: the grpc-status of the response's trailers, when there was one */
  grpcStatus?: number;
}

/** HTTP requests that completed since the last batch with one set of labels, and how long they took:
 *  counted into the buckets of common/request-seconds.ts (one per bound, the last above the largest). */
export interface HttpRequestGroup { key: string; method: string; statusClass: string; count: number; buckets: number[]; sumSeconds: number }

/** Which flow records to list. Site matches either end's site name. */
export interface FlowQuery {
  key?: string;
  site?: string;
  outcome?: FlowOutcome;
  /** active only, ended only (recent), or both (default) */
  state?: 'active' | 'recent' | 'all';
  /** at most this many, newest first (default 100, at most 1,000) */
  limit?: number;
}

/** Bytes that passed since the last batch, for one routing key and peer site. */
export interface FlowBytes { key: string; role: FlowRole; peerSite: string; toServer: number; toClient: number }

/** The flows that ended since the last batch with one set of labels: how many, and their
 *  durations and times to first byte in seconds (for histograms). */
export interface FlowEndGroup {
  key: string;
  role: FlowRole;
  peerSite: string;
  outcome: FlowOutcome;
  count: number;
  seconds: number[];
  ttfbSeconds: number[];
}

/** What the engine tells its controller about flows every status period and before each barrier
 *  answer: the flows that ended since the last batch (grouped by labels: one message costs little
 *  however many flows ended), and the bytes that moved (active flows too). */
export interface FlowBatch {
  ended: FlowEndGroup[];
  bytes: FlowBytes[];
  /** samples left out of `seconds` and `ttfbSeconds` because the batch was full (the flows are still counted) */
  overflow: number;
  /** HTTP requests observed (issue 13) and observers that stopped on bytes they could not follow, by key and reason */
  http?: HttpRequestGroup[];
  httpErrors?: { key: string; reason: string; count: number }[];
}

/** Everything an engine reports. */
export type EngineReport =
  /** the process listens for commands: init may be sent (a cluster worker loses what comes earlier) */
  | { kind: 'loaded' }
  | { kind: 'ready'; pid: number }
  | { kind: 'ack'; ack: PushAck }
  | { kind: 'status'; status: EngineStatus }
  | { kind: 'link-up'; link: LinkStatus }
  | { kind: 'link-down'; link: LinkStatus; reason: string }
  | { kind: 'routes'; version: number; reachableSites: string[]; routingKeys: string[] }
  | { kind: 'flow-open'; flow: FlowInfo }
  | { kind: 'flow-end'; flow: FlowInfo }
  /** flows that ended and bytes that moved since the last batch (always sent: metrics) */
  | { kind: 'flows'; batch: FlowBatch }
  /** answers list-flows */
  | { kind: 'flow-list'; id: number; records: FlowRecord[] }
  /** the network's traffic summaries this engine holds (port/traffic.ts), when they changed (issue 12) */
  | { kind: 'traffic'; held: HeldTraffic[] }
  /** answers a barrier: every command sent before it has been handled */
  | { kind: 'barrier'; id: number }
  /** a running bench (port/bench.ts, issue 14): progress, then exactly one bench-end */
  | { kind: 'bench-progress'; id: number; progress: BenchProgress }
  | { kind: 'bench-end'; id: number; result?: BenchResult; error?: BenchError };

/** How an engine is started: who it is, and what it signs with. Sent once, first. */
export interface EngineInit {
  siteId: string;
  siteName: string;
  /** PKCS#8 PEM of the site's Ed25519 identity key (signs HELLO proofs and routing records) */
  identityPem: string;
  /** receive window per stream, bytes */
  window: number;
  /** how long flows of a deleted connector may continue, ms */
  drainMs?: number;
  logLevel?: string;
  /** router replicas on one host: listeners open on spec.port + this offset */
  listenerPortOffset?: number;
  /** false: accept listener pushes but open no ports (a replica that only dials and serves connectors) */
  listeners?: boolean;
}

/** Everything a controller sends an engine. */
export type EngineCommand =
  | { kind: 'init'; init: EngineInit }
  | { kind: 'push'; push: Push }
  /** which per-flow events to report (they cost a message per flow) */
  | { kind: 'watch'; flows: boolean }
  | { kind: 'barrier'; id: number }
  /** the flow records that match (answered by flow-list with the same id) */
  | { kind: 'list-flows'; id: number; query: FlowQuery }
  /** close links with GOAWAY and exit */
  | { kind: 'stop' }
  /** run a bench toward another site (answered by bench-progress reports and one bench-end) */
  | { kind: 'bench'; id: number; req: BenchRequest }
  /** stop bench `id`: every flow is reset; its bench-end says cancelled */
  | { kind: 'bench-cancel'; id: number }
  /** whether this engine serves other sites' bench streams (site policy `bench`, default true) */
  | { kind: 'bench-serve'; allow: boolean };
