// The data plane of one site: links, flows, relays, listeners, connectors and the route table.
// The control plane steers it only through the public methods here (setListeners, setConnectors,
// attachLink); everything that touches sockets lives below this file.
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import * as P from '../wasm/assembly/protocol.js';
import type { ForwardingCore } from './core/core.js';
import { Outbox } from './outbox.js';
import { Link, LinkState, type LinkEvents, type PeerExpectation } from './link.js';
import { MIN_WINDOW, MAX_WINDOW } from './hello.js';
import { Flow } from './flow.js';
import { RelayHalf } from './relay.js';
import { sameSite } from '../common/identity.js';
import type { StreamEndpoint, StreamIO } from './endpoint.js';
import { ListenerPort, keysOf, type ListenerSpec } from './listener.js';
import { chooseKey, addressHash } from './routing/key-choice.js';
import { ConnectorTarget, pickConnector, type ConnectorSpec } from './connector.js';
import { LogBudget, clip } from '../common/log-budget.js';
import { LinkStateDb, type LinkStateOptions } from './routing/link-state.js';
import type { SiteRecord } from './routing/site-record.js';
import { buildRouteTable, pickTarget, sameKeys, type RouteTable } from './routing/route-table.js';
import type { RoutesBudgetOptions } from './routing/routes-budget.js';
import { RoutesIntake, verifyRecord, routesFrames, refreshMsFromEnv, peerKey, ORIGIN_PER_MINUTE } from './routes-intake.js';
import { protocolErrorName } from './errors.js';

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

/** The body of an OPEN frame: where the flow goes and where it came from. */
interface OpenRequest {
  key: string;
  dst: string;
  src: string;
  client?: string;
  /** client-address hash when the listener asks for session affinity */
  affinity?: number;
}

export class Dataplane extends EventEmitter implements LinkEvents, StreamIO {
  readonly core: ForwardingCore;
  readonly outbox: Outbox;
  readonly links: (Link | undefined)[] = new Array(P.MAX_LINKS);
  private readonly endpoints: (StreamEndpoint | undefined)[] = new Array(P.MAX_SLOTS);
  readonly lsdb: LinkStateDb;
  routes: RouteTable;
  readonly listenerPorts = new Map<string, ListenerPort>();
  readonly connectors = new Map<string, ConnectorTarget>();
  private readonly flowsToSite = new Map<string, number>();
  private readonly localSplices = new Set<net.Socket>();
  private routeVersion = 0;
  /** opensRefused: OPENs refused by a quota, rate, relay cap or reserve, or connector cap (ERR_STREAM_QUOTA / ERR_STREAM_LIMIT) */
  readonly stats = { flowsOpened: 0, flowsFailed: 0, opensRefused: 0 };
  /** rate-limited warnings for what a peer or client can trigger at will */
  readonly warnings: LogBudget;
  /** budgets, checks and refusal counters of incoming ROUTES (routes-intake.ts) */
  private readonly intake: RoutesIntake;
  private readonly refreshTimer: NodeJS.Timeout;
  /** route recomputations are coalesced (see scheduleRecompute): when the last one ran, and the one waiting */
  private lastRecompute = -Infinity;
  private recomputeCost = 0;
  private recomputeTimer: NodeJS.Timeout | undefined;
  /** applies routing records held back by their origin's rate (routes-intake.ts) */
  private pendingTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: DataplaneOptions) {
    super();
    if (!Number.isInteger(opts.window) || opts.window < MIN_WINDOW || opts.window > MAX_WINDOW) {
      throw new Error(`the stream window ${opts.window} (SVCNET_WINDOW) must be ${MIN_WINDOW}..${MAX_WINDOW} bytes: peers refuse a HELLO outside that range`);
    }
    this.core = opts.core;
    this.outbox = new Outbox(this.core);
    this.warnings = new LogBudget(opts.log);
    const refreshMs = opts.refreshMs ?? refreshMsFromEnv();
    const id = opts.identity;
    this.lsdb = new LinkStateDb(opts.siteId, opts.siteName, { pub: id.pub, sign: (b) => id.sign(b), verify: verifyRecord },
      { maxAgeMs: 4 * refreshMs, unreachableGraceMs: 2 * refreshMs, ...opts.linkState });
    this.routes = buildRouteTable(opts.siteId, this.lsdb.all, 0);
    this.intake = new RoutesIntake(this.lsdb, opts.siteId, opts.log, opts.routesBudget);
    this.refreshTimer = setInterval(() => this.refreshRecords(), refreshMs);
    this.refreshTimer.unref();
  }

  /** Every refresh period: re-originate our record (peers age records out) and drop stale or unreachable ones. */
  private refreshRecords(): void {
    this.flood([this.lsdb.refresh()]);
    const dropped = this.lsdb.expire(new Set(this.routes.paths.keys()));
    this.intake.prune(new Set(this.links.flatMap((l) => (l?.peer ? [peerKey(l.peer.siteId)] : []))));
    if (dropped.length) {
      this.opts.log.info({ sites: dropped.length }, 'routing records aged out');
      this.scheduleRecompute();
    }
  }

  get siteId(): string { return this.opts.siteId; }
  get siteName(): string { return this.opts.siteName; }

  // ---- links ----------------------------------------------------------------------------

  /** Takes a TLS socket that passed mutual verification and runs the link protocol on it. */
  attachLink(socket: TLSSocket, dialer: boolean, name: string, cost = 1, expect: PeerExpectation = {}): Link | undefined {
    const index = this.links.findIndex((l) => l === undefined);
    if (index < 0) {
      this.opts.log.error({ name }, `link refused: at most ${P.MAX_LINKS} links per site`);
      socket.destroy();
      return undefined;
    }
    const log = this.opts.log.child({ component: 'link', link: name, dialer });
    const hello = { version: P.PROTOCOL_VERSION, siteId: this.opts.siteId, siteName: this.opts.siteName, window: this.opts.window, cost, pub: this.opts.identity.pub };
    const link = new Link(index, socket, dialer, hello, (b) => this.opts.identity.sign(b), this, this.outbox, log, name, expect);
    this.links[index] = link;
    this.core.linkOpen(index, dialer);
    link.coreDecode = (chunk) => this.core.decode(index, chunk, link);
    link.start();
    return link;
  }

  onReady(link: Link): void {
    this.core.linkSetPeerWindow(link.index, link.peer!.window);
    // A new neighbour learns the whole database at once; later changes are flooded.
    for (const body of routesFrames([...this.lsdb.all.values()])) this.outbox.control(link, P.FRAME_ROUTES, body);
    this.emit('link-up', link);
    this.refreshSelf();
  }

  /** Refused HELLOs and routing records, by stable error name (status: security.refused). */
  get refusals(): Readonly<Record<string, number>> { return this.intake.refusals; }

  /** A peer's ROUTES: what verified is flooded on (routes-intake.ts); a faulty peer is reset, other links are unaffected. */
  onRoutes(from: Link, payload: Buffer): void {
    const peer = from.peer!;
    const r = this.intake.take({ siteId: peer.siteId, siteName: peer.siteName, link: from.name }, payload);
    if (r.changed.length) {
      this.flood(r.changed, from);
      this.scheduleRecompute();
    }
    if (this.intake.hasPending) this.schedulePending();
    if (r.fault) {
      this.intake.warnings.warn(r.fault.name, { link: from.name, peer: peer.siteName, peerId: peer.siteId }, `link reset: ${r.fault.reason}`);
      from.goAway(r.fault.code, `${r.fault.name}: ${r.fault.reason}`);
    }
  }

  onHelloRefused(link: Link, code: number, reason: string): void {
    const name = protocolErrorName(code);
    this.intake.count(name);
    this.intake.warnings.warn(`hello-${name}`, { link: link.name, remote: link.socket.remoteAddress, reason: clip(reason) }, 'link refused in handshake');
  }

  private flood(records: SiteRecord[], except?: Link): void {
    const bodies = routesFrames(records);
    for (const l of this.links) if (l && l !== except && l.state === LinkState.Ready) for (const b of bodies) this.outbox.control(l, P.FRAME_ROUTES, b);
  }

  onDown(link: Link, reason: string): void {
    if (this.links[link.index] !== link) return;
    for (let s = 1; s < P.MAX_SLOTS; s++) {
      const ep = this.endpoints[s];
      if (ep && ep.linkIndex === link.index) {
        this.endpoints[s] = undefined;
        ep.abort(P.ERR_LINK_DOWN);
      }
    }
    this.outbox.cancelLink(link.index);
    this.core.linkClose(link.index);
    this.links[link.index] = undefined;
    this.emit('link-down', link, reason);
    this.refreshSelf();
  }

  /** Ready links to the neighbour `siteId`, cheapest first. */
  private linkTo(siteId: string): Link | undefined {
    let best: Link | undefined;
    for (const l of this.links) {
      if (l && l.state === LinkState.Ready && l.peer!.siteId === siteId && (!best || l.peer!.cost < best.peer!.cost)) best = l;
    }
    return best;
  }

  // ---- routes ---------------------------------------------------------------------------

  /** Rebuilds our own site record from ready links and connectors; floods it if it changed. */
  refreshSelf(): void {
    const links = new Map<string, number>();
    for (const l of this.links) {
      if (l && l.state === LinkState.Ready) {
        const cur = links.get(l.peer!.siteId);
        links.set(l.peer!.siteId, cur === undefined ? l.peer!.cost : Math.min(cur, l.peer!.cost));
      }
    }
    const keys = [...this.connectors.values()].filter((c) => c.ready && !c.retired).map((c) => c.spec.routingKey);
    const rec = this.lsdb.updateSelf([...links].map(([peer, cost]) => ({ peer, cost })), keys);
    if (rec) this.flood([rec]);
    this.recompute();
  }

  /** Applies held-back records as their origins' rate allows, while any wait. */
  private schedulePending(): void {
    if (this.pendingTimer) return;
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = undefined;
      const changed = this.intake.drainPending();
      if (changed.length) {
        this.flood(changed);
        this.scheduleRecompute();
      }
      if (this.intake.hasPending) this.schedulePending();
    }, 60_000 / ORIGIN_PER_MINUTE);
    this.pendingTimer.unref();
  }

  /**
   * Recomputes routes at most once per RECOMPUTE_MS, or per four times the last one's duration if
   * longer (so churn costs at most about a fifth of the event loop): at once if none ran that
   * recently, otherwise once when the interval ends, covering every change in between. A peer can
   * send ROUTES far faster than a recomputation takes at 1,000 sites (tens of ms, O(V²)).
   */
  private scheduleRecompute(): void {
    if (this.recomputeTimer) return;
    const wait = this.lastRecompute + Math.max(Dataplane.RECOMPUTE_MS, 4 * this.recomputeCost) - performance.now();
    if (wait <= 0) { this.recompute(); return; }
    this.recomputeTimer = setTimeout(() => this.recompute(), wait);
    this.recomputeTimer.unref();
  }

  static readonly RECOMPUTE_MS = 50;

  private recompute(): void {
    clearTimeout(this.recomputeTimer);
    this.recomputeTimer = undefined;
    const start = performance.now();
    const next = buildRouteTable(this.opts.siteId, this.lsdb.all, ++this.routeVersion);
    const before = this.routes;
    this.routes = next;
    for (const l of this.listenerPorts.values()) l.setReachable(this.listenerReachable(l.spec, next));
    if (!sameKeys(before.keys, next.keys)) {
      this.opts.log.info({ version: next.version, keys: [...next.keys.keys()] }, 'routes changed');
      this.emit('routes', next);
    }
    this.lastRecompute = performance.now();
    this.recomputeCost = this.lastRecompute - start;
  }

  // ---- listeners and connectors (steered by the control plane) -------------------------

  /** Makes the set of listeners equal `specs`: new ports open, removed ones close, flows continue. */
  setListeners(specs: ListenerSpec[]): void {
    const want = new Map(specs.map((s) => [s.name, s]));
    for (const [name, l] of this.listenerPorts) {
      const s = want.get(name);
      if (!s || JSON.stringify(s) !== JSON.stringify(l.spec)) { l.close(); this.listenerPorts.delete(name); }
    }
    for (const s of specs) {
      if (this.listenerPorts.has(s.name)) continue;
      const l = new ListenerPort(s, (lp, sock) => this.onClient(lp, sock), this.opts.log.child({ component: 'listener' }));
      this.listenerPorts.set(s.name, l);
      l.setReachable(this.listenerReachable(s, this.routes));
    }
  }

  private listenerReachable(spec: ListenerSpec, table: RouteTable): boolean {
    return keysOf(spec).some((k) => table.keys.has(k.key));
  }

  /** Makes the set of connectors equal `specs`; removed ones stop taking flows and drain. */
  setConnectors(specs: ConnectorSpec[]): void {
    const want = new Map(specs.map((s) => [s.name, s]));
    for (const [name, c] of this.connectors) {
      const s = want.get(name);
      if (!s || JSON.stringify(s) !== JSON.stringify(c.spec)) { c.retire(this.opts.drainMs); this.connectors.delete(name); }
    }
    for (const s of specs) {
      if (this.connectors.has(s.name)) continue;
      this.connectors.set(s.name, new ConnectorTarget(s, (c) => {
        this.opts.log.info({ connector: c.spec.name, ready: c.ready }, c.ready ? 'connector ready again' : c.message);
        this.refreshSelf();
      }));
    }
    this.refreshSelf();
  }

  // ---- flows ----------------------------------------------------------------------------

  private onClient(listener: ListenerPort, client: net.Socket): void {
    const spec = listener.spec;
    const hash = spec.affinity ? addressHash(client.remoteAddress ?? '') : undefined;
    const routes = this.routes;
    const key = chooseKey({ mode: spec.mode ?? 'single', keys: keysOf(spec) }, (k) => routes.keys.has(k), listener.rr, hash);
    const target = key === undefined ? undefined : pickTarget(routes, key, (site) => this.flowsToSite.get(site) ?? 0, hash);
    if (!target || key === undefined) { client.resetAndDestroy(); this.stats.flowsFailed++; return; }
    listener.flowsOpened++;
    listener.flowsActive++;
    this.stats.flowsOpened++;
    if (target.site === this.opts.siteId) return this.spliceLocal(listener, key, client, hash);
    const link = this.linkTo(target.nextHop);
    const slot = link ? this.core.openStream(link.index) : 0;
    if (!link || slot === 0) {
      listener.flowsActive--;
      this.stats.flowsFailed++;
      client.resetAndDestroy();
      return;
    }
    const open: OpenRequest = { key, dst: target.site, src: this.opts.siteId, client: `${client.remoteAddress}:${client.remotePort}`, affinity: hash };
    this.outbox.stream(link, P.FRAME_OPEN, slot, Buffer.from(JSON.stringify(open)));
    this.countSite(target.site, 1);
    const flow = new Flow(this, slot, link, client, (f, error) => {
      listener.flowsActive--;
      listener.bytesIn += f.bytesFromApp;
      listener.bytesOut += f.bytesToApp;
      this.countSite(target.site, -1);
      if (error) this.opts.log.info({ listener: listener.spec.name, key, site: target.siteName, err: error }, 'flow reset');
      this.emit('flow-end', { listener: listener.spec.name, key, site: target.siteName, error, bytesIn: f.bytesFromApp, bytesOut: f.bytesToApp });
    });
    this.endpoints[slot] = flow;
    this.emit('flow-open', { listener: listener.spec.name, key, site: target.siteName });
  }

  /** A local connector wins over any remote one: join the two sockets in this process. */
  private spliceLocal(listener: ListenerPort, key: string, client: net.Socket, hash?: number): void {
    const c = pickConnector(this.connectors.values(), key, hash);
    if (!c || !this.connectorHasRoom(c, listener.spec.name)) { listener.flowsActive--; this.stats.flowsFailed++; client.resetAndDestroy(); return; }
    c.flowsOpened++;
    c.flowsActive++;
    const server = net.connect({ host: c.spec.host, port: c.spec.port, allowHalfOpen: true, noDelay: true });
    this.localSplices.add(server);
    client.pipe(server);
    server.pipe(client);
    const fail = () => { client.resetAndDestroy(); server.resetAndDestroy(); };
    const drainable = { resetLocal: fail };
    c.flows.add(drainable);
    client.on('error', fail);
    server.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'ECONNREFUSED') c.markRefused(err.code); fail(); });
    server.on('close', () => {
      c.flows.delete(drainable);
      this.localSplices.delete(server);
      c.flowsActive--;
      listener.flowsActive--;
    });
  }

  onOpen(link: Link, slot: number, payload: Buffer): void {
    // Every path below either gives the slot an endpoint or queues its RESET (which releases it).
    // A link dropped earlier in this chunk's dispatch (over budget) already released the slot.
    if (link.state === LinkState.Closed) return;
    if (!link.budget.opens.take(1, Date.now())) return this.refuseOpen(link, slot, 'OPEN rate', `more than ${link.budget.limits.opensPerSec} OPENs per second`);
    let req: OpenRequest;
    try {
      req = JSON.parse(payload.toString('utf8')) as OpenRequest;
      if (typeof req.key !== 'string' || typeof req.dst !== 'string') throw new Error('bad OPEN');
    } catch {
      // The peer's own fault (a relay checks the body before passing it on): it counts toward the GOAWAY.
      this.outbox.stream(link, P.FRAME_RESET, slot, null, P.ERR_BAD_STATE);
      this.warnings.warn('open-malformed', { link: link.name, peer: link.peer?.siteName }, 'malformed OPEN refused');
      if (!link.budget.refused(Date.now(), true)) link.overBudget('malformed OPENs', `more than ${link.budget.limits.refusalsBurst} malformed OPENs`);
      return;
    }
    if (req.dst === this.opts.siteId) this.acceptFlow(link, slot, req);
    else this.relay(link, slot, req, payload);
  }

  /** Refuses a peer's OPEN with ERR_STREAM_QUOTA (slot: queued RESET; rawId: never got a slot). A RESET
   *  only, never a GOAWAY: the link may be a hub relaying for others, or a busy link whose clients
   *  retry (issue 10 review B). Logged at a bounded rate, counted always. */
  private refuseOpen(link: Link, slot: number, kind: string, why: string, rawId = 0, code = P.ERR_STREAM_QUOTA): void {
    if (slot !== 0) this.outbox.stream(link, P.FRAME_RESET, slot, null, code);
    else this.outbox.resetRaw(link, rawId, code);
    this.stats.opensRefused++;
    link.budget.refused(Date.now(), false);
    this.warnings.warn(`open-refused:${kind}`, { link: link.name, peer: link.peer?.siteName, code: protocolErrorName(code), refusedOnLink: link.budget.opensRefused }, `OPEN refused: ${why}`);
  }

  /** Whether a connector takes one more flow (its cap protects the server behind it from a flood). */
  private connectorHasRoom(c: ConnectorTarget, from: string): boolean {
    if (c.flowsActive < c.maxFlows) return true;
    this.warnings.warn(`connector-full:${c.spec.name}`, { connector: c.spec.name, from, flowsActive: c.flowsActive }, `connector at its cap of ${c.maxFlows} concurrent flows; flow refused`);
    return false;
  }

  private acceptFlow(link: Link, slot: number, req: OpenRequest): void {
    const c = pickConnector(this.connectors.values(), req.key, typeof req.affinity === 'number' ? req.affinity : undefined);
    if (!c) { this.outbox.stream(link, P.FRAME_RESET, slot, null, P.ERR_NO_ROUTE); return; }
    if (!this.connectorHasRoom(c, link.name)) {
      this.stats.flowsFailed++;
      return this.refuseOpen(link, slot, 'connector cap', `connector ${c.spec.name} at its cap of ${c.maxFlows} flows`);
    }
    c.flowsOpened++;
    c.flowsActive++;
    this.stats.flowsOpened++;
    const server = net.connect({ host: c.spec.host, port: c.spec.port, allowHalfOpen: true });
    server.once('error', (err: NodeJS.ErrnoException) => { if (err.code === 'ECONNREFUSED') c.markRefused(err.code); });
    const flow = new Flow(this, slot, link, server, (f, error) => {
      c.flows.delete(f);
      c.flowsActive--;
      c.bytesIn += f.bytesToApp;
      c.bytesOut += f.bytesFromApp;
      if (error) {
        this.stats.flowsFailed++;
        this.opts.log.info({ connector: c.spec.name, key: req.key, err: error }, 'flow reset');
      }
    });
    c.flows.add(flow);
    this.endpoints[slot] = flow;
  }

  /**
   * Joins the peer's stream to one toward the next hop. The outbound slot is charged to no link's
   * MAX_PEER_STREAMS, so a relay is refused (RESET only) back to the site it came from, past the
   * inbound link's relay cap, and when it would eat into the slots kept for listeners and other links.
   */
  private relay(inLink: Link, inSlot: number, req: OpenRequest, payload: Buffer): void {
    const path = this.routes.paths.get(req.dst);
    const next = path ? this.linkTo(path.nextHop) : undefined;
    if (!next || sameSite(next.peer!.siteId, inLink.peer!.siteId)) { this.outbox.stream(inLink, P.FRAME_RESET, inSlot, null, P.ERR_NO_ROUTE); return; }
    const limits = inLink.budget.limits;
    if (inLink.budget.relays >= limits.relaysPerLink) return this.refuseOpen(inLink, inSlot, 'relay cap', `the link holds ${limits.relaysPerLink} relays`);
    if (P.MAX_SLOTS - 1 - this.core.usedSlots() <= limits.relayReserveSlots) return this.refuseOpen(inLink, inSlot, 'relay reserve', `fewer than ${limits.relayReserveSlots} free stream slots`);
    const outSlot = this.core.openStream(next.index);
    if (outSlot === 0) { this.outbox.stream(inLink, P.FRAME_RESET, inSlot, null, P.ERR_NO_ROUTE); return; }
    // The OPEN body must outlive this chunk: it is queued, and the chunk's memory is Node's.
    this.outbox.stream(next, P.FRAME_OPEN, outSlot, Buffer.from(payload));
    // Either half may see the relay's end first; the count drops exactly once.
    inLink.budget.relays++;
    let ended = false;
    const end = (error?: string) => {
      if (ended) return;
      ended = true;
      inLink.budget.relays--;
      this.emit('relay-end', { key: req.key, error });
    };
    const a = new RelayHalf(this, inSlot, inLink, end);
    const b = new RelayHalf(this, outSlot, next, end);
    RelayHalf.join(a, b);
    this.endpoints[inSlot] = a;
    this.endpoints[outSlot] = b;
  }

  private countSite(site: string, d: number): void {
    this.flowsToSite.set(site, (this.flowsToSite.get(site) ?? 0) + d);
  }

  // ---- stream events from links ---------------------------------------------------------

  onData(slot: number, payload: Buffer): void { this.endpoints[slot]?.onData(payload); }
  onForward(target: number, payload: Buffer): void { this.endpoints[target]?.onData(payload); }
  onCredit(slot: number): void { this.endpoints[slot]?.onCredit(); }
  onClose(slot: number, released: boolean): void { this.endpoints[slot]?.onRemoteClose(released); }

  onReset(slot: number, code: number): void {
    const ep = this.endpoints[slot];
    this.outbox.cancelSlot(slot);
    this.endpoints[slot] = undefined;
    ep?.onReset(code);
  }

  onStreamError(link: Link, slot: number, code: number): void {
    const ep = this.endpoints[slot];
    if (ep) { ep.resetLocal(code, `protocol error ${code}`); return; }
    // No endpoint: the OPEN was refused or is being reset, or the flow has just ended. A RESET may be
    // queued already (then this one finds the slot released and is dropped at encode); releasing the
    // slot here instead would leave the peer's stream without a RESET.
    this.outbox.stream(link, P.FRAME_RESET, slot, null, code);
  }

  onRefusedOpen(link: Link, id: number, code: number): void {
    const why = code === P.ERR_STREAM_QUOTA ? `the link holds ${P.MAX_PEER_STREAMS} streams opened by the peer` : 'the stream table is full';
    this.refuseOpen(link, 0, code === P.ERR_STREAM_QUOTA ? 'stream quota' : 'stream table', why, id, code);
  }

  uncorkLater(s: { uncork(): void }): void { this.outbox.uncorkLater(s); }

  done(ep: StreamEndpoint): void {
    if (this.endpoints[ep.slot] === ep) this.endpoints[ep.slot] = undefined;
  }

  /** Open flows and relays. */
  activeStreams(): number { return this.core.usedSlots(); }

  /** Closes everything: listeners, flows (reset), links. */
  shutdown(): void {
    for (const l of this.listenerPorts.values()) l.close();
    for (let s = 1; s < P.MAX_SLOTS; s++) this.endpoints[s]?.resetLocal(P.ERR_ABORTED, 'site shutting down');
    for (const sock of this.localSplices) sock.destroy();
    for (const l of this.links) l?.goAway(P.ERR_ABORTED, 'site shutting down');
    this.outbox.flush();
    clearInterval(this.refreshTimer);
    clearTimeout(this.recomputeTimer);
    clearTimeout(this.pendingTimer);
  }
}
