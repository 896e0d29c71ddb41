// Prometheus text exposition of a site's counters.
import type { RuntimeStatus } from '../state/site-store.js';
import type { EngineStatus } from '../../dataplane/port/report.js';

const esc = (v: string) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n'); // the text format's label escapes: a peer's name cannot start a line of its own

/** Renders /metrics from the status snapshot and the engine's counters (zero while it restarts). */
export function renderMetrics(s: RuntimeStatus, e: EngineStatus | undefined): string {
  const c = e?.counters ?? { flowsOpened: 0, flowsFailed: 0, opensRefused: 0 };
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, rows: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of rows) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${esc(x)}"`).join(',');
      out.push(`${name}${l ? `{${l}}` : ''} ${v}`);
    }
  };
  metric('svcnet_flows_opened_total', 'counter', 'Flows opened at this site (listeners and connectors).', [[{}, c.flowsOpened]]);
  metric('svcnet_flows_failed_total', 'counter', 'Flows that could not be opened or ended in error.', [[{}, c.flowsFailed]]);
  metric('svcnet_opens_refused_total', 'counter', 'Stream OPENs from peers refused (RESET only) by a per-link quota, the OPEN rate, a connector\'s flow cap, the relay cap or the relay slot reserve.', [[{}, c.opensRefused]]);
  metric('svcnet_streams_active', 'gauge', 'Streams open in the forwarding core (flows and relay halves).', [[{}, e?.streamsActive ?? 0]]);
  metric('svcnet_link_ready', 'gauge', 'Links by name: 1 when ready.', s.links.map((l) => [{ link: l.name, direction: l.direction, peer: l.peer ?? '' }, l.status === 'ready' ? 1 : 0]));
  metric('svcnet_listener_flows_active', 'gauge', 'Open flows per listener.', s.listeners.map((l) => [{ listener: l.name, routing_key: l.routingKey }, l.flowsActive]));
  metric('svcnet_connector_flows_active', 'gauge', 'Open flows per connector.', s.connectors.map((c) => [{ connector: c.name, routing_key: c.routingKey }, c.flowsActive]));
  metric('svcnet_network_sites', 'gauge', 'Sites known in the network.', [[{}, s.network.sites.length]]);
  const refused = (s.security?.refused ?? {}) as Record<string, number>;
  metric('svcnet_refused_total', 'counter', 'Handshakes, redemptions and renewals refused, by error code (docs/errors.md).', Object.entries(refused).map(([code, n]) => [{ code }, n]));
  metric('svcnet_event_loop_stalls_total', 'counter', 'Times the control process\'s event loop was blocked (API, console, PKI; links are in the engine).', [[{}, s.eventLoop?.stalls ?? 0]]);
  metric('svcnet_event_loop_longest_stall_ms', 'gauge', 'Longest event-loop stall of the control process (ms).', [[{}, s.eventLoop?.longestMs ?? 0]]);
  metric('svcnet_engine_event_loop_stalls_total', 'counter', 'Times the data-plane engine\'s event loop was blocked long enough to risk peers seeing a dead link.', [[{}, e?.eventLoop.stalls ?? 0]]);
  metric('svcnet_engine_event_loop_longest_stall_ms', 'gauge', 'Longest event-loop stall of the data-plane engine (ms).', [[{}, e?.eventLoop.longestMs ?? 0]]);
  metric('svcnet_engine_restarts_total', 'counter', 'Times the data-plane engine died and was restarted.', [[{}, s.engine?.restarts ?? 0]]);
  metric('svcnet_engine_resident_memory_bytes', 'gauge', 'Resident memory of the data-plane engine process.', [[{}, e?.memory.rss ?? 0]]);
  return out.join('\n') + '\n';
}
