// The link-state database: our own signed record plus the newest verified record of every other
// site, each dropped when its site stops refreshing it or stays unreachable. Pure: signing,
// verification and the clock are injected; the data plane feeds it records and floods what changed.
// Each record remembers the neighbour that introduced it, so a full database is shared fairly.
import { recordBytes, type SiteRecord, type SiteLinkEntry } from './site-record.js';

/** Signs our own records and verifies everyone else's (common/identity.ts in production). */
export interface RecordCrypto {
  /** base64 raw public key of this site */
  readonly pub: string;
  sign(bytes: Buffer): string;
  /** true when `rec.pub` owns `rec.id` and `rec.sig` is its signature over recordBytes(rec) */
  verify(rec: SiteRecord): boolean;
}

export interface LinkStateOptions {
  /** sites held at most, ourselves included */
  maxSites: number;
  /** a record's seq may be at most this far ahead of our clock (seq is ms * 1000) */
  maxAheadMs: number;
  /** a record not refreshed by its site for this long is dropped */
  maxAgeMs: number;
  /** a site unreachable from us for this long is dropped */
  unreachableGraceMs: number;
  now: () => number;
}

/** Sites re-originate their record this often (SVCNET_ROUTE_REFRESH_MS in tests). */
export const REFRESH_MS = 30_000;

export const DEFAULT_LINK_STATE: Readonly<LinkStateOptions> = Object.freeze({
  maxSites: 1024,
  maxAheadMs: 10 * 60_000,
  maxAgeMs: 4 * REFRESH_MS,
  unreachableGraceMs: 2 * REFRESH_MS,
  now: Date.now,
});

/** What apply() did with a record: only `changed` alters the database. */
export type ApplyResult = 'changed' | 'stale' | 'self' | 'seq-ahead' | 'seq-old' | 'full' | 'forged';

/** `via`: base site id of the neighbour that introduced the site (absent for ours and local tests) */
interface Held { rec: SiteRecord; heardAt: number; unreachableSince?: number; via?: string }

export class LinkStateDb {
  private readonly held = new Map<string, Held>();
  private readonly view = new Map<string, SiteRecord>();
  /** live records per introducing neighbour (base site id) */
  private readonly introduced = new Map<string, number>();
  private lastSeq = 0;
  private readonly o: LinkStateOptions;

  constructor(private readonly selfId: string, private readonly selfName: string, private readonly crypto: RecordCrypto, opts: Partial<LinkStateOptions> = {}) {
    this.o = { ...DEFAULT_LINK_STATE, ...opts };
    this.setSelf([], []);
  }

  /** Increasing and tied to the clock, so a restart outranks the previous run and a seq is never far in the future. */
  private nextSeq(): number {
    this.lastSeq = Math.max(this.lastSeq + 1, this.o.now() * 1000);
    return this.lastSeq;
  }

  private setSelf(links: SiteLinkEntry[], keys: string[]): SiteRecord {
    const unsigned = { id: this.selfId, name: this.selfName, seq: this.nextSeq(), links, keys, pub: this.crypto.pub };
    const rec = { ...unsigned, sig: this.crypto.sign(recordBytes(unsigned)) };
    this.put(rec);
    return rec;
  }

  private put(rec: SiteRecord, via?: string): void {
    // A refresh keeps the unreachable mark (a site alive but cut off from us still goes after the
    // grace) and the introducer (its share lasts as long as the site's record).
    const cur = this.held.get(rec.id);
    if (!cur && via !== undefined) this.introduced.set(via, (this.introduced.get(via) ?? 0) + 1);
    this.held.set(rec.id, { rec, heardAt: this.o.now(), unreachableSince: cur?.unreachableSince, via: cur ? cur.via : via });
    this.view.set(rec.id, rec);
  }

  private drop(id: string): void {
    const via = this.held.get(id)?.via;
    if (via !== undefined) {
      const n = (this.introduced.get(via) ?? 1) - 1;
      if (n > 0) this.introduced.set(via, n);
      else this.introduced.delete(via);
    }
    this.held.delete(id);
    this.view.delete(id);
  }

  /** How many live records the neighbour `via` (base site id) introduced. */
  introducedBy(via: string): number { return this.introduced.get(via) ?? 0; }

  /**
   * When the database is full, the neighbour holding the most introduced records (other than
   * `via`) if it holds more than `via` does: one of its records makes room for `via`'s new site.
   * Otherwise (`via` holds the most, or is unknown) there is no room.
   */
  private evictionVictim(via: string | undefined): string | undefined {
    if (via === undefined) return undefined;
    let top: string | undefined;
    let most = this.introducedBy(via);
    for (const [n, c] of this.introduced) if (c > most) { top = n; most = c; }
    if (top === undefined) return undefined;
    // Its least recently heard record: a generated site the attacker refreshes least, or one going stale.
    let victim: string | undefined;
    let oldest = Infinity;
    for (const [id, h] of this.held) if (h.via === top && h.heardAt < oldest) { victim = id; oldest = h.heardAt; }
    return victim;
  }

  get self(): SiteRecord { return this.view.get(this.selfId)!; }
  /** Every record held, ours included; the route computation reads this. */
  get all(): ReadonlyMap<string, SiteRecord> { return this.view; }
  /** Whether a record of `id` is held (a record for any other id adds a site). */
  has(id: string): boolean { return this.view.has(id); }

  /** Replaces our own record if links or keys changed; returns it when it did. */
  updateSelf(links: SiteLinkEntry[], keys: string[]): SiteRecord | null {
    const cur = this.self;
    const sortedLinks = [...links].sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : a.cost - b.cost));
    const sortedKeys = [...new Set(keys)].sort();
    if (JSON.stringify(sortedLinks) === JSON.stringify(cur.links) && JSON.stringify(sortedKeys) === JSON.stringify(cur.keys)) return null;
    return this.setSelf(sortedLinks, sortedKeys);
  }

  /** Re-originates our record unchanged with a new seq, so peers know we are alive (every REFRESH_MS). */
  refresh(): SiteRecord { return this.setSelf(this.self.links, this.self.keys); }

  /**
   * Takes a peer's record if it is newer than what we hold, there is room, its signature verifies
   * and its seq is within our clock window — checked in that order: a record that would change
   * nothing costs no signature check, and a forgery is told apart from a site with a wrong clock
   * (the sender of a forgery is reset; a genuine record out of the window is only dropped).
   * `via` is the base site id of the neighbour it came from: when the database is full, a new
   * site from a neighbour that introduced fewer records than another evicts one of that other's
   * (so one neighbour's generated sites cannot lock everyone else out); from the neighbour
   * holding the most, it is refused ('full').
   */
  apply(rec: SiteRecord, via?: string): ApplyResult {
    const r = this.check(rec, via);
    if (r !== 'changed') return r;
    if (!this.held.has(rec.id) && this.held.size >= this.o.maxSites) this.drop(this.evictionVictim(via)!);
    this.put(rec, via);
    return 'changed';
  }

  /** What apply() would return, without changing anything. */
  check(rec: SiteRecord, via?: string): ApplyResult {
    if (rec.id === this.selfId) return 'self';
    const cur = this.held.get(rec.id);
    if (cur && cur.rec.seq >= rec.seq) return 'stale';
    if (!cur && this.held.size >= this.o.maxSites && this.evictionVictim(via) === undefined) return 'full';
    if (!this.crypto.verify(rec)) return 'forged';
    const now = this.o.now();
    if (rec.seq > (now + this.o.maxAheadMs) * 1000) return 'seq-ahead';
    // A record older than anything we could still hold is a replay (of a site that left, say).
    if (!cur && rec.seq < (now - this.o.maxAgeMs - this.o.maxAheadMs) * 1000) return 'seq-old';
    return 'changed';
  }

  /** The seq of the record held for `id`, if any (a record not above it changes nothing). */
  seqOf(id: string): number | undefined { return this.held.get(id)?.rec.seq; }

  /**
   * Drops records not refreshed within maxAgeMs, and those of sites not in `reachable` for longer
   * than unreachableGraceMs; returns the ids dropped. Called by a timer every refresh period.
   */
  expire(reachable: ReadonlySet<string>): string[] {
    const now = this.o.now();
    const gone: string[] = [];
    for (const [id, h] of this.held) {
      if (id === this.selfId) continue;
      if (reachable.has(id)) h.unreachableSince = undefined;
      else h.unreachableSince ??= now;
      if (now - h.heardAt > this.o.maxAgeMs || (h.unreachableSince !== undefined && now - h.unreachableSince > this.o.unreachableGraceMs)) gone.push(id);
    }
    for (const id of gone) this.drop(id);
    return gone;
  }
}
