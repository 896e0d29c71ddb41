// The flow records of one engine: the active set, a bounded ring of recent (ended) records, the
// query over both, and the batches that carry ended flows and moved bytes to the controller.
import type { FlowBatch, FlowBytes, FlowOutcome, FlowQuery, FlowRecord } from './port/report.js';

/** Live byte counts of an endpoint, read when a record is listed or a batch is made. */
export interface FlowMeter {
  readonly toServer: number;
  readonly toClient: number;
  /** performance.now() of the first byte from the server side, 0 before it */
  readonly firstServerByteAt: number;
}

/** An active flow: its record (bytes as of the last read) and where its live counts are. */
export interface LiveFlow {
  readonly record: FlowRecord;
  readonly meter: FlowMeter;
  /** performance.now() at the start (ttfb is measured on the monotonic clock) */
  readonly t0: number;
  /** bytes already counted in a batch */
  sentToServer: number;
  sentToClient: number;
}

export interface FlowRecordsOptions {
  /** ended records kept (default 1,000) */
  capacity?: number;
  /** ended records one batch describes; more are counted as overflow (default 10,000) */
  batchMax?: number;
  /** clocks, for tests */
  now?: () => number;
  monotonic?: () => number;
}

/** A query's default and largest limit. */
export const FLOW_QUERY_DEFAULT = 100;
export const FLOW_QUERY_MAX = 1000;

/** What a new record says; bytes, times and outcome are filled in here. */
export type FlowStart = Omit<FlowRecord, 'startedAt' | 'endedAt' | 'bytesToServer' | 'bytesToClient' | 'ttfbMs' | 'outcome' | 'error'>;

export class FlowRecords {
  private readonly active = new Set<LiveFlow>();
  /** ended records, oldest first from `head` (a ring once full) */
  private readonly ring: FlowRecord[] = [];
  private head = 0;
  private ended: FlowRecord[] = [];
  private overflow = 0;
  /** bytes moved since the last batch (ended and active flows), by role, key and peer site */
  private moved = new Map<string, FlowBytes>();
  readonly capacity: number;
  private readonly batchMax: number;
  private readonly now: () => number;
  private readonly monotonic: () => number;

  constructor(o: FlowRecordsOptions = {}) {
    this.capacity = Math.max(1, o.capacity ?? 1000);
    this.batchMax = o.batchMax ?? 10_000;
    this.now = o.now ?? Date.now;
    this.monotonic = o.monotonic ?? (() => performance.now());
  }

  get activeCount(): number { return this.active.size; }

  /** A flow starts: its record is active until end(). */
  open(start: FlowStart, meter: FlowMeter): LiveFlow {
    const live: LiveFlow = { record: { ...start, startedAt: this.now(), bytesToServer: 0, bytesToClient: 0 }, meter, t0: this.monotonic(), sentToServer: 0, sentToClient: 0 };
    this.active.add(live);
    return live;
  }

  /** The flow ended: its record, with final bytes and outcome, joins the ring and the next batch. */
  end(live: LiveFlow, outcome: FlowOutcome, error?: string): void {
    if (!this.active.delete(live)) return;
    const r = this.read(live);
    r.endedAt = this.now();
    r.outcome = outcome;
    if (error && outcome !== 'closed') r.error = error;
    this.addBytes(r, r.bytesToServer - live.sentToServer, r.bytesToClient - live.sentToClient);
    this.keep(r);
  }

  /** A flow refused before it carried anything (no route, a cap): recorded as ended at once. */
  refused(start: FlowStart, outcome: FlowOutcome, error?: string): void {
    const t = this.now();
    this.keep({ ...start, startedAt: t, endedAt: t, bytesToServer: 0, bytesToClient: 0, outcome, error });
  }

  /** Records that match, newest first: active ones (with their bytes now), then recent ones. */
  query(q: FlowQuery = {}): FlowRecord[] {
    const limit = Math.min(FLOW_QUERY_MAX, Math.max(1, Math.floor(q.limit ?? FLOW_QUERY_DEFAULT) || FLOW_QUERY_DEFAULT));
    const match = (r: FlowRecord) => (q.key === undefined || r.key === q.key)
      && (q.site === undefined || r.listenerSite === q.site || r.connectorSite === q.site)
      && (q.outcome === undefined || r.outcome === q.outcome);
    const out: FlowRecord[] = [];
    const state = q.state ?? 'all';
    if (state !== 'recent' && q.outcome === undefined) {
      const live = [...this.active].map((l) => ({ ...this.read(l) })).filter(match).sort((a, b) => b.startedAt - a.startedAt);
      out.push(...live.slice(0, limit));
    }
    if (state !== 'active') {
      for (let i = this.ring.length - 1; i >= 0 && out.length < limit; i--) {
        const r = this.ring[(this.head + i) % this.ring.length];
        if (match(r)) out.push(r);
      }
    }
    return out;
  }

  /** Ended flows and moved bytes since the last batch; undefined when nothing happened. */
  batch(): FlowBatch | undefined {
    for (const live of this.active) {
      const r = this.read(live);
      this.addBytes(r, r.bytesToServer - live.sentToServer, r.bytesToClient - live.sentToClient);
      live.sentToServer = r.bytesToServer;
      live.sentToClient = r.bytesToClient;
    }
    if (this.ended.length === 0 && this.moved.size === 0 && this.overflow === 0) return undefined;
    const b: FlowBatch = { ended: this.ended, bytes: [...this.moved.values()], overflow: this.overflow };
    this.ended = [];
    this.moved = new Map();
    this.overflow = 0;
    return b;
  }

  /** Ends every active record (the engine stops: its flows are reset). */
  endAll(outcome: FlowOutcome, error: string): void {
    for (const live of [...this.active]) this.end(live, outcome, error);
  }

  /** The record with its live counts (and ttfb once the first server byte passed). */
  private read(live: LiveFlow): FlowRecord {
    const r = live.record;
    const m = live.meter;
    r.bytesToServer = m.toServer;
    r.bytesToClient = m.toClient;
    if (r.ttfbMs === undefined && m.firstServerByteAt > 0) r.ttfbMs = Math.max(0, Math.round((m.firstServerByteAt - live.t0) * 1000) / 1000);
    return r;
  }

  private addBytes(r: FlowRecord, toServer: number, toClient: number): void {
    if (toServer <= 0 && toClient <= 0) return;
    const k = `${r.role}\u0000${r.key}\u0000${r.peerSite}`;
    const b = this.moved.get(k);
    if (b) { b.toServer += toServer; b.toClient += toClient; } else this.moved.set(k, { key: r.key, role: r.role, peerSite: r.peerSite, toServer, toClient });
  }

  private keep(r: FlowRecord): void {
    if (this.ring.length < this.capacity) this.ring.push(r);
    else { this.ring[this.head] = r; this.head = (this.head + 1) % this.capacity; }
    if (this.ended.length < this.batchMax) this.ended.push(r);
    else this.overflow++;
  }
}
