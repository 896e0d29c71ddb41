// The flow records of one engine: the active set, a bounded ring of recent (ended) records, the
// query over both, and the batches that carry ended flows and moved bytes to the controller.
import { type FlowBatch, type FlowBytes, type FlowEndGroup, type FlowOutcome, type FlowQuery, type FlowRecord, type HttpRequest, type HttpRequestGroup } from './port/report.js';
import { FLOW_QUERY_DEFAULT, FLOW_QUERY_MAX, flowQueryLimit } from '../common/flow-query-limit.js';
import { emptyRequestBuckets, requestBucket } from '../common/request-seconds.js';
import { RecentRequests } from './recent-requests.js';
import { PendingRequests } from './pending-requests.js';

/**
 * The live counts an endpoint keeps of its application socket (Flow, LocalSplice; a relay's pair
 * of halves through metered-relay.ts), read when a record is listed or a batch is made. Fields,
 * not callbacks: reading them costs nothing per byte and allocates nothing per flow.
 */
export interface AppCounters {
  readonly bytesFromApp: number;
  readonly bytesToApp: number;
  /** performance.now() of the first byte each way, 0 before it */
  readonly firstFromAppAt: number;
  readonly firstToAppAt: number;
}

/** An active flow: its record (bytes as of the last read) and where its live counts are. */
export interface LiveFlow {
  readonly record: FlowRecord;
  readonly counters: AppCounters;
  /** the application socket is the client (listener side, local splice, relay) or the server (connector side) */
  readonly appIsClient: boolean;
  /** performance.now() at the start (ttfb is measured on the monotonic clock) */
  readonly t0: number;
  /** bytes already counted in a batch */
  sentToServer: number;
  sentToClient: number;
  /** the HTTP group its last request was counted in, and the batch that group belongs to (FlowRecords.httpBatch):
   *  a flow's requests mostly share method and status class, so most skip the lookup (issue 13's cost bound) */
  lastHttp?: HttpRequestGroup;
  lastHttpBatch?: number;
  /** its last HTTP_REQUESTS_KEPT requests: the record's `requests` list is made from them only when the record is read */
  recent?: RecentRequests;
  /** requests observed in all (the record's requestCount, set when it is read) */
  requestCount: number;
}

/** Label values of status classes by the status's first digit; 0 is a request with no response. */
const STATUS_CLASSES: readonly string[] = ['none', '1xx', '2xx', '3xx', '4xx', '5xx', '6xx', '7xx', '8xx', '9xx'];

export interface FlowRecordsOptions {
  /** ended records kept (default 1,000) */
  capacity?: number;
  /** duration samples one batch carries; more flows are counted but not sampled (default 10,000) */
  batchMax?: number;
  /** observed requests held before they are folded into their flows and the batch (default 4,096) */
  pendingCapacity?: number;
  /** clocks, for tests */
  now?: () => number;
  monotonic?: () => number;
}

export { FLOW_QUERY_DEFAULT, FLOW_QUERY_MAX };

/** What a new record says; bytes, times and outcome are filled in here. */
export type FlowStart = Omit<FlowRecord, 'startedAt' | 'endedAt' | 'bytesToServer' | 'bytesToClient' | 'ttfbMs' | 'outcome' | 'error'>;

export class FlowRecords {
  private readonly active = new Set<LiveFlow>();
  /** ended records, oldest first from `head` (a ring once full) */
  private readonly ring: FlowRecord[] = [];
  private head = 0;
  /** ended flows since the last batch, by labels */
  private ended = new Map<string, FlowEndGroup>();
  private samples = 0;
  private overflow = 0;
  /** bytes moved since the last batch (ended and active flows), by role, key and peer site */
  private moved = new Map<string, FlowBytes>();
  /** HTTP requests and observer fallbacks since the last batch (issue 13) */
  private http = new Map<string, HttpRequestGroup>();
  private httpErrors = new Map<string, { key: string; reason: string; count: number }>();
  /** counts batches made: a LiveFlow's lastHttp from an earlier one has been sent */
  private httpBatch = 0;
  /** requests observed since the last fold (pending-requests.ts; made on the first, so a site without HTTP
   *  listeners holds none of it), and the one object they are read into */
  private pending: PendingRequests<LiveFlow> | undefined;
  private readonly pendingCapacity: number;
  private readonly folding: HttpRequest = { method: '', path: '', status: 0, bytesToServer: 0, bytesToClient: 0, durationMs: 0, target: undefined, grpcStatus: undefined };
  readonly capacity: number;
  private readonly batchMax: number;
  private readonly now: () => number;
  private readonly monotonic: () => number;

  constructor(o: FlowRecordsOptions = {}) {
    this.capacity = Math.max(1, o.capacity ?? 1000);
    this.batchMax = o.batchMax ?? 10_000;
    this.now = o.now ?? Date.now;
    this.monotonic = o.monotonic ?? (() => performance.now());
    this.pendingCapacity = o.pendingCapacity ?? 4096;
  }

  get activeCount(): number { return this.active.size; }

  /** A flow starts: its record is active until end(). `counters` are those of the endpoint's application socket. */
  open(s: FlowStart, counters: AppCounters, appIsClient: boolean): LiveFlow {
    // Every field set here, in one order: records share one shape (fields set later do not reshape them).
    const record: FlowRecord = {
      id: s.id, role: s.role, key: s.key, listenerSite: s.listenerSite, connectorSite: s.connectorSite, peerSite: s.peerSite, endpoint: s.endpoint,
      client: s.client, target: s.target, startedAt: this.now(), endedAt: undefined, bytesToServer: 0, bytesToClient: 0, ttfbMs: undefined, outcome: undefined, error: undefined,
      requests: undefined, requestCount: undefined, httpError: undefined,
    };
    const live: LiveFlow = { record, counters, appIsClient, t0: this.monotonic(), sentToServer: 0, sentToClient: 0, lastHttp: undefined, lastHttpBatch: 0, recent: undefined, requestCount: 0 };
    this.active.add(live);
    return live;
  }

  /** The flow ended: its record, with final bytes and outcome, joins the ring and the next batch. */
  end(live: LiveFlow, outcome: FlowOutcome, error?: string): void {
    if (!this.active.has(live)) return;
    this.fold();
    this.active.delete(live);
    const r = this.readAll(live);
    r.endedAt = this.now();
    r.outcome = outcome;
    if (outcome !== 'closed') r.error = error;
    this.addBytes(r, r.bytesToServer - live.sentToServer, r.bytesToClient - live.sentToClient);
    this.keep(r);
  }

  /** A flow refused before it carried anything (no route, a cap): recorded as ended at once. */
  refused(start: FlowStart, outcome: FlowOutcome, error?: string): void {
    const t = this.now();
    const s = start;
    this.keep({
      id: s.id, role: s.role, key: s.key, listenerSite: s.listenerSite, connectorSite: s.connectorSite, peerSite: s.peerSite, endpoint: s.endpoint,
      client: s.client, target: s.target, startedAt: t, endedAt: t, bytesToServer: 0, bytesToClient: 0, ttfbMs: undefined, outcome, error,
      requests: undefined, requestCount: undefined, httpError: undefined,
    });
  }

  /** An HTTP request observed on a live flow (issue 13): listed in its record (the last HTTP_REQUESTS_KEPT) and counted in the
   *  next batch. `q` is not kept (observers reuse theirs). */
  request(live: LiveFlow, q: Readonly<HttpRequest>): void {
    if ((this.pending ??= new PendingRequests(this.pendingCapacity)).push(live, q)) this.fold();
  }

  /** The sink of a live flow's HTTP observer: its requests and fallback go to this flow's record. */
  sink(live: LiveFlow): FlowRequestSink { return new FlowRequestSink(this, live); }

  /** Counts the pending requests into their flows and the batch's groups, in the order they were observed. */
  private fold(): void {
    const p = this.pending;
    if (p === undefined) return;
    for (let i = 0; i < p.size; i++) {
      p.read(i, this.folding);
      this.count(p.flow(i), this.folding);
    }
    p.size = 0;
  }

  private count(live: LiveFlow, q: Readonly<HttpRequest>): void {
    (live.recent ??= new RecentRequests()).add(q);
    live.requestCount++;
    const statusClass = STATUS_CLASSES[Math.floor(q.status / 100)] ?? 'none';
    let g = live.lastHttp;
    if (g === undefined || live.lastHttpBatch !== this.httpBatch || g.method !== q.method || g.statusClass !== statusClass) {
      const key = live.record.key;
      const k = `${key}\u0000${q.method}\u0000${statusClass}`;
      g = this.http.get(k);
      if (!g) this.http.set(k, (g = { key, method: q.method, statusClass, count: 0, buckets: emptyRequestBuckets(), sumSeconds: 0 }));
      live.lastHttp = g;
      live.lastHttpBatch = this.httpBatch;
    }
    const seconds = q.durationMs / 1000;
    g.count++;
    g.sumSeconds += seconds;
    g.buckets[requestBucket(seconds)]++;
  }

  /** The HTTP observer of a live flow stopped on bytes it could not follow; `reason` names why. */
  httpError(live: LiveFlow, reason: string): void {
    live.record.httpError = reason;
    const k = `${live.record.key}\u0000${reason}`;
    const e = this.httpErrors.get(k);
    if (e) e.count++; else this.httpErrors.set(k, { key: live.record.key, reason, count: 1 });
  }

  /** Records that match, newest first: active ones (with their bytes now), then recent ones. */
  query(q: FlowQuery = {}): FlowRecord[] {
    this.fold();
    const limit = flowQueryLimit(q.limit);
    const match = (r: FlowRecord) => (q.key === undefined || r.key === q.key)
      && (q.site === undefined || r.listenerSite === q.site || r.connectorSite === q.site)
      && (q.outcome === undefined || r.outcome === q.outcome);
    const out: FlowRecord[] = [];
    const state = q.state ?? 'all';
    if (state !== 'recent' && q.outcome === undefined) {
      const live = [...this.active].map((l) => ({ ...this.readAll(l) })).filter(match).sort((a, b) => b.startedAt - a.startedAt);
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
    this.fold();
    for (const live of this.active) {
      const r = this.read(live);
      this.addBytes(r, r.bytesToServer - live.sentToServer, r.bytesToClient - live.sentToClient);
      live.sentToServer = r.bytesToServer;
      live.sentToClient = r.bytesToClient;
    }
    if (this.ended.size === 0 && this.moved.size === 0 && this.http.size === 0 && this.httpErrors.size === 0) return undefined;
    const b: FlowBatch = { ended: [...this.ended.values()], bytes: [...this.moved.values()], overflow: this.overflow };
    if (this.http.size > 0) { b.http = [...this.http.values()]; this.http = new Map(); this.httpBatch++; }
    if (this.httpErrors.size > 0) { b.httpErrors = [...this.httpErrors.values()]; this.httpErrors = new Map(); }
    this.ended = new Map();
    this.moved = new Map();
    this.samples = 0;
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
    const c = live.counters;
    const client = live.appIsClient;
    r.bytesToServer = client ? c.bytesFromApp : c.bytesToApp;
    r.bytesToClient = client ? c.bytesToApp : c.bytesFromApp;
    const first = client ? c.firstToAppAt : c.firstFromAppAt;
    if (r.ttfbMs === undefined && first > 0) r.ttfbMs = Math.max(0, Math.round((first - live.t0) * 1000) / 1000);
    return r;
  }

  /** read() with the record's list of recent requests, oldest first. */
  private readAll(live: LiveFlow): FlowRecord {
    const r = this.read(live);
    if (live.recent !== undefined) {
      r.requests = live.recent.list();
      r.requestCount = live.requestCount;
    }
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
    const k = `${r.role}\u0000${r.key}\u0000${r.peerSite}\u0000${r.outcome}`;
    let g = this.ended.get(k);
    if (!g) this.ended.set(k, (g = { key: r.key, role: r.role, peerSite: r.peerSite, outcome: r.outcome ?? 'closed', count: 0, seconds: [], ttfbSeconds: [] }));
    g.count++;
    if (this.samples >= this.batchMax) { this.overflow++; return; }
    this.samples++;
    g.seconds.push(Math.max(0, r.endedAt! - r.startedAt) / 1000);
    if (r.ttfbMs !== undefined) g.ttfbSeconds.push(r.ttfbMs / 1000);
  }
}

/** Where an observer's requests go (http-observer.ts HttpRequestSink): one object per flow, no closures,
 *  so a request touches no more of its flow than this. */
export class FlowRequestSink {
  constructor(private readonly records: FlowRecords, private readonly live: LiveFlow) {}
  onRequest(q: Readonly<HttpRequest>): void { this.records.request(this.live, q); }
  onParseError(reason: string): void { this.records.httpError(this.live, reason); }
}
