// Connections from a request-balanced listener to its targets (issue 13): a local connector's server
// is dialed directly; a remote target is a svcnet stream (OPEN naming the site, the lane in
// `affinity`) carried by a Flow whose application socket is one end of a stream pair, the other end
// going to the http.Agent pool. An error that means the server never saw a byte carries `notReached`,
// which makes a request safe to retry elsewhere (retry-safety.ts).
import net from 'node:net';
import type { Duplex } from 'node:stream';
import * as P from '../../wasm/assembly/protocol.js';
import type { ForwardingCore } from '../core/core.js';
import type { Outbox } from '../outbox.js';
import type { EndpointTable } from '../endpoint-table.js';
import type { RoutingNode } from '../routing-node.js';
import type { OpenAdmission, OpenRequest } from '../open-admission.js';
import type { ConnectorTarget } from '../connector.js';
import { Flow } from '../flow.js';
import { streamPair } from './stream-pair.js';
import type { BalanceTarget } from './target-choice.js';

export interface UpstreamDeps {
  siteId: string;
  core: ForwardingCore;
  outbox: Outbox;
  endpoints: EndpointTable;
  routing: RoutingNode;
  admission: OpenAdmission;
  connectors: () => Iterable<ConnectorTarget>;
  /** a fresh flow id (the far site's record of this connection carries it) */
  newId: () => string;
}

/** RESET codes from the far site that mean its server never saw a byte of the stream. */
const NOT_REACHED_CODES: ReadonlySet<number> = new Set([P.ERR_CONNECT_FAILED, P.ERR_NO_ROUTE, P.ERR_STREAM_QUOTA]);

/** An error of a connection that never reached a server (safe to retry what was written to it). */
export function notReachedError(message: string, code = 'SVCNET_NOT_REACHED'): Error {
  return Object.assign(new Error(message), { code, notReached: true });
}

/** Whether `err` says the server never saw a byte (ours, or a local connect refused). */
export function isNotReached(err: unknown): boolean {
  const e = err as { notReached?: boolean; code?: string } | undefined;
  return e?.notReached === true || e?.code === 'ECONNREFUSED';
}

export class Upstreams {
  constructor(private readonly d: UpstreamDeps) {}

  /** Names of the ready local connectors of `key` (the local targets). */
  localConnectors(key: string): string[] {
    const out: string[] = [];
    for (const c of this.d.connectors()) if (c.spec.routingKey === key && c.ready && !c.retired) out.push(c.spec.name);
    return out;
  }

  /** A new connection to `t` for `key`; it fails asynchronously (an 'error'), never by throwing. */
  connect(t: BalanceTarget, key: string, client: string): Duplex {
    return t.kind === 'local' ? this.local(t.connector, key) : this.remote(t.site, t.lane, key, client);
  }

  private local(name: string, key: string): Duplex {
    const c = [...this.d.connectors()].find((x) => x.spec.name === name && x.spec.routingKey === key);
    if (!c || !c.ready || c.retired || !this.d.admission.connectorHasRoom(c, 'request balancer')) return failed(notReachedError(`connector ${name} is not taking connections`));
    const s = net.connect({ host: c.spec.host, port: c.spec.port, noDelay: true });
    c.flowsOpened++;
    c.flowsActive++;
    const drainable = { resetLocal: () => s.resetAndDestroy() };
    c.flows.add(drainable);
    s.once('error', (err: NodeJS.ErrnoException) => { if (err.code === 'ECONNREFUSED') c.markRefused(err.code); });
    s.once('close', () => {
      c.flows.delete(drainable);
      c.flowsActive--;
      c.bytesIn += s.bytesWritten;
      c.bytesOut += s.bytesRead;
    });
    return s;
  }

  private remote(site: string, lane: number, key: string, client: string): Duplex {
    const d = this.d;
    const link = d.routing.nextLink(site);
    const slot = link ? d.core.openStream(link.index) : 0;
    if (!link || slot === 0) return failed(notReachedError(link ? 'no free stream slot' : `no route to site ${site}`));
    const open: OpenRequest = { key, dst: site, src: d.siteId, client, affinity: lane, flow: d.newId() };
    d.outbox.stream(link, P.FRAME_OPEN, slot, Buffer.from(JSON.stringify(open)));
    const { outer, inner } = streamPair();
    const flow = new Flow(d.endpoints, slot, link, inner as unknown as net.Socket, (f, error) => {
      if (error === undefined || outer.destroyed) return;
      const code = f.endCause?.code ?? P.ERR_ABORTED;
      // Reset by the far site before its server took the connection: nothing was delivered.
      outer.destroy(f.endCause?.by === 'peer' && NOT_REACHED_CODES.has(code) ? notReachedError(`far site refused: ${error}`) : Object.assign(new Error(error), { code: 'ECONNRESET' }));
    });
    d.endpoints.set(flow);
    return outer;
  }
}

/** A connection that fails at once (on the next tick, as a socket's connect error would). */
function failed(err: Error): Duplex {
  const { outer, inner } = streamPair();
  process.nextTick(() => { outer.destroy(err); inner.destroy(); });
  return outer;
}
