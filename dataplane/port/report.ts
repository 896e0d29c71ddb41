// The data-plane → control half of the port: everything an engine tells its controller, as one
// discriminated union, plus the few commands the controller sends besides pushes. Types only.
import type { Push, PushAck, ResourceType } from './push.js';

/** Per pushed type: the accepted version and, if the latest push was refused, what and why. */
export interface PushStatus { version: string; nonce: string; refused?: { version: string; nonce: string; error: string; at: string } }

/** A link as status shows it. */
export interface LinkStatus {
  name: string;
  direction: 'outbound' | 'inbound';
  /** outbound: ready, connecting, backoff…; inbound: hello, ready, closed */
  status: string;
  message: string;
  peer?: string;
  peerId?: string;
  cost?: number;
}

export interface ListenerStatus { name: string; routingKey: string; port: number; status: string; message: string; flowsActive: number; flowsOpened: number }
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
  /** answers a barrier: every command sent before it has been handled */
  | { kind: 'barrier'; id: number };

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
  /** close links with GOAWAY and exit */
  | { kind: 'stop' };
