// A connector: the real server that receives a routing key's flows on this site. A server that
// refuses connections marks its connector unready; a probe brings it back when the server does.
import net from 'node:net';
import type { Logger } from 'pino';
import * as P from '../wasm/assembly/protocol.js';
import { LINK_LIMITS } from './link-budget.js';
import { connectTls, TlsFailures } from './app-tls.js';
import { withHeadroomReads, type HeadroomReads } from './headroom-reads.js';
import { LogBudget } from '../common/log-budget.js';

import type { ConnectorSpec } from './port/push.js';

export type { ConnectorSpec };

export const PROBE_EVERY_MS = 1000;
/** How long a deleted connector's open flows may run on before they are reset. */
export const DEFAULT_DRAIN_MS = 30_000;

/** An open flow to a connector, as draining needs it. */
export interface Drainable { resetLocal(code: number, why: string): void }

export class ConnectorTarget {
  ready = true;
  message = 'ready';
  flowsOpened = 0;
  flowsActive = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** set when the connector is deleted: no new flows, existing ones drain */
  retired = false;
  private probe: NodeJS.Timeout | undefined;
  /** flows open to this connector's server */
  readonly flows = new Set<Drainable>();
  /** concurrent flows this connector takes; beyond, OPENs are refused (ERR_STREAM_QUOTA) */
  readonly maxFlows = LINK_LIMITS.connectorFlows;

  constructor(readonly spec: ConnectorSpec, private readonly onReadyChange: (c: ConnectorTarget) => void = () => {}) {}

  /** TLS handshakes with the server that failed (issue 15) */
  readonly tlsFailures = new TlsFailures();
  private budget: LogBudget | undefined;

  /**
   * A connection to the server for one flow: plain TCP reading through `reads` when given, or TLS
   * when the spec says so; a TLS socket takes no `onread`, so its flow reads 'data' events (reads
   * is then undefined in the result).
   */
  dial(reads: HeadroomReads | undefined, log: Logger): { socket: net.Socket; reads?: HeadroomReads } {
    const { host, port, tls } = this.spec;
    if (tls) return { socket: connectTls(host, port, tls, (err) => (err === undefined ? this.tlsOk() : this.tlsFailed(err, log))) };
    const opts = { host, port, allowHalfOpen: true, noDelay: true };
    return { socket: net.connect(reads ? withHeadroomReads(opts, reads) : opts), reads };
  }

  /** TLS to the server failed: the server is up, so the connector stays ready; status says why, the log says it rate-limited. */
  private tlsFailed(reason: string, log: Logger): void {
    this.tlsFailures.add(reason);
    (this.budget ??= new LogBudget(log)).warn(`connector-tls:${this.spec.name}`, { connector: this.spec.name, server: `${this.spec.host}:${this.spec.port}`, err: this.tlsFailures.last }, 'TLS handshake with the server failed');
    if (this.retired || !this.ready) return;
    this.message = `TLS to server ${this.spec.host}:${this.spec.port} failed: ${this.tlsFailures.summary()}`;
  }

  /** A TLS handshake with the server succeeded: a TLS failure shown in status is over. */
  private tlsOk(): void {
    if (this.ready && this.message.startsWith('TLS to server')) this.message = 'ready';
  }

  /** The server refused a connection: stop sending flows here and probe until it accepts again. */
  markRefused(reason: string): void {
    if (this.retired) return;
    this.message = `server ${this.spec.host}:${this.spec.port} refused a connection (${reason}); probing every ${PROBE_EVERY_MS} ms`;
    if (!this.ready) return;
    this.ready = false;
    this.onReadyChange(this);
    this.probe = setInterval(() => this.tryOnce(), PROBE_EVERY_MS);
    this.probe.unref();
  }

  private tryOnce(): void {
    const s = net.connect({ host: this.spec.host, port: this.spec.port });
    s.once('connect', () => {
      s.destroy();
      if (this.ready || this.retired) return;
      clearInterval(this.probe);
      this.ready = true;
      this.message = 'ready';
      this.onReadyChange(this);
    });
    s.once('error', () => s.destroy());
  }

  /** Deleted: no new flows; open ones may finish within `drainMs`, then they are reset. */
  retire(drainMs = DEFAULT_DRAIN_MS): void {
    this.retired = true;
    clearInterval(this.probe);
    if (this.flows.size === 0) return;
    setTimeout(() => {
      for (const f of [...this.flows]) f.resetLocal(P.ERR_ABORTED, `connector ${this.spec.name} deleted; drain time of ${drainMs} ms is over`);
    }, drainMs).unref();
  }
}

/** The ready connector of `key` with the fewest open flows, or the one `affinityHash` points at. */
export function pickConnector(all: Iterable<ConnectorTarget>, key: string, affinityHash?: number): ConnectorTarget | undefined {
  const ready = [...all].filter((c) => c.spec.routingKey === key && c.ready && !c.retired);
  if (ready.length === 0) return undefined;
  if (affinityHash !== undefined) {
    ready.sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1));
    return ready[affinityHash % ready.length];
  }
  let best = ready[0];
  for (const c of ready) if (c.flowsActive < best.flowsActive) best = c;
  return best;
}
