// Prometheus families fed by the engine's flow batches (port/report.ts FlowBatch): flows by
// outcome, bytes each way, flow duration and time to first byte, observed HTTP requests — counted in this process, so they
// keep growing across engine restarts. Label values from peers are capped in number.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { FlowBatch } from '../../dataplane/port/report.js';
import { REQUEST_SECONDS_BOUNDS } from '../../common/request-seconds.js';
import { BucketedHistogram } from './bucketed-histogram.js';

/** Distinct routing keys (and peer sites) given labels of their own; more share OTHER. A peer
 *  chooses the key of an OPEN it sends, so without a cap it could grow the registry without end. */
export const LABEL_VALUES_MAX = 500;
export const OTHER = '_other';

/** Seconds: from a few ms (loopback) to hours (long-lived connections). */
const DURATION_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600, 3600];
const TTFB_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** A label value kept as is while fewer than `max` distinct ones were seen, else OTHER. */
class CappedLabel {
  private readonly seen = new Set<string>();
  constructor(private readonly max = LABEL_VALUES_MAX) {}
  of(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(v);
    return v;
  }
}

export class FlowMetrics {
  private readonly keys = new CappedLabel();
  private readonly sites = new CappedLabel();
  private readonly flows: Counter<'routing_key' | 'role' | 'peer_site' | 'outcome'>;
  private readonly bytes: Counter<'routing_key' | 'role' | 'direction' | 'peer_site'>;
  private readonly duration: Histogram<'routing_key' | 'role'>;
  private readonly ttfb: Histogram<'routing_key' | 'role'>;
  private readonly overflow: Counter;
  private readonly requests: Counter<'routing_key' | 'method' | 'status_class'>;
  private readonly requestSeconds: BucketedHistogram<'routing_key' | 'method' | 'status_class'>;
  private readonly fallbacks: Counter<'routing_key' | 'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.flows = new Counter({ name: 'svcnet_flows_total', help: 'Flows that ended at this site, by routing key, role (listener, connector, relay, local), peer site and outcome.', labelNames: ['routing_key', 'role', 'peer_site', 'outcome'], registers });
    this.bytes = new Counter({ name: 'svcnet_bytes_total', help: 'Bytes carried by flows through this site, by routing key, role, direction (to_server, to_client) and peer site; active flows count as they go.', labelNames: ['routing_key', 'role', 'direction', 'peer_site'], registers });
    this.duration = new Histogram({ name: 'svcnet_flow_duration_seconds', help: 'How long flows lasted, from the client\'s connection to the end of both directions or a reset.', labelNames: ['routing_key', 'role'], buckets: DURATION_BUCKETS, registers });
    this.ttfb = new Histogram({ name: 'svcnet_flow_first_byte_seconds', help: 'Time from a flow\'s start to the first byte from the server side passing this site.', labelNames: ['routing_key', 'role'], buckets: TTFB_BUCKETS, registers });
    this.requests = new Counter({ name: 'svcnet_http_requests_total', help: 'HTTP requests observed on flows of http1 and http2 listeners here, by routing key, method and status class (none: no response before the connection ended).', labelNames: ['routing_key', 'method', 'status_class'], registers });
    this.requestSeconds = new BucketedHistogram({ name: 'svcnet_http_request_duration_seconds', help: 'Time from an observed HTTP request\'s first byte to the last byte of its response, at the listener.', labelNames: ['routing_key', 'method', 'status_class'], bounds: REQUEST_SECONDS_BOUNDS, registers });
    this.fallbacks = new Counter({ name: 'svcnet_http_observer_fallbacks_total', help: 'Flows of http1 and http2 listeners whose bytes the HTTP observer could not follow (it stops observing; the bytes pass unchanged), by routing key and reason.', labelNames: ['routing_key', 'reason'], registers });
    this.overflow = new Counter({ name: 'svcnet_flow_samples_overflow_total', help: 'Ended flows counted in svcnet_flows_total but left out of the duration and first-byte histograms because a batch from the engine was full.', registers });
  }

  /** Counts one batch from the engine. */
  add(batch: FlowBatch): void {
    for (const g of batch.ended) {
      const routing_key = this.keys.of(g.key);
      this.flows.inc({ routing_key, role: g.role, peer_site: this.sites.of(g.peerSite), outcome: g.outcome }, g.count);
      const labels = { routing_key, role: g.role };
      for (const s of g.seconds) this.duration.observe(labels, s);
      for (const s of g.ttfbSeconds) this.ttfb.observe(labels, s);
    }
    for (const b of batch.bytes) {
      const labels = { routing_key: this.keys.of(b.key), role: b.role, peer_site: this.sites.of(b.peerSite) };
      if (b.toServer > 0) this.bytes.inc({ ...labels, direction: 'to_server' }, b.toServer);
      if (b.toClient > 0) this.bytes.inc({ ...labels, direction: 'to_client' }, b.toClient);
    }
    if (batch.overflow > 0) this.overflow.inc(batch.overflow);
    for (const g of batch.http ?? []) {
      const labels = { routing_key: this.keys.of(g.key), method: g.method, status_class: g.statusClass };
      this.requests.inc(labels, g.count);
      this.requestSeconds.add(labels, g.buckets, g.sumSeconds);
    }
    for (const e of batch.httpErrors ?? []) this.fallbacks.inc({ routing_key: this.keys.of(e.key), reason: e.reason }, e.count);
  }
}
