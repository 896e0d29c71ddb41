// The traffic summaries this engine holds, one per origin node, and the checks a peer's TRAFFIC
// payload passes before it is held and flooded on (issue 12): size, the sending peer's byte budget,
// a known origin, a newer seq within the clock window, the origin's signature, the origin's rate.
// Pure: the clock, the signature check and "is this a known site" are injected.
import type { TrafficSummary } from '../port/traffic.js';
import { TokenBucket } from '../routing/routes-budget.js';
import { decodeSummary, MAX_TRAFFIC_BYTES, type WireSummary } from './summary-codec.js';

export interface TrafficStoreOptions {
  /** a payload larger than this is dropped unread */
  maxBytes: number;
  /** TRAFFIC bytes one peer (base site id) may send: burst and refill per second */
  peerBytesBurst: number;
  peerBytesPerSec: number;
  /** new summaries one origin may have accepted: burst and refill per minute (network-wide, since only accepted ones are flooded) */
  originBurst: number;
  originPerMinute: number;
  /** a seq may be at most this far ahead of our clock (ms) */
  maxAheadMs: number;
  /** a summary not replaced for this long is forgotten (ms) */
  keepMs: number;
  /** origins held at most */
  maxOrigins: number;
}

/**
 * Defaults. A summary of 100 busy services is about 10 KiB (docs/observability.md), made every 5 s;
 * a peer relays every origin's, so 256 KiB/s per peer holds about 100 such sites, and stays well
 * inside a link's 1 MiB/s control budget (link-budget.ts): past it summaries are dropped, never the link.
 */
export const DEFAULT_TRAFFIC_STORE: Readonly<TrafficStoreOptions> = Object.freeze({
  maxBytes: MAX_TRAFFIC_BYTES, peerBytesBurst: 1 << 20, peerBytesPerSec: 256 << 10,
  originBurst: 5, originPerMinute: 120, maxAheadMs: 10 * 60_000, keepMs: 10 * 60_000, maxOrigins: 1024,
});

/** Why a payload was not held; `forged` is the sender's fault (the link is reset), the rest are dropped. */
export type TrafficVerdict = 'held' | 'stale' | 'self' | 'too-large' | 'over-budget' | 'malformed' | 'unknown-site' | 'seq-ahead' | 'seq-old' | 'forged' | 'rate' | 'full';

/** Stable names of the verdicts that are counted (status: security.refused) and logged, rate-limited. */
export const TRAFFIC_REFUSALS: Partial<Record<TrafficVerdict, string>> = {
  'too-large': 'SVCNET_ERR_TRAFFIC_TOO_LARGE', 'over-budget': 'SVCNET_ERR_TRAFFIC_OVER_BUDGET', malformed: 'SVCNET_ERR_TRAFFIC_MALFORMED',
  'seq-ahead': 'SVCNET_ERR_TRAFFIC_SEQ_AHEAD', 'seq-old': 'SVCNET_ERR_TRAFFIC_SEQ_OLD', forged: 'SVCNET_ERR_TRAFFIC_FORGED',
  rate: 'SVCNET_ERR_TRAFFIC_RATE', full: 'SVCNET_ERR_TRAFFIC_FULL',
};

/** A held summary: the payload as it came (flooded on unchanged) and when it arrived. */
export interface Held { summary: TrafficSummary; payload: Buffer; receivedAt: number; self: boolean }

export interface TrafficStoreDeps {
  selfId: string;
  /** whether the routing database holds a record of this node (summaries of unknown nodes are not held) */
  known(nodeId: string): boolean;
  /** the origin's key owns its id and signed `signed` */
  verify(w: WireSummary): boolean;
  now(): number;
}

export class SummaryStore {
  private readonly held = new Map<string, Held>();
  private readonly peers = new Map<string, { bucket: TokenBucket; used: number }>();
  private readonly origins = new Map<string, TokenBucket>();
  private readonly o: TrafficStoreOptions;

  constructor(private readonly deps: TrafficStoreDeps, opts: Partial<TrafficStoreOptions> = {}) {
    this.o = { ...DEFAULT_TRAFFIC_STORE, ...opts };
  }

  /** Every held summary, ours included. */
  all(): IterableIterator<Held> { return this.held.values(); }

  /** Holds our own new summary. */
  putSelf(summary: TrafficSummary, payload: Buffer): void {
    this.held.set(summary.origin, { summary, payload, receivedAt: this.deps.now(), self: true });
  }

  /**
   * Takes a peer's TRAFFIC payload. `peer` is the sender's base site id (its budget survives
   * reconnects and is shared by its engines). Checked cheapest first; the signature only for a
   * summary that would replace what we hold, and before the origin's rate is charged (a forgery
   * cannot use up a genuine origin's rate).
   */
  take(peer: string, payload: Buffer): { verdict: TrafficVerdict; held?: Held } {
    const now = this.deps.now();
    if (payload.length > this.o.maxBytes) return { verdict: 'too-large' };
    if (!this.peerBucket(peer, now).take(payload.length)) return { verdict: 'over-budget' };
    const w = decodeSummary(payload);
    if (!w) return { verdict: 'malformed' };
    const s = w.summary;
    if (s.origin === this.deps.selfId) return { verdict: 'self' };
    const cur = this.held.get(s.origin);
    if (cur && cur.summary.seq >= s.seq) return { verdict: 'stale' };
    if (!this.deps.known(s.origin)) return { verdict: 'unknown-site' };
    if (s.seq > now + this.o.maxAheadMs) return { verdict: 'seq-ahead' };
    // An origin we do not hold: a summary older than anything we could still hold is a replay.
    if (!cur && s.seq < now - this.o.keepMs - this.o.maxAheadMs) return { verdict: 'seq-old' };
    if (!this.deps.verify(w)) return { verdict: 'forged' };
    if (!this.originBucket(s.origin).take(1)) return { verdict: 'rate' };
    if (!cur && this.held.size >= this.o.maxOrigins) return { verdict: 'full' };
    const h: Held = { summary: s, payload, receivedAt: now, self: false };
    this.held.set(s.origin, h);
    return { verdict: 'held', held: h };
  }

  /** Forgets summaries not replaced within keepMs, and budgets of peers idle as long. */
  prune(): void {
    const now = this.deps.now();
    for (const [id, h] of this.held) if (!h.self && now - h.receivedAt > this.o.keepMs) { this.held.delete(id); this.origins.delete(id); }
    for (const [p, e] of this.peers) if (now - e.used > this.o.keepMs) this.peers.delete(p);
  }

  private peerBucket(peer: string, now: number): TokenBucket {
    let e = this.peers.get(peer);
    if (!e) this.peers.set(peer, (e = { bucket: new TokenBucket(this.o.peerBytesBurst, this.o.peerBytesPerSec * 60, this.deps.now), used: now }));
    e.used = now;
    return e.bucket;
  }

  private originBucket(origin: string): TokenBucket {
    let b = this.origins.get(origin);
    if (!b) this.origins.set(origin, (b = new TokenBucket(this.o.originBurst, this.o.originPerMinute, this.deps.now)));
    return b;
  }
}
