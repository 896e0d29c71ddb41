// Listener and connector readiness per routing key, as a node's traffic summary shares it (issue 12:
// a remote site's console shows which sites listen for and serve each key, and whether they are
// ready). Pure: the engine passes in its listeners' and connectors' states.
import type { TrafficEndpointRow } from '../port/traffic.js';
import { TRAFFIC_LIMITS } from './summary-codec.js';

/** One listener or connector: its routing key and whether it is ready. */
export interface EndpointState { key: string; ready: boolean }

/** Counts per key (sorted by key), at most TRAFFIC_LIMITS.keys rows (what a receiver takes). */
export function endpointRows(listeners: readonly EndpointState[], connectors: readonly EndpointState[]): TrafficEndpointRow[] {
  const rows = new Map<string, TrafficEndpointRow>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { key, listenersReady: 0, listeners: 0, connectorsReady: 0, connectors: 0 }));
    return r;
  };
  for (const l of listeners) { const r = row(l.key); r.listeners++; if (l.ready) r.listenersReady++; }
  for (const c of connectors) { const r = row(c.key); r.connectors++; if (c.ready) r.connectorsReady++; }
  return [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, TRAFFIC_LIMITS.keys);
}
