// The data plane of one site, composed: link table, endpoint table, routing node, bindings, OPEN
// admission and flow setup. The engine steers it only through setListeners, setConnectors and
// attachLink; it answers the links' events by handing each to the part it concerns.
import type { TLSSocket } from 'node:tls';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import * as P from '../wasm/assembly/protocol.js';
import type { ForwardingCore } from './core/core.js';
import { Outbox } from './outbox.js';
import type { Link, LinkEvents, PeerExpectation } from './link.js';
import { MIN_WINDOW, MAX_WINDOW } from './hello.js';
import type { ListenerSpec } from './listener.js';
import type { ConnectorSpec } from './connector.js';
import { LogBudget } from '../common/log-budget.js';
import type { LinkStateOptions } from './routing/link-state.js';
import type { RouteTable } from './routing/route-table.js';
import type { RoutesBudgetOptions } from './routing/routes-budget.js';
import { LinkTable } from './link-table.js';
import { EndpointTable } from './endpoint-table.js';
import { RoutingNode } from './routing-node.js';
import { Bindings } from './bindings.js';
import { OpenAdmission } from './open-admission.js';
import { FlowSetup, type FlowEvent } from './flow-setup.js';
import { reportIllegal } from './state-machine.js';
import { FlowRecords } from './flow-records.js';
import { http1CoreOf } from './http-observer.js';
import { BenchServer, type BenchStats } from './bench/bench-server.js';
import { BenchDriver } from './bench/bench-driver.js';
import { BenchEnds } from './bench/bench-ends.js';

/** What the data plane signs with: the site's identity key (common/identity.ts SiteIdentity). */
export interface IdentitySigner {
  /** base64 raw public key; the site id (or its prefix, for a router replica) is its hash */
  readonly pub: string;
  sign(data: Buffer): string;
}

export interface DataplaneOptions {
  siteId: string;
  siteName: string;
  /** signs our HELLO proofs and routing records */
  identity: IdentitySigner;
  core: ForwardingCore;
  /** receive credit per stream, bytes */
  window: number;
  /** how long flows of a deleted connector may continue (default 30 s) */
  drainMs?: number;
  log: Logger;
  /** routing-record re-origination period (default SVCNET_ROUTE_REFRESH_MS or 30 s); ages scale with it */
  refreshMs?: number;
  /** link-state database limits (tests) */
  linkState?: Partial<LinkStateOptions>;
  /** per-peer ROUTES budget (tests) */
  routesBudget?: RoutesBudgetOptions;
}

/**
 * Events (EventEmitter names, as the engine and link server subscribe): 'link-up' (link),
 * 'link-down' (link, reason), 'routes' (table, when some key's targets changed), 'flow-open' and
 * 'flow-end' (FlowInfo, listener side), 'relay-end' ({ key, error }).
 */
export class Dataplane extends EventEmitter implements LinkEvents {
  readonly core: ForwardingCore;
  readonly outbox: Outbox;
  /** opensRefused: OPENs refused by a quota, rate, relay cap or reserve, or connector cap (ERR_STREAM_QUOTA / ERR_STREAM_LIMIT) */
  readonly stats = { flowsOpened: 0, flowsFailed: 0, opensRefused: 0 };
  /** rate-limited warnings for what a peer or client can trigger at will */
  readonly warnings: LogBudget;
  /** every flow's record: active, recent, and the batches for metrics (flow-records.ts) */
  readonly flowRecords = new FlowRecords();
  private readonly linkTable: LinkTable;
  private readonly endpoints: EndpointTable;
  private readonly routing: RoutingNode;
  private readonly bindings: Bindings;
  private readonly admission: OpenAdmission;
  private readonly flows: FlowSetup;
  /** bench streams at either end (issue 14): counted here, never in flow records */
  readonly benchStats: BenchStats = { bytesSent: 0, bytesReceived: 0, streamsServed: 0, streamsRefused: 0 };
  /** serves other sites' bench streams (sinks, echoes) */
  readonly benchServer: BenchServer;
  /** runs this site's benches; emits 'bench-progress' (id, progress) and 'bench-end' (id, result, error) */
  readonly benchDriver: BenchDriver;
  /** the bench-ends worker thread (`--ends socket`): started on first use, stopped when idle */
  readonly benchEnds = new BenchEnds();
  /** TRAFFIC frames go here (the engine's traffic node, dataplane/traffic/); none set: ignored */
  trafficSink: ((from: Link, payload: Buffer) => void) | undefined;

  constructor(private readonly opts: DataplaneOptions) {
    super();
    if (!Number.isInteger(opts.window) || opts.window < MIN_WINDOW || opts.window > MAX_WINDOW) {
      throw new Error(`the stream window ${opts.window} (SVCNET_WINDOW) must be ${MIN_WINDOW}..${MAX_WINDOW} bytes: peers refuse a HELLO outside that range`);
    }
    const { core, log, identity } = opts;
    this.core = core;
    this.outbox = new Outbox(core);
    this.warnings = new LogBudget(log);
    this.linkTable = new LinkTable(core, this.outbox, {
      hello: { version: P.PROTOCOL_VERSION, siteId: opts.siteId, siteName: opts.siteName, window: opts.window, pub: identity.pub, traffic: true },
      sign: (b) => identity.sign(b),
    }, log);
    this.endpoints = new EndpointTable(core, this.outbox, (m, from, to) => reportIllegal(log, m, from, to));
    this.bindings = new Bindings({
      onClient: (l, sock) => this.flows.onClient(l, sock),
      reachable: (key) => this.routing.reachable(key),
      localKeysChanged: () => this.routing.refreshSelf(),
    }, log, opts.drainMs);
    this.routing = new RoutingNode(opts, this.linkTable, this.outbox, {
      localKeys: () => this.bindings.localKeys(),
      connectors: () => this.bindings.connectors.values(),
      applied: (table, keysChanged) => {
        this.bindings.updateReachability(table);
        if (keysChanged) this.emit('routes', table);
      },
    });
    this.admission = new OpenAdmission(core, this.outbox, this.stats, this.warnings);
    this.flows = new FlowSetup({
      siteId: opts.siteId, siteName: opts.siteName, siteNameOf: (id) => this.routing.lsdb.all.get(id)?.name, records: this.flowRecords,
      core, outbox: this.outbox, endpoints: this.endpoints, routing: this.routing, admission: this.admission,
      connectors: () => this.bindings.connectors.values(), stats: this.stats, log, http1: () => http1CoreOf(core),
      bench: (link, slot, req) => this.benchServer.accept(link, slot, req),
      event: (e: FlowEvent) => (e.kind === 'relay-end' ? this.emit(e.kind, { key: e.key, error: e.error }) : this.emit(e.kind, e.flow)),
    });
    this.benchServer = new BenchServer({
      io: this.endpoints, stats: this.benchStats, ends: this.benchEnds, known: (id) => this.routing.lsdb.has(id),
      refuse: (link, slot, why, code) => this.admission.refuse(link, slot, 'bench', why, 0, code),
    });
    this.benchDriver = new BenchDriver({
      siteId: opts.siteId, siteName: opts.siteName, io: this.endpoints, stats: this.benchStats, ends: this.benchEnds,
      nextLink: (id) => this.routing.nextLink(id), records: () => this.routing.lsdb.all,
      progress: (id, p) => this.emit('bench-progress', id, p), end: (id, result, error) => this.emit('bench-end', id, result, error),
    });
  }

  get siteId(): string { return this.opts.siteId; }
  get siteName(): string { return this.opts.siteName; }
  /** links by index (the core's link number) */
  get links(): (Link | undefined)[] { return this.linkTable.links; }
  get lsdb() { return this.routing.lsdb; }
  /** the current route snapshot (assignable for tests that stage a table) */
  get routes(): RouteTable { return this.routing.routes; }
  set routes(t: RouteTable) { this.routing.routes = t; }
  get listenerPorts() { return this.bindings.listenerPorts; }
  get connectors() { return this.bindings.connectors; }
  /** Refused HELLOs and routing records, by stable error name (status: security.refused). */
  get refusals(): Readonly<Record<string, number>> { return this.routing.refusals; }

  /** Takes a TLS socket that passed mutual verification and runs the link protocol on it. */
  attachLink(socket: TLSSocket, dialer: boolean, name: string, cost = 1, expect: PeerExpectation = {}): Link | undefined {
    return this.linkTable.attach(socket, dialer, name, cost, expect, this);
  }

  /** Makes the set of listeners equal `specs`: new ports open, removed ones close, flows continue. */
  setListeners(specs: ListenerSpec[]): void { this.bindings.setListeners(specs); }

  /** Makes the set of connectors equal `specs`; removed ones stop taking flows and drain. */
  setConnectors(specs: ConnectorSpec[]): void { this.bindings.setConnectors(specs); }

  /** Open flows and relays. */
  activeStreams(): number { return this.core.usedSlots(); }

  // ---- LinkEvents: each goes to the part it concerns ---------------------------------------

  onReady(link: Link): void {
    this.linkTable.ready(link);
    this.routing.greet(link);
    this.emit('link-up', link);
    this.routing.refreshSelf();
  }

  onDown(link: Link, reason: string): void {
    if (!this.linkTable.holds(link)) return;
    this.endpoints.abortLink(link.index, P.ERR_LINK_DOWN);
    this.linkTable.remove(link);
    this.emit('link-down', link, reason);
    this.routing.refreshSelf();
  }

  onRoutes(from: Link, payload: Buffer): void { this.routing.onRoutes(from, payload); }
  onTraffic(from: Link, payload: Buffer): void { this.trafficSink?.(from, payload); }
  onHelloRefused(link: Link, code: number, reason: string): void { this.routing.helloRefused(link, code, reason); }
  onOpen(link: Link, slot: number, payload: Buffer): void { this.flows.onOpen(link, slot, payload); }
  onRefusedOpen(link: Link, id: number, code: number): void { this.admission.refusedByCore(link, id, code); }
  onStreamError(link: Link, slot: number, code: number): void { this.endpoints.onStreamError(link, slot, code); }
  onData(slot: number, payload: Buffer): void { this.endpoints.onData(slot, payload); }
  onForward(target: number, payload: Buffer): void { this.endpoints.onForward(target, payload); }
  onCredit(slot: number): void { this.endpoints.onCredit(slot); }
  onClose(slot: number, released: boolean): void { this.endpoints.onClose(slot, released); }
  onReset(slot: number, code: number): void { this.endpoints.onReset(slot, code); }

  /** Closes everything: listeners, flows (reset), links. */
  shutdown(): void {
    this.bindings.closeListeners();
    this.benchDriver.stop();
    this.benchServer.stop();
    this.endpoints.resetAll(P.ERR_ABORTED, 'site shutting down');
    this.flows.shutdown();
    this.linkTable.goAwayAll(P.ERR_ABORTED, 'site shutting down');
    this.outbox.flush();
    this.routing.stop();
  }
}
