// The network's traffic summaries as the engine reports them (issue 12): what each site (each
// engine, a routing node) says about its own flows and links, checked and held by the engine
// (dataplane/traffic/). Types only: control/console/traffic-view.ts turns them into /api/traffic.
import type { FlowRole } from './flow-role.js';

/** One routing key as one site carried it toward (or from) one peer site, since its engine started. */
export interface TrafficKeyRow {
  key: string;
  role: FlowRole;
  /** the site at the other end (flow-records.ts `peerSite`) */
  peerSite: string;
  /** flows opened (refused ones included), open now, and ended as failures (not closed, not reset by the client) */
  opened: number;
  active: number;
  failed: number;
  bytesToServer: number;
  bytesToClient: number;
  /** bytes per second each way over the origin's last interval */
  rateToServer: number;
  rateToClient: number;
  /** time to first byte (ms) over the last flows that had one: median and 99th percentile; -1 with none */
  ttfbP50Ms: number;
  ttfbP99Ms: number;
}

/** One link of the origin, each way since its engine started, and its rate over the last interval. */
export interface TrafficLinkRow {
  name: string;
  direction: 'outbound' | 'inbound';
  /** the peer's site name ('' when none answered yet) */
  peer: string;
  up: boolean;
  bytesIn: number;
  bytesOut: number;
  rateIn: number;
  rateOut: number;
}

/** HTTP status classes as `svcnet_http_requests_total` labels them; `none`: the connection ended before a response. */
export type HttpStatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'none';

/** HTTP requests one site observed on one routing key (at its http1 listeners), by status class, since its engine started. */
export interface TrafficHttpRow {
  key: string;
  requests: Record<HttpStatusClass, number>;
}

/**
 * How many listeners and connectors of one routing key one node has, and how many of them are
 * ready (listening; a connector's target answering), when the summary was made.
 */
export interface TrafficEndpointRow {
  key: string;
  listenersReady: number;
  listeners: number;
  connectorsReady: number;
  connectors: number;
}

/** One node's summary, as its origin signed it. */
export interface TrafficSummary {
  /** the node id (a site id, or `<site id>/worker-k` for its further engines) */
  origin: string;
  name: string;
  /** increasing per node, tied to its clock (epoch ms when made) */
  seq: number;
  /** the origin's summary period (ms): a summary older than a few of these is stale */
  intervalMs: number;
  keys: TrafficKeyRow[];
  links: TrafficLinkRow[];
  /** key rows the origin left out to stay within the size bound (the quietest ones) */
  omitted: number;
  /** HTTP requests by status class per key; absent when it observed none (and from sites before this field) */
  http?: TrafficHttpRow[];
  /** its listeners and connectors per key with their readiness; absent when it has none (and from sites before this field) */
  ends?: TrafficEndpointRow[];
}

/** A summary held by an engine: when it arrived (epoch ms, this host's clock) and whether its origin is reachable now. */
export interface HeldTraffic {
  summary: TrafficSummary;
  receivedAt: number;
  reachable: boolean;
  /** the engine's own summary */
  self: boolean;
}
