// This site as a routing node: its signed site record, flooding over ready links, peers' ROUTES
// (through routes-intake.ts), coalesced route recomputation into the immutable snapshot, and
// pick(): for a new flow, the target and either the next-hop link or the local connector.
import type { Logger } from 'pino';
import * as P from '../wasm/assembly/protocol.js';
import type { Link } from './link.js';
import type { LinkTable } from './link-table.js';
import type { Outbox } from './outbox.js';
import { pickConnector, type ConnectorTarget } from './connector.js';
import { LinkStateDb, type LinkStateOptions } from './routing/link-state.js';
import type { SiteRecord } from './routing/site-record.js';
import { buildRouteTable, pickTarget, sameKeys, type RouteTable, type RouteTarget } from './routing/route-table.js';
import type { RoutesBudgetOptions } from './routing/routes-budget.js';
import { RoutesIntake, verifyRecord, routesFrames, refreshMsFromEnv, peerKey, ORIGIN_PER_MINUTE } from './routes-intake.js';
import { protocolErrorName } from './errors.js';
import { clip } from '../common/log-budget.js';

/** Route recomputations run at most this often (or per four times the last one's duration, if longer). */
export const RECOMPUTE_MS = 50;

export interface RoutingNodeOptions {
  siteId: string;
  siteName: string;
  /** signs our routing records */
  identity: { readonly pub: string; sign(data: Buffer): string };
  log: Logger;
  /** record re-origination period (default SVCNET_ROUTE_REFRESH_MS or 30 s); ages scale with it */
  refreshMs?: number;
  linkState?: Partial<LinkStateOptions>;
  routesBudget?: RoutesBudgetOptions;
}

/** What the routing node needs from the rest of the data plane. */
export interface RoutingHooks {
  /** routing keys this site serves now (ready connectors that are not retired) */
  localKeys(): string[];
  /** this site's connectors, for flows whose target is this site */
  connectors(): Iterable<ConnectorTarget>;
  /** a new snapshot is in place; `keysChanged` when some key's targets changed */
  applied(table: RouteTable, keysChanged: boolean): void;
}

/** Where a new flow goes: through a link, to a local connector, or nowhere (`target` set when the key
 *  is routed but its next hop or connector is not available right now). */
export type Pick =
  | { kind: 'remote'; target: RouteTarget; link: Link }
  | { kind: 'local'; target: RouteTarget; connector: ConnectorTarget }
  | { kind: 'none'; target?: RouteTarget };

export class RoutingNode {
  readonly lsdb: LinkStateDb;
  /** the snapshot the hot path reads; replaced whole, never changed in place */
  routes: RouteTable;
  private routeVersion = 0;
  /** budgets, checks and refusal counters of incoming ROUTES (routes-intake.ts) */
  private readonly intake: RoutesIntake;
  private readonly refreshTimer: NodeJS.Timeout;
  /** recomputations are coalesced (see scheduleRecompute): when the last one ran, its cost, the one waiting */
  private lastRecompute = -Infinity;
  private recomputeCost = 0;
  private recomputeTimer: NodeJS.Timeout | undefined;
  /** applies routing records held back by their origin's rate (routes-intake.ts) */
  private pendingTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RoutingNodeOptions, private readonly links: LinkTable, private readonly outbox: Outbox, private readonly hooks: RoutingHooks) {
    const refreshMs = opts.refreshMs ?? refreshMsFromEnv();
    const id = opts.identity;
    this.lsdb = new LinkStateDb(opts.siteId, opts.siteName, { pub: id.pub, sign: (b) => id.sign(b), verify: verifyRecord },
      { maxAgeMs: 4 * refreshMs, unreachableGraceMs: 2 * refreshMs, ...opts.linkState });
    this.routes = buildRouteTable(opts.siteId, this.lsdb.all, 0);
    this.intake = new RoutesIntake(this.lsdb, opts.siteId, opts.log, opts.routesBudget);
    this.refreshTimer = setInterval(() => this.refreshRecords(), refreshMs);
    this.refreshTimer.unref();
  }

  /** Refused HELLOs and routing records, by stable error name (status: security.refused). */
  get refusals(): Readonly<Record<string, number>> { return this.intake.refusals; }

  /** Every refresh period: re-originate our record (peers age records out) and drop stale or unreachable ones. */
  private refreshRecords(): void {
    this.flood([this.lsdb.refresh()]);
    const dropped = this.lsdb.expire(new Set(this.routes.paths.keys()));
    this.intake.prune(new Set(this.links.peerIds().map(peerKey)));
    if (dropped.length) {
      this.opts.log.info({ sites: dropped.length }, 'routing records aged out');
      this.scheduleRecompute();
    }
  }

  /** A new neighbour learns the whole database at once; later changes are flooded. */
  greet(link: Link): void {
    for (const body of routesFrames([...this.lsdb.all.values()])) this.outbox.control(link, P.FRAME_ROUTES, body);
  }

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

  /** A refused HELLO is counted with the routing refusals and logged at a bounded rate. */
  helloRefused(link: Link, code: number, reason: string): void {
    const name = protocolErrorName(code);
    this.intake.count(name);
    this.intake.warnings.warn(`hello-${name}`, { link: link.name, remote: link.socket.remoteAddress, reason: clip(reason) }, 'link refused in handshake');
  }

  private flood(records: SiteRecord[], except?: Link): void {
    const bodies = routesFrames(records);
    for (const l of this.links.readyLinks()) if (l !== except) for (const b of bodies) this.outbox.control(l, P.FRAME_ROUTES, b);
  }

  /** Rebuilds our own site record from ready links and local keys; floods it if it changed; recomputes. */
  refreshSelf(): void {
    const links = this.links.neighbourCosts();
    const rec = this.lsdb.updateSelf([...links].map(([peer, cost]) => ({ peer, cost })), this.hooks.localKeys());
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
    const wait = this.lastRecompute + this.quietMs - performance.now();
    if (wait <= 0) { this.recompute(); return; }
    this.recomputeTimer = setTimeout(() => this.recompute(), wait);
    this.recomputeTimer.unref();
  }

  private recompute(): void {
    clearTimeout(this.recomputeTimer);
    this.recomputeTimer = undefined;
    const start = performance.now();
    const next = buildRouteTable(this.opts.siteId, this.lsdb.all, ++this.routeVersion);
    const before = this.routes;
    this.routes = next;
    const keysChanged = !sameKeys(before.keys, next.keys);
    if (keysChanged) this.opts.log.info({ version: next.version, keys: [...next.keys.keys()] }, 'routes changed');
    this.hooks.applied(next, keysChanged);
    this.lastRecompute = performance.now();
    this.recomputeCost = this.lastRecompute - start;
  }

  /** How long after a recomputation the next one waits: RECOMPUTE_MS, or four times the last one's cost. */
  get quietMs(): number { return Math.max(RECOMPUTE_MS, 4 * this.recomputeCost); }

  /** Whether some site serves `key` now. */
  reachable(key: string): boolean { return this.routes.keys.has(key); }

  /**
   * Where a new flow for `key` goes, from one snapshot: the cheapest target (fewest open flows by
   * `load`, or the one `hash` points at), then the next-hop link toward it or, when the target is
   * this site, the local connector (`hash` again picks it for affinity).
   */
  pick(key: string, load: (site: string) => number, hash?: number): Pick {
    const target = pickTarget(this.routes, key, load, hash);
    if (!target) return { kind: 'none' };
    if (target.site === this.opts.siteId) {
      const connector = pickConnector(this.hooks.connectors(), key, hash);
      return connector ? { kind: 'local', target, connector } : { kind: 'none', target };
    }
    const link = this.links.linkTo(target.nextHop);
    return link ? { kind: 'remote', target, link } : { kind: 'none', target };
  }

  /** The ready link toward site `dst` (a relay's next hop), if `dst` is reachable. */
  nextLink(dst: string): Link | undefined {
    const path = this.routes.paths.get(dst);
    return path ? this.links.linkTo(path.nextHop) : undefined;
  }

  stop(): void {
    clearInterval(this.refreshTimer);
    clearTimeout(this.recomputeTimer);
    clearTimeout(this.pendingTimer);
  }
}
