// Flow setup: a client at a listener (a stream toward the target's next hop, or a local splice), a
// peer's OPEN for a connector here (accepted flow) or for a site further on (relay). Each ends with
// an endpoint in the table and the counters and flow events that go with it.
import net from 'node:net';
import type { Logger } from 'pino';
import * as P from '../wasm/assembly/protocol.js';
import type { ForwardingCore } from './core/core.js';
import type { Outbox } from './outbox.js';
import type { Link } from './link.js';
import { HeadroomReads } from './headroom-reads.js';
import { Flow } from './flow.js';
import { MeteredRelayHalf, RelayCounters } from './metered-relay.js';
import { LocalSplice } from './local-splice.js';
import type { EndpointTable } from './endpoint-table.js';
import type { RoutingNode } from './routing-node.js';
import type { OpenAdmission, OpenRequest } from './open-admission.js';
import { keysOf, type ListenerPort, type ListenerSpec } from './listener.js';
import { pickConnector, type ConnectorTarget, type Drainable } from './connector.js';
import type { RouteTarget } from './routing/route-table.js';
import { chooseKey, addressHash } from './routing/key-choice.js';
import { sameSite } from '../common/identity.js';
import { randomBytes } from 'node:crypto';
import type { FlowInfo, FlowOutcome, FlowRole } from './port/report.js';
import { outcomeOf, relayOutcomeOf } from './flow-record.js';
import type { FlowRecords, FlowStart, LiveFlow } from './flow-records.js';
import type { Http1Core } from './core/http1-core.js';
import { Http1FlowObserver, type FlowTap } from './http-observer.js';
import type { Http2Core } from './core/http2-core.js';
import { Http2FlowObserver, http2CoreOf } from './http2-observer.js';
import { clip } from '../common/log-budget.js';
import { BENCH_KEY } from '../common/bench-request.js';
import { Upstreams } from './http-balance/upstreams.js';
import { acceptBalanced } from './http-balance/balanced-client.js';
import type { ListenerBalancer } from './http-balance/listener-balancer.js';
import type { FlowStats } from './flow-stats.js';

/** What flow setup reports, as one union (the data plane re-emits each under its kind). */
export type FlowEvent =
  | { kind: 'flow-open'; flow: FlowInfo }
  | { kind: 'flow-end'; flow: FlowInfo }
  | { kind: 'relay-end'; key: string; error?: string };

/** Where a relayed bench stream's record goes: nowhere (it must not show among application flows). */
type RelayRecords = { refused: FlowRecords['refused']; open: (...a: Parameters<FlowRecords['open']>) => LiveFlow | undefined };
const NO_RECORDS: RelayRecords = { refused: () => {}, open: () => undefined };

export interface FlowSetupDeps {
  siteId: string;
  siteName: string;
  /** a site's name by id (link state), for the records of flows from other sites */
  siteNameOf: (id: string) => string | undefined;
  /** every flow's record (flow-records.ts) */
  records: FlowRecords;
  core: ForwardingCore;
  outbox: Outbox;
  endpoints: EndpointTable;
  routing: RoutingNode;
  admission: OpenAdmission;
  connectors: () => Iterable<ConnectorTarget>;
  stats: FlowStats;
  event: (e: FlowEvent) => void;
  log: Logger;
  /** the HTTP/1.1 observers (issue 13), made on the first http1 flow */
  http1: () => Http1Core;
  /** a bench OPEN (BENCH_KEY) for this site: the in-engine sink or echo (bench/bench-server.ts, issue 14) */
  bench?: (link: Link, slot: number, req: OpenRequest) => void;
}

export class FlowSetup {
  /** open flows toward each target site, for balancing among equal-cost targets */
  private readonly flowsToSite = new Map<string, number>();
  private readonly splices = new Set<LocalSplice>();
  /** flow ids: a random prefix per engine run, then a counter (unique across restarts, cheap per flow) */
  private readonly idPrefix = randomBytes(6).toString('hex');
  private lastId = 0;
  private http1: Http1Core | undefined;
  /** connections of request-balanced listeners to their targets (issue 13), made on first use */
  private upstreams: Upstreams | undefined;
  private readonly balancers = new Set<ListenerBalancer>();
  private http2: Http2Core | undefined;

  constructor(private readonly d: FlowSetupDeps) {}

  /** The observer of a flow on an http1 or http2 listener, its requests going to the flow's record (issue 13);
   *  undefined for other types, and when every observer is taken (the flow is then carried unobserved). */
  private httpTap(spec: ListenerSpec, live: LiveFlow): FlowTap | undefined {
    if (spec.type !== 'http1' && spec.type !== 'http2') return undefined;
    const sink = this.d.records.sink(live);
    const o = spec.type === 'http1' ? new Http1FlowObserver((this.http1 ??= this.d.http1()), sink) : new Http2FlowObserver((this.http2 ??= http2CoreOf(this.d.core)), sink);
    return o.observing ? o : undefined;
  }

  /** A client connected to a listener: choose a key and a target, then open a stream or splice locally. */
  onClient(listener: ListenerPort, client: net.Socket): void {
    const d = this.d;
    const spec = listener.spec;
    if (spec.balance === 'request' && (spec.type === 'http1' || spec.type === 'http2')) return this.balanced(listener, client);
    const hash = spec.affinity ? addressHash(client.remoteAddress ?? '') : undefined;
    const key = chooseKey({ mode: spec.mode ?? 'single', keys: keysOf(spec) }, (k) => d.routing.reachable(k), listener.rr, hash);
    const pick = key === undefined ? undefined : d.routing.pick(key, (site) => this.flowsToSite.get(site) ?? 0, hash);
    const clientAddr = `${client.remoteAddress}:${client.remotePort}`;
    const start = (role: FlowRole, connectorSite: string, target = ''): FlowStart => ({
      id: this.newId(), role, key: key ?? spec.routingKey, listenerSite: d.siteName, connectorSite, peerSite: connectorSite, endpoint: spec.name, client: clientAddr, target,
    });
    if (!pick?.target || key === undefined) { client.resetAndDestroy(); d.stats.flowsFailed++; d.records.refused(start('listener', ''), 'no_route', 'no reachable connector'); return; }
    listener.flowsOpened++;
    listener.flowsActive++;
    d.stats.flowsOpened++;
    if (pick.target.site === d.siteId) {
      const c = pick.kind === 'local' ? pick.connector : undefined;
      return this.spliceLocal(listener, key, pick.target, client, c, start('local', d.siteName, c ? `${c.spec.host}:${c.spec.port}` : ''));
    }
    const slot = pick.kind === 'remote' ? d.core.openStream(pick.link.index) : 0;
    if (pick.kind !== 'remote' || slot === 0) {
      listener.flowsActive--;
      d.stats.flowsFailed++;
      client.resetAndDestroy();
      d.records.refused(start('listener', pick.target.siteName), 'refused', 'no free stream slot');
      return;
    }
    const { link, target } = pick;
    const rec = start('listener', target.siteName);
    const open: OpenRequest = { key, dst: target.site, src: d.siteId, client: clientAddr, affinity: hash, flow: rec.id };
    d.outbox.stream(link, P.FRAME_OPEN, slot, Buffer.from(JSON.stringify(open)));
    const ended = this.listenerSide(listener, key, target);
    const flow = new Flow(d.endpoints, slot, link, client, (f, error) => {
      f.tap?.end();
      ended(f.bytesFromApp, f.bytesToApp, error);
      this.recordEnd(live, outcomeOf(f.endCause, 'client'), error);
    });
    const live = d.records.open(rec, flow, true);
    flow.tap = this.httpTap(spec, live);
    d.endpoints.set(flow);
  }

  /** A client of a request-balanced http1 or http2 listener (http-balance/balanced-client.ts). */
  private balanced(listener: ListenerPort, client: net.Socket): void {
    this.upstreams ??= new Upstreams({ ...this.d, newId: () => this.newId() });
    this.balancers.add(acceptBalanced(listener, client, { ...this.d, upstreams: this.upstreams, id: this.newId() }));
  }

  /** Ends a live record with its outcome; the error text (a peer or app may have made it) is clipped. */
  private recordEnd(live: ReturnType<FlowRecords['open']>, outcome: FlowOutcome, error?: string): void {
    this.d.records.end(live, outcome, error === undefined ? undefined : clip(error));
  }

  /**
   * A local connector wins over any remote one: the two sockets are joined in this process. The
   * splice runs the Flow state machine and is accounted for on both sides, as a flow whose
   * listener and connector ends are both here: counters, bytes, flow-open and flow-end.
   */
  private spliceLocal(listener: ListenerPort, key: string, target: RouteTarget, client: net.Socket, c: ConnectorTarget | undefined, rec: FlowStart): void {
    const d = this.d;
    if (!c || !d.admission.connectorHasRoom(c, listener.spec.name)) {
      listener.flowsActive--; d.stats.flowsFailed++; client.resetAndDestroy();
      d.records.refused(rec, c ? 'refused' : 'no_route', c ? `connector ${c.spec.name} at its cap` : 'no local connector');
      return;
    }
    const server = c.dial(undefined, d.log).socket;
    server.once('error', (err: NodeJS.ErrnoException) => { if (err.code === 'ECONNREFUSED') c.markRefused(err.code); });
    const listenerEnded = this.listenerSide(listener, key, target);
    const connectorEnded = this.connectorSide(c, key);
    const splice = new LocalSplice(client, server, d.endpoints.illegal, (s, error) => {
      s.tap?.end();
      this.splices.delete(s);
      connectorEnded(s, s.bytesFromApp, s.bytesToApp, error);
      listenerEnded(s.bytesFromApp, s.bytesToApp, error);
      this.recordEnd(live, outcomeOf(s.endCause, 'client'), error);
    });
    const live = d.records.open(rec, splice, true);
    splice.tap = this.httpTap(listener.spec, live);
    this.splices.add(splice);
    c.flows.add(splice);
  }

  /**
   * The listener end of a new flow: counts it toward its target site and reports flow-open; the
   * returned callback, called once when the flow ends with the bytes read from and written to the
   * client, updates the listener's counters and reports flow-end.
   */
  private listenerSide(listener: ListenerPort, key: string, target: RouteTarget): (fromClient: number, toClient: number, error?: string) => void {
    const d = this.d;
    const name = listener.spec.name;
    this.countSite(target.site, 1);
    d.event({ kind: 'flow-open', flow: { listener: name, key, site: target.siteName } });
    return (fromClient, toClient, error) => {
      listener.flowsActive--;
      listener.bytesIn += fromClient;
      listener.bytesOut += toClient;
      this.countSite(target.site, -1);
      if (error) d.log.info({ listener: name, key, site: target.siteName, err: error }, 'flow reset');
      d.event({ kind: 'flow-end', flow: { listener: name, key, site: target.siteName, error, bytesIn: fromClient, bytesOut: toClient } });
    };
  }

  /**
   * The connector end of a new flow: counts it open at the connector; the returned callback, called
   * once when the flow ends with the bytes written to and read from the server, undoes that, adds the
   * bytes, and counts a failed flow if it did not end cleanly.
   */
  private connectorSide(c: ConnectorTarget, key: string): (flow: Drainable, toServer: number, fromServer: number, error?: string) => void {
    const d = this.d;
    c.flowsOpened++;
    c.flowsActive++;
    return (flow, toServer, fromServer, error) => {
      c.flows.delete(flow);
      c.flowsActive--;
      c.bytesIn += toServer;
      c.bytesOut += fromServer;
      if (error) {
        d.stats.flowsFailed++;
        d.log.info({ connector: c.spec.name, key, err: error }, 'flow reset');
      }
    };
  }

  /** A peer's OPEN: admitted (open-admission.ts), then accepted here or relayed on. Every path gives
   *  the slot an endpoint or queues its RESET (which releases it). */
  onOpen(link: Link, slot: number, payload: Buffer): void {
    const req = this.d.admission.admit(link, slot, payload);
    if (!req) return;
    // Bench streams never reach a connector here, and are carried on (relayed) unrecorded.
    if (req.key === BENCH_KEY && req.dst === this.d.siteId) { if (this.d.bench) this.d.bench(link, slot, req); else this.d.outbox.stream(link, P.FRAME_RESET, slot, null, P.ERR_POLICY_DENIED); return; }
    if (req.dst === this.d.siteId) this.accept(link, slot, req);
    else this.relay(link, slot, req, payload);
  }

  private accept(link: Link, slot: number, req: OpenRequest): void {
    const d = this.d;
    const c = pickConnector(d.connectors(), req.key, typeof req.affinity === 'number' ? req.affinity : undefined);
    const rec = this.remoteStart('connector', req, link, c ? `${c.spec.host}:${c.spec.port}` : '', c?.spec.name ?? '');
    if (!c) { d.outbox.stream(link, P.FRAME_RESET, slot, null, P.ERR_NO_ROUTE); d.records.refused(rec, 'no_route', 'no connector for the key here'); return; }
    if (!d.admission.connectorHasRoom(c, link.name)) {
      d.stats.flowsFailed++;
      d.records.refused(rec, 'refused', `connector ${c.spec.name} at its cap`);
      return d.admission.refuse(link, slot, 'connector cap', `connector ${c.spec.name} at its cap of ${c.maxFlows} flows`);
    }
    d.stats.flowsOpened++;
    const ended = this.connectorSide(c, req.key);
    const { socket: server, reads } = c.dial(new HeadroomReads(), d.log);
    server.once('error', (err: NodeJS.ErrnoException) => { if (err.code === 'ECONNREFUSED') c.markRefused(err.code); });
    const flow = new Flow(d.endpoints, slot, link, server, (f, error) => {
      ended(f, f.bytesToApp, f.bytesFromApp, error);
      this.recordEnd(live, outcomeOf(f.endCause, 'server'), error);
    }, reads);
    const live = d.records.open(rec, flow, false);
    c.flows.add(flow);
    d.endpoints.set(flow);
  }

  /**
   * Joins the peer's stream to one toward the next hop. The outbound slot is charged to no link's
   * MAX_PEER_STREAMS, so a relay is refused (RESET only) back to the site it came from, past the
   * inbound link's relay cap, and when it would eat into the slots kept for listeners and other links.
   */
  private relay(inLink: Link, inSlot: number, req: OpenRequest, payload: Buffer): void {
    const d = this.d;
    const next = d.routing.nextLink(req.dst);
    const rec = this.remoteStart('relay', req, inLink, '', '');
    // A relayed bench stream (issue 14) is kept out of the flow records and their metrics.
    const records: RelayRecords = req.key === BENCH_KEY ? NO_RECORDS : d.records;
    if (!next || sameSite(next.peer!.siteId, inLink.peer!.siteId)) { d.outbox.stream(inLink, P.FRAME_RESET, inSlot, null, P.ERR_NO_ROUTE); records.refused(rec, 'no_route', 'no route to the connector site'); return; }
    if (!d.admission.mayRelay(inLink, inSlot)) { records.refused(rec, 'refused', 'relay cap or reserve'); return; }
    const outSlot = d.core.openStream(next.index);
    if (outSlot === 0) { d.outbox.stream(inLink, P.FRAME_RESET, inSlot, null, P.ERR_NO_ROUTE); records.refused(rec, 'refused', 'no free stream slot'); return; }
    // The OPEN body must outlive this chunk: it is queued, and the chunk's memory is Node's.
    d.outbox.stream(next, P.FRAME_OPEN, outSlot, Buffer.from(payload));
    // Either half may see the relay's end first; the count drops exactly once.
    inLink.budget.relays++;
    let ended = false;
    const end = (error?: string) => {
      if (ended) return;
      ended = true;
      inLink.budget.relays--;
      d.event({ kind: 'relay-end', key: req.key, error });
      // a faces the client (its stream came from the listener side), b the server.
      if (live) this.recordEnd(live, a.endCause ? relayOutcomeOf(a.endCause, 'client') : relayOutcomeOf(b.endCause, 'server'), error);
    };
    const a = new MeteredRelayHalf(d.endpoints, inSlot, inLink, end);
    const b = new MeteredRelayHalf(d.endpoints, outSlot, next, end);
    MeteredRelayHalf.join(a, b);
    const live = records.open(rec, new RelayCounters(a, b), true);
    d.endpoints.set(a);
    d.endpoints.set(b);
  }

  /** The record of a flow a peer opened: ids and names from its OPEN, clipped (the peer chose them). */
  private remoteStart(role: 'connector' | 'relay', req: OpenRequest, from: Link, target: string, endpoint: string): FlowStart {
    const d = this.d;
    // A neighbour that floods no routing record is still named by its link's HELLO.
    const listenerSite = d.siteNameOf(req.src) ?? (from.peer?.siteId === req.src ? from.peer.siteName : clip(String(req.src), 64));
    const connectorSite = req.dst === d.siteId ? d.siteName : d.siteNameOf(req.dst) ?? clip(String(req.dst), 64);
    return {
      id: typeof req.flow === 'string' && req.flow.length > 0 ? clip(req.flow, 64) : this.newId(), role, key: clip(req.key, 256),
      listenerSite, connectorSite, peerSite: role === 'connector' ? listenerSite : connectorSite, endpoint,
      client: typeof req.client === 'string' ? clip(req.client, 64) : '', target,
    };
  }

  private newId(): string { return `${this.idPrefix}-${(++this.lastId).toString(36)}`; }

  private countSite(site: string, n: number): void {
    this.flowsToSite.set(site, (this.flowsToSite.get(site) ?? 0) + n);
  }

  /** Resets the local splices (stream endpoints are reset through the endpoint table). */
  shutdown(): void {
    for (const s of [...this.splices]) s.reset('site shutting down');
    for (const b of this.balancers) b.close();
  }
}
