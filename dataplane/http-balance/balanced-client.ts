// A client connection of a request-balanced listener, as flow setup accounts for it (issue 13): one
// flow record per client connection (role listener, no single connector site), its requests listed
// with the target each went to, and the listener's counters, as for any flow at a listener.
import type net from 'node:net';
import type { ListenerPort } from '../listener.js';
import type { FlowRecords, FlowStart } from '../flow-records.js';
import type { FlowStats } from '../flow-setup.js';
import type { RequestBalancer } from './request-balancer.js';

export interface BalancedClientEnv {
  records: FlowRecords;
  stats: FlowStats;
  siteName: string;
  /** the record's id */
  id: string;
  /** the key the listener serves now (for the record), undefined when none is reachable */
  key: string | undefined;
}

/** Hands `client` to `balancer` with its flow record; refused at once (reset) when no key is reachable. */
export function acceptBalanced(balancer: RequestBalancer, listener: ListenerPort, client: net.Socket, env: BalancedClientEnv): void {
  const start: FlowStart = {
    id: env.id, role: 'listener', key: env.key ?? listener.spec.routingKey, listenerSite: env.siteName, connectorSite: '', peerSite: '',
    endpoint: listener.spec.name, client: `${client.remoteAddress}:${client.remotePort}`, target: '',
  };
  if (env.key === undefined) { client.resetAndDestroy(); env.stats.flowsFailed++; env.records.refused(start, 'no_route', 'no reachable connector'); return; }
  listener.flowsOpened++;
  listener.flowsActive++;
  env.stats.flowsOpened++;
  // Node's HTTP server reads the socket itself (no 'data' events): bytes are the socket's own counts.
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
}
