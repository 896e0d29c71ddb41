// A client connection of a request-balanced listener, as flow setup accounts for it (issue 13): one
// flow record per client connection (role listener, no single connector site), its requests listed
// with the target each went to, and the listener's counters, as for any flow at a listener.
import type net from 'node:net';
import type { Logger } from 'pino';
import type { ListenerPort } from '../listener.js';
import type { FlowRecords, FlowStart } from '../flow-records.js';
import type { FlowStats } from '../flow-stats.js';
import type { RoutingNode } from '../routing-node.js';
import { keysOf } from '../listener.js';
import { chooseKey } from '../routing/key-choice.js';
import { RequestBalancer } from './request-balancer.js';
import { StreamBalancer } from './stream-balancer.js';
import type { Upstreams } from './upstreams.js';
import type { ListenerBalancer } from './listener-balancer.js';

export interface BalancedClientEnv {
  siteId: string;
  siteName: string;
  records: FlowRecords;
  stats: FlowStats;
  routing: RoutingNode;
  upstreams: Upstreams;
  log: Logger;
  /** the record's id */
  id: string;
}

/** Hands `client` to its listener's balancer (made on the first client, and returned) with its flow
 *  record; refused at once (reset) when no key of the listener is reachable. */
export function acceptBalanced(listener: ListenerPort, client: net.Socket, env: BalancedClientEnv): ListenerBalancer {
  const { routing } = env;
  const deps = { siteId: env.siteId, routes: () => routing.routes, reachable: (k: string) => routing.reachable(k), upstreams: env.upstreams, log: env.log };
  // http2 streams (gRPC calls) one by one, or http1 requests (the listener's type chooses).
  const balancer = (listener.balancer ??= listener.spec.type === 'http2' ? new StreamBalancer(listener.spec, deps) : new RequestBalancer(listener.spec, deps));
  // The key now, for the record; each request chooses again (a multi-key listener may move on).
  const key = chooseKey({ mode: listener.spec.mode ?? 'single', keys: keysOf(listener.spec) }, (k) => routing.reachable(k), new Map());
  const start: FlowStart = {
    id: env.id, role: 'listener', key: key ?? listener.spec.routingKey, listenerSite: env.siteName, connectorSite: '', peerSite: '',
    endpoint: listener.spec.name, client: `${client.remoteAddress}:${client.remotePort}`, target: '',
  };
  if (key === undefined) { client.resetAndDestroy(); env.stats.flowsFailed++; env.records.refused(start, 'no_route', 'no reachable connector'); return balancer; }
  listener.flowsOpened++;
  listener.flowsActive++;
  env.stats.flowsOpened++;
  // Node's HTTP server (HTTP/1.1 or HTTP/2) reads the socket itself (no 'data' events): bytes are the socket's own counts.
  const counters = {
    get bytesFromApp() { return client.bytesRead; },
    get bytesToApp() { return client.bytesWritten; },
    firstFromAppAt: 0,
    firstToAppAt: 0,
  };
  const live = env.records.open(start, counters, true);
  let broken = false;
  client.on('error', () => { broken = true; });
  client.once('close', () => {
    listener.flowsActive--;
    listener.bytesIn += client.bytesRead;
    listener.bytesOut += client.bytesWritten;
    env.records.end(live, broken ? 'reset_by_client' : 'closed');
  });
  balancer.accept(client, {
    request: (q) => {
      if (counters.firstFromAppAt === 0) counters.firstFromAppAt = performance.now() - q.durationMs;
      if (counters.firstToAppAt === 0) counters.firstToAppAt = performance.now();
      env.records.request(live, q);
    },
    malformed: (reason) => env.records.httpError(live, reason),
  });
  return balancer;
}
