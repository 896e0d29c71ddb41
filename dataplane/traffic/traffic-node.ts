// The engine's part in the network-wide traffic view (issue 12): every interval it signs a summary
// of its own flows and links and floods it over its ready links; a peer's summary that passes the
// store's checks is held and flooded on unchanged (multi-hop, like routing records); what it holds
// is reported to the controller, at most every REPORT_GAP_MS while summaries arrive.
import type { Logger } from 'pino';
import * as P from '../../wasm/assembly/protocol.js';
import type { Link } from '../link.js';
import type { FlowRecord, LinkStatus } from '../port/report.js';
import type { HeldTraffic, TrafficSummary } from '../port/traffic.js';
import { keyOwnsId, verifySignature } from '../../common/identity.js';
import { LogBudget, clip } from '../../common/log-budget.js';
import { peerKey } from '../routes-intake.js';
import { encodeSummary } from './summary-codec.js';
import { SummaryStore, TRAFFIC_REFUSALS, type TrafficStoreOptions } from './summary-store.js';
import { TrafficTally } from './tally.js';
import { endpointRows, type EndpointState } from './endpoint-rows.js';

/** Summary period: SVCNET_TRAFFIC_INTERVAL_MS (tests shorten it, at least 200) or 5 s. */
export const TRAFFIC_INTERVAL_MS = 5000;
/** Reports to the controller are coalesced to one per this gap (each carries every summary held). */
export const REPORT_GAP_MS = 1000;

/** What the node needs from the data plane and the engine. */
export interface TrafficNet {
  readyLinks(): Link[];
  send(link: Link, payload: Buffer): void;
  /** the routing database holds a record of this node */
  known(nodeId: string): boolean;
  /** the node is reachable from here now */
  reachable(nodeId: string): boolean;
  /** the open flows' records, the links' status, and the listeners' and connectors' readiness, for our own summary */
  own(): { active: FlowRecord[]; links: LinkStatus[]; listeners?: EndpointState[]; connectors?: EndpointState[] };
}

export interface TrafficNodeOptions {
  siteId: string;
  siteName: string;
  identity: { readonly pub: string; sign(data: Buffer): string };
  log: Logger;
  net: TrafficNet;
  report(held: HeldTraffic[]): void;
  /** refusals by stable name, shared with the engine's status (security.refused) */
  refusals: Record<string, number>;
  intervalMs?: number;
  store?: Partial<TrafficStoreOptions>;
  now?: () => number;
}

/** SVCNET_TRAFFIC_INTERVAL_MS when valid, else the default. */
export function trafficIntervalFromEnv(): number {
  const v = Number(process.env.SVCNET_TRAFFIC_INTERVAL_MS);
  return Number.isInteger(v) && v >= 200 ? v : TRAFFIC_INTERVAL_MS;
}

export class TrafficNode {
  readonly tally: TrafficTally;
  readonly intervalMs: number;
  private readonly store: SummaryStore;
  private readonly warnings: LogBudget;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private reportTimer: NodeJS.Timeout | undefined;
  private lastReport = 0;
  private lastSeq = 0;

  constructor(private readonly o: TrafficNodeOptions) {
    this.now = o.now ?? Date.now;
    this.intervalMs = o.intervalMs ?? trafficIntervalFromEnv();
    this.tally = new TrafficTally(this.now());
    this.warnings = new LogBudget(o.log);
    this.store = new SummaryStore({
      selfId: o.siteId, known: (id) => o.net.known(id), now: this.now,
      verify: (w) => keyOwnsId(w.pub, w.summary.origin) && verifySignature(w.pub, w.signed, w.sig.toString('base64')),
    }, o.store);
    this.timer = setInterval(() => {
      // Timer work must never take the engine down: a failed period is logged (rate-limited) and the next one tries again.
      try { this.tick(); } catch (err) { this.warnings.warn('traffic-tick', { err: (err as Error).message }, 'traffic summary not made; retried next period'); }
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Makes, signs, holds and floods our summary; reports what we hold. */
  tick(): void {
    const now = this.now();
    const { active, links, listeners = [], connectors = [] } = this.o.net.own();
    const s: TrafficSummary = {
      origin: this.o.siteId, name: this.o.siteName, seq: (this.lastSeq = Math.max(this.lastSeq + 1, now)), intervalMs: this.intervalMs,
      keys: this.tally.keyRows(active, now), links: this.tally.linkRows(links, now), omitted: 0,
    };
    const http = this.tally.httpRows();
    if (http.length) s.http = http;
    const ends = endpointRows(listeners, connectors);
    if (ends.length) s.ends = ends;
    this.tally.mark(now);
    const payload = encodeSummary(s, this.o.identity.pub, (b) => this.o.identity.sign(b));
    this.store.putSelf(s, payload);
    for (const l of this.o.net.readyLinks()) this.o.net.send(l, payload);
    this.store.prune();
    this.reportNow();
  }

  /** A peer's TRAFFIC payload: held and flooded on, dropped (counted, logged rate-limited), or the peer reset for a forgery. */
  onTraffic(from: Link, payload: Buffer): void {
    const peer = from.peer!;
    const { verdict } = this.store.take(peerKey(peer.siteId), payload);
    if (verdict === 'held') {
      for (const l of this.o.net.readyLinks()) if (l !== from) this.o.net.send(l, payload);
      this.changed();
      return;
    }
    const name = TRAFFIC_REFUSALS[verdict];
    if (!name) return; // stale, self, unknown site: the ordinary echoes of flooding
    this.o.refusals[name] = (this.o.refusals[name] ?? 0) + 1;
    this.warnings.warn(name, { link: from.name, peer: clip(peer.siteName, 64), bytes: payload.length }, verdict === 'forged'
      ? 'link reset: a traffic summary has a signature that does not verify'
      : `traffic summary dropped (${verdict})`);
    if (verdict === 'forged') from.goAway(P.ERR_ROUTES_BUDGET, `${name}: a traffic summary has a signature that does not verify`);
  }

  /** What we hold, as the port reports it. */
  held(): HeldTraffic[] {
    const out: HeldTraffic[] = [];
    for (const h of this.store.all()) out.push({ summary: h.summary, receivedAt: h.receivedAt, reachable: h.self || this.o.net.reachable(h.summary.origin), self: h.self });
    return out;
  }

  /** Something we hold changed (a summary, reachability): report soon, coalesced. */
  changed(): void {
    if (this.reportTimer) return;
    const wait = this.lastReport + REPORT_GAP_MS - this.now();
    if (wait <= 0) { this.reportNow(); return; }
    this.reportTimer = setTimeout(() => this.reportNow(), wait);
    this.reportTimer.unref();
  }

  private reportNow(): void {
    clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    this.lastReport = this.now();
    this.o.report(this.held());
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.reportTimer);
  }
}
