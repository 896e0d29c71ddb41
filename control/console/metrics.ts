// The site's Prometheus registry (prom-client): families read from the site and engine status at
// each scrape, the flow families fed by the engine's batches (flow-metrics.ts), and the control
// process's own process and event-loop metrics. Units are seconds and bytes.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RuntimeStatus } from '../state/site-store.js';
import type { EngineStatus } from '../../dataplane/port/report.js';
import { FlowMetrics } from './flow-metrics.js';

/** Where the scrape-time families read from. */
export interface MetricsSource {
  status(): RuntimeStatus;
  /** the engine's last status; undefined while it restarts */
  engine(): EngineStatus | undefined;
}

type Rows = [Record<string, string>, number][];

export class SiteMetrics {
  readonly registry = new Registry();
  /** the families the engine's flow batches feed */
  readonly flows: FlowMetrics;
  /** the last peer seen on each link: its series keep that label while the link is down */
  private readonly peers = new Map<string, string>();
  private snapshot: { s: RuntimeStatus; e: EngineStatus | undefined } | undefined;

  /** `processMetrics`: also export this process's CPU, memory, GC and event-loop lag (once per process). */
  constructor(private readonly src: MetricsSource, o: { processMetrics?: boolean } = {}) {
    this.flows = new FlowMetrics(this.registry);
    if (o.processMetrics) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters, which `promtool check metrics` rejects: left out.
      for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(n);
    }
    const e = () => this.now().e;
    const s = () => this.now().s;
    this.counter('svcnet_flows_opened_total', 'Flows opened at this site since its engine started (listeners and connectors).', () => [[{}, e()?.counters.flowsOpened ?? 0]]);
    this.counter('svcnet_flows_failed_total', 'Flows that could not be opened or ended in error, since the engine started.', () => [[{}, e()?.counters.flowsFailed ?? 0]]);
    this.counter('svcnet_opens_refused_total', 'Stream OPENs from peers refused (RESET only) by a per-link quota, the OPEN rate, a connector\'s flow cap, the relay cap or the relay slot reserve.', () => [[{}, e()?.counters.opensRefused ?? 0]]);
    this.counter('svcnet_illegal_transitions_total', 'Link, flow or relay state-machine moves refused as illegal in the engine: a bug in svcnet (logged once per kind), never a peer\'s doing.', () => [[{}, e()?.counters.illegalTransitions ?? 0]]);
    this.gauge('svcnet_streams_active', 'Streams open in the forwarding core (flows and relay halves).', () => [[{}, e()?.streamsActive ?? 0]]);
    this.gauge('svcnet_link_up', 'Links by name: 1 when ready. peer_site is the last site seen at the other end, kept while the link is down.', () => this.links(s()), ['link', 'direction', 'peer_site']);
    this.counter('svcnet_link_bytes_total', 'Bytes each link carried (frames, before TLS) since the engine started, by direction (in, out); a link that reconnects keeps counting under its name.', () => s().links.flatMap((l) => [
      [{ link: l.name, direction: 'in' }, l.bytesIn ?? 0], [{ link: l.name, direction: 'out' }, l.bytesOut ?? 0]] as Rows), ['link', 'direction']);
    this.gauge('svcnet_listener_flows_active', 'Open flows per listener.', () => s().listeners.map((l) => [{ listener: l.name, routing_key: l.routingKey }, l.flowsActive]), ['listener', 'routing_key']);
    this.gauge('svcnet_connector_flows_active', 'Open flows per connector.', () => s().connectors.map((c) => [{ connector: c.name, routing_key: c.routingKey }, c.flowsActive]), ['connector', 'routing_key']);
    this.gauge('svcnet_network_sites', 'Sites known in the network.', () => [[{}, s().network.sites.length]]);
    this.counter('svcnet_refused_total', 'Handshakes, redemptions and renewals refused, by error code (docs/errors.md).', () => Object.entries((s().security?.refused ?? {}) as Record<string, number>).map(([code, n]) => [{ code }, n]), ['code']);
    this.counter('svcnet_event_loop_stalls_total', 'Times an event loop was blocked (process: control = API, console, PKI; engine = links and flows, where a stall risks peers seeing a dead link).', () => [
      [{ process: 'control' }, s().eventLoop?.stalls ?? 0], [{ process: 'engine' }, e()?.eventLoop.stalls ?? 0]], ['process']);
    this.gauge('svcnet_event_loop_longest_stall_seconds', 'Longest event-loop stall of each process (seconds).', () => [
      [{ process: 'control' }, (s().eventLoop?.longestMs ?? 0) / 1000], [{ process: 'engine' }, (e()?.eventLoop.longestMs ?? 0) / 1000]], ['process']);
    this.counter('svcnet_engine_restarts_total', 'Times the data-plane engine died and was restarted.', () => [[{}, s().engine?.restarts ?? 0]]);
    this.gauge('svcnet_engine_resident_memory_bytes', 'Resident memory of the data-plane engine process.', () => [[{}, e()?.memory.rss ?? 0]]);
    this.gauge('svcnet_engine_heap_used_bytes', 'V8 heap in use in the data-plane engine process.', () => [[{}, e()?.memory.heapUsed ?? 0]]);
    // Bench traffic (issue 14) is counted here only, never in the flow families.
    this.counter('svcnet_bench_bytes_total', 'Bytes of `svcnet bench` streams this site sent and received at either end of a run (relayed bench bytes are in the link bytes only); never in the flow metrics.', () => [
      [{ direction: 'sent' }, e()?.bench?.bytesSent ?? 0], [{ direction: 'received' }, e()?.bench?.bytesReceived ?? 0]], ['direction']);
    this.counter('svcnet_bench_streams_total', 'Bench streams other sites opened toward this site: served, or refused (policy bench: false, a site outside the network, the cap).', () => [
      [{ outcome: 'served' }, e()?.bench?.streamsServed ?? 0], [{ outcome: 'refused' }, e()?.bench?.streamsRefused ?? 0]], ['outcome']);
  }

  /** The exposition text (Prometheus text format 0.0.4), with the status read once for the whole scrape. */
  async text(): Promise<string> {
    this.snapshot = { s: this.src.status(), e: this.src.engine() };
    try { return await this.registry.metrics(); } finally { this.snapshot = undefined; }
  }

  get contentType(): string { return this.registry.contentType; }

  private now(): { s: RuntimeStatus; e: EngineStatus | undefined } {
    return this.snapshot ?? { s: this.src.status(), e: this.src.engine() };
  }

  private links(s: RuntimeStatus): Rows {
    const rows: Rows = [];
    const present = new Set<string>();
    for (const l of s.links) {
      const id = `${l.direction}\u0000${l.name}`;
      present.add(id);
      if (l.peer) this.peers.set(id, l.peer);
      rows.push([{ link: l.name, direction: l.direction, peer_site: this.peers.get(id) ?? '' }, l.status === 'ready' ? 1 : 0]);
    }
    for (const id of this.peers.keys()) if (!present.has(id)) this.peers.delete(id); // a deleted link
    return rows;
  }

  /** A counter whose values are the engine's or the site's own totals, read at each scrape. */
  private counter(name: string, help: string, rows: () => Rows, labelNames: string[] = []): void {
    new Counter({ name, help, labelNames, registers: [this.registry], collect() { this.reset(); for (const [l, v] of rows()) this.inc(l, v); } });
  }

  private gauge(name: string, help: string, rows: () => Rows, labelNames: string[] = []): void {
    new Gauge({ name, help, labelNames, registers: [this.registry], collect() { this.reset(); for (const [l, v] of rows()) this.set(l, v); } });
  }
}
