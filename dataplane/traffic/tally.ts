// This engine's own traffic, as its summary tells it (issue 12): per routing key, role and peer
// site, totals fed by the flow batches (flow-records.ts) plus the flows open now; per link, bytes
// from the link status; rates over the time since the previous summary. Pure: the clock is passed in.
import type { FlowBatch, FlowOutcome, FlowRecord, FlowRole, LinkStatus } from '../port/report.js';
import type { HttpStatusClass, TrafficHttpRow, TrafficKeyRow, TrafficLinkRow } from '../port/traffic.js';

/** Rows kept at most; past it the one quiet longest is forgotten (a peer chooses the keys of its OPENs). */
export const TALLY_MAX_ROWS = 1000;
/** Latency samples kept per row: the percentiles are over the last flows that had a first byte. */
export const TTFB_SAMPLES = 128;
/** Outcomes that do not count as failures: a clean close, or the client leaving early. */
const FINE: ReadonlySet<FlowOutcome> = new Set<FlowOutcome>(['closed', 'reset_by_client']);

interface Row {
  key: string; role: FlowRole; peerSite: string;
  ended: number; failed: number; toServer: number; toClient: number;
  /** ttfb samples (ms), a ring of TTFB_SAMPLES */
  ttfb: number[]; ttfbAt: number;
  /** totals at the previous summary, for rates */
  lastToServer: number; lastToClient: number;
  touchedAt: number;
}

/** The value at quantile q (0..1) of `xs` (nearest rank); -1 when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return -1;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** The status classes counted (the HTTP observer's, as flow-records.ts names them). */
export const HTTP_CLASSES: readonly HttpStatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx', 'none'];
const isClass = (c: string): c is HttpStatusClass => (HTTP_CLASSES as readonly string[]).includes(c);
const noRequests = (): Record<HttpStatusClass, number> => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, none: 0 });

const rowKey = (key: string, role: string, peer: string) => `${role}\u0000${key}\u0000${peer}`;

export class TrafficTally {
  private readonly rows = new Map<string, Row>();
  private readonly links = new Map<string, { bytesIn: number; bytesOut: number }>();
  /** HTTP requests per key by status class; as many keys as rows at most, the one seen longest ago forgotten first */
  private readonly http = new Map<string, Record<HttpStatusClass, number>>();
  private lastAt: number;

  constructor(now: number) { this.lastAt = now; }

  /** Takes one flow batch (the engine's 500 ms batches: ended flows, bytes moved). */
  add(batch: FlowBatch, now: number): void {
    for (const g of batch.ended) {
      const r = this.row(g.key, g.role, g.peerSite, now);
      r.ended += g.count;
      if (!FINE.has(g.outcome)) r.failed += g.count;
      for (const s of g.ttfbSeconds) { r.ttfb[r.ttfbAt] = s * 1000; r.ttfbAt = (r.ttfbAt + 1) % TTFB_SAMPLES; }
    }
    for (const b of batch.bytes) {
      const r = this.row(b.key, b.role, b.peerSite, now);
      r.toServer += b.toServer;
      r.toClient += b.toClient;
    }
    for (const g of batch.http ?? []) {
      if (!isClass(g.statusClass)) continue;
      let c = this.http.get(g.key);
      if (c) this.http.delete(g.key); // re-inserted: Map order is the order keys were last seen
      else c = noRequests();
      c[g.statusClass] += g.count;
      this.http.set(g.key, c);
      if (this.http.size > TALLY_MAX_ROWS) this.http.delete(this.http.keys().next().value!);
    }
  }

  /** HTTP requests per key by status class, since the engine started (most requests first). */
  httpRows(): TrafficHttpRow[] {
    const total = (r: TrafficHttpRow) => HTTP_CLASSES.reduce((n, c) => n + r.requests[c], 0);
    return [...this.http].map(([key, c]) => ({ key, requests: { ...c } })).sort((a, b) => total(b) - total(a));
  }

  /**
   * The key rows now, busiest first: `active` are the open flows' records (they count as opened and
   * active; their first bytes count toward latency once they end). Rates cover the time since the
   * previous call, which starts the next period.
   */
  keyRows(active: readonly FlowRecord[], now: number): TrafficKeyRow[] {
    const open = new Map<string, number>();
    for (const f of active) {
      const k = rowKey(f.key, f.role, f.peerSite);
      open.set(k, (open.get(k) ?? 0) + 1);
      if (!this.rows.has(k)) this.row(f.key, f.role, f.peerSite, now);
    }
    const secs = Math.max(0.001, (now - this.lastAt) / 1000);
    const out: TrafficKeyRow[] = [];
    for (const [k, r] of this.rows) {
      const n = open.get(k) ?? 0;
      if (n > 0) r.touchedAt = now;
      out.push({
        key: r.key, role: r.role, peerSite: r.peerSite, opened: r.ended + n, active: n, failed: r.failed,
        bytesToServer: r.toServer, bytesToClient: r.toClient,
        rateToServer: (r.toServer - r.lastToServer) / secs, rateToClient: (r.toClient - r.lastToClient) / secs,
        ttfbP50Ms: quantile(r.ttfb, 0.5), ttfbP99Ms: quantile(r.ttfb, 0.99),
      });
      r.lastToServer = r.toServer;
      r.lastToClient = r.toClient;
    }
    return out.sort((a, b) => b.active - a.active || (b.rateToServer + b.rateToClient) - (a.rateToServer + a.rateToClient) || b.opened - a.opened);
  }

  /** The link rows now (from the engine's link status), with rates since the previous call. */
  linkRows(status: readonly LinkStatus[], now: number): TrafficLinkRow[] {
    const secs = Math.max(0.001, (now - this.lastAt) / 1000);
    const seen = new Set<string>();
    const out = status.map((l) => {
      const k = `${l.direction}\u0000${l.name}`;
      seen.add(k);
      const bytesIn = l.bytesIn ?? 0, bytesOut = l.bytesOut ?? 0;
      const prev = this.links.get(k) ?? { bytesIn, bytesOut };
      this.links.set(k, { bytesIn, bytesOut });
      return {
        name: l.name, direction: l.direction, peer: l.peer ?? '', up: l.status === 'ready', bytesIn, bytesOut,
        rateIn: Math.max(0, bytesIn - prev.bytesIn) / secs, rateOut: Math.max(0, bytesOut - prev.bytesOut) / secs,
      };
    });
    for (const k of [...this.links.keys()]) if (!seen.has(k)) this.links.delete(k);
    return out;
  }

  /** Ends the rate period: call after keyRows and linkRows. */
  mark(now: number): void { this.lastAt = now; }

  private row(key: string, role: FlowRole, peerSite: string, now: number): Row {
    const k = rowKey(key, role, peerSite);
    let r = this.rows.get(k);
    if (!r) {
      if (this.rows.size >= TALLY_MAX_ROWS) this.forgetQuietest();
      this.rows.set(k, (r = { key, role, peerSite, ended: 0, failed: 0, toServer: 0, toClient: 0, ttfb: [], ttfbAt: 0, lastToServer: 0, lastToClient: 0, touchedAt: now }));
    }
    r.touchedAt = now;
    return r;
  }

  private forgetQuietest(): void {
    let victim: string | undefined;
    let oldest = Infinity;
    for (const [k, r] of this.rows) if (r.touchedAt < oldest) { oldest = r.touchedAt; victim = k; }
    if (victim !== undefined) this.rows.delete(victim);
  }
}
