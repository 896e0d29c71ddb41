// What the data plane does with a peer's ROUTES payload before flooding it on: per-peer budgets,
// parsing, signature checks through the link-state database, and stable counters of what was
// refused. Also the ROUTES wire helpers (record verification, splitting into frames).
import type { Logger } from 'pino';
import * as P from '../wasm/assembly/protocol.js';
import { type LinkStateDb, REFRESH_MS } from './routing/link-state.js';
import { parseSiteRecord, recordBytes, type SiteRecord } from './routing/site-record.js';
import { RoutesBudget, TokenBucket, DEFAULT_ROUTES_BUDGET, type RoutesBudgetOptions } from './routing/routes-budget.js';
import { baseSiteId, keyOwnsId, verifySignature } from '../common/identity.js';
import { LogBudget, clip } from '../common/log-budget.js';

/** Verifies a routing record: its key owns its id and signed it. */
export function verifyRecord(rec: SiteRecord): boolean {
  return keyOwnsId(rec.pub, rec.id) && verifySignature(rec.pub, recordBytes(rec), rec.sig);
}

/** Splits records into ROUTES payloads that each fit a control frame. */
export function routesFrames(records: readonly SiteRecord[]): Buffer[] {
  const out: Buffer[] = [];
  let batch: string[] = [];
  let size = 2;
  for (const r of records) {
    const j = JSON.stringify(r);
    if (batch.length && size + j.length + 1 > P.MAX_CONTROL_FRAME) { out.push(Buffer.from(`[${batch.join(',')}]`)); batch = []; size = 2; }
    batch.push(j);
    size += j.length + 1;
  }
  if (batch.length) out.push(Buffer.from(`[${batch.join(',')}]`));
  return out;
}

/** Re-origination period: SVCNET_ROUTE_REFRESH_MS (tests shorten it) or REFRESH_MS. */
export function refreshMsFromEnv(): number {
  const v = Number(process.env.SVCNET_ROUTE_REFRESH_MS);
  return Number.isInteger(v) && v >= 100 ? v : REFRESH_MS;
}

/** Stable names of records dropped without blaming the peer that relayed them. */
const DROPPED = { 'seq-ahead': 'SVCNET_ERR_ROUTES_SEQ_AHEAD', 'seq-old': 'SVCNET_ERR_ROUTES_SEQ_OLD', full: 'SVCNET_ERR_ROUTES_FULL' } as const;

/** A budget of a peer not linked for this long is forgotten (it would have refilled by then). */
const BUDGET_IDLE_MS = 10 * 60_000;

/**
 * New versions of one site's record accepted: 10 at once, then 2 a second (120 a minute). A site's
 * record changes when its links or connectors do and is refreshed every 30 s; each accepted
 * version costs every site a route recomputation, so a site re-signing its record in a loop is
 * held to this rate network-wide (the excess is not flooded).
 */
export const ORIGIN_BURST = 10;
export const ORIGIN_PER_MINUTE = 120;

/** The budget key of a peer: its base site id, so router-replica suffixes (`id/x`) share it. */
export function peerKey(siteId: string): string { return baseSiteId(siteId) ?? siteId; }

/** The outcome of one ROUTES payload: records that changed the database, and why to reset the peer. */
export interface Intake {
  changed: SiteRecord[];
  fault?: { code: number; name: string; reason: string };
}

/** Who sent a payload: the peer's proven site id, and names for the log. */
export interface RoutesSender { siteId: string; siteName: string; link: string }

export class RoutesIntake {
  /** refusals by stable name; the data plane shares this object with its HELLO refusals */
  readonly refusals: Record<string, number> = {};
  readonly warnings: LogBudget;
  /** per peer base site id (proven in HELLO), so reconnecting, under any replica suffix, does not refill a budget */
  private readonly budgets = new Map<string, { budget: RoutesBudget; used: number }>();
  /** accepted record versions per origin site id */
  private readonly origins = new Map<string, TokenBucket>();
  /** the newest verified record of an origin over its rate, applied when its bucket refills */
  private readonly pending = new Map<string, { rec: SiteRecord; via: string }>();

  constructor(private readonly lsdb: LinkStateDb, private readonly selfId: string, log: Logger, private readonly budget: RoutesBudgetOptions = DEFAULT_ROUTES_BUDGET, private readonly now: () => number = Date.now) {
    this.warnings = new LogBudget(log);
  }

  private originBucket(id: string): TokenBucket {
    let b = this.origins.get(id);
    if (!b) this.origins.set(id, (b = new TokenBucket(ORIGIN_BURST, ORIGIN_PER_MINUTE, this.now)));
    return b;
  }

  /** Whether records over their origin's rate wait to be applied (drainPending). */
  get hasPending(): boolean { return this.pending.size > 0; }

  /**
   * Applies the waiting records whose origin has a token again; returns those that changed the
   * database (to be flooded). The data plane calls it on a timer while hasPending.
   */
  drainPending(): SiteRecord[] {
    const changed: SiteRecord[] = [];
    for (const [id, p] of this.pending) {
      const held = this.lsdb.seqOf(id);
      if (held !== undefined && held >= p.rec.seq) { this.pending.delete(id); continue; }
      if (!this.originBucket(id).take(1)) continue;
      this.pending.delete(id);
      if (this.lsdb.apply(p.rec, p.via) === 'changed') changed.push(p.rec);
    }
    return changed;
  }

  count(name: string): void { this.refusals[name] = (this.refusals[name] ?? 0) + 1; }

  /**
   * Takes the records of one ROUTES payload: each must be well formed, newer than ours, signed by
   * its site and within the clock window. Records of new sites over the peer's budget are dropped;
   * a forged signature, the byte budget or new sites far past the budget are a fault (reset the
   * peer). What verified before a fault is genuine and is returned to be flooded on.
   */
  take(from: RoutesSender, payload: Buffer, now = this.now()): Intake {
    const via = peerKey(from.siteId);
    let entry = this.budgets.get(via);
    if (!entry) this.budgets.set(via, (entry = { budget: new RoutesBudget(this.budget, this.now), used: now }));
    entry.used = now;
    const budget = entry.budget;
    if (!budget.takeBytes(payload.length)) return this.fault([], 'SVCNET_ERR_ROUTES_BUDGET', 'ROUTES over the byte budget');
    let raw: unknown;
    try { raw = JSON.parse(payload.toString('utf8')); } catch { raw = null; }
    if (!Array.isArray(raw)) {
      this.count('SVCNET_ERR_ROUTES_MALFORMED');
      this.warnings.warn('routes-malformed', { link: from.link }, 'malformed ROUTES frame ignored');
      return { changed: [] };
    }
    const changed: SiteRecord[] = [];
    for (const r of raw) {
      const rec = parseSiteRecord(r);
      if (!rec) { this.count('SVCNET_ERR_ROUTES_MALFORMED'); continue; }
      const verdict = this.lsdb.has(rec.id) || rec.id === this.selfId ? 'take' : budget.takeSite();
      if (verdict === 'reset') return this.fault(changed, 'SVCNET_ERR_ROUTES_BUDGET', 'ROUTES go on adding sites far past the budget');
      if (verdict === 'drop') {
        this.count('SVCNET_ERR_ROUTES_OVER_BUDGET');
        this.warnings.warn('routes-over-budget', { link: from.link, peer: from.siteName }, 'routing record of a new site dropped: the peer adds sites faster than its budget');
        continue;
      }
      const held = this.lsdb.seqOf(rec.id);
      const newer = rec.id !== this.selfId && (held === undefined || rec.seq > held);
      let result: ReturnType<LinkStateDb['apply']>;
      if (newer && !this.originBucket(rec.id).take(1)) {
        // Over the origin's rate: checked (a forgery still resets) but kept back, not flooded.
        result = this.lsdb.check(rec, via);
        if (result === 'changed') {
          const p = this.pending.get(rec.id);
          if (!p || p.rec.seq < rec.seq) this.pending.set(rec.id, { rec, via });
          this.count('SVCNET_ERR_ROUTES_RATE');
          this.warnings.warn('routes-rate', { link: from.link, site: clip(rec.id, 64) }, 'routing record held back: its site changes its record faster than allowed');
          continue;
        }
      } else result = this.lsdb.apply(rec, via);
      if (result === 'changed') changed.push(rec);
      else if (result === 'forged') return this.fault(changed, 'SVCNET_ERR_ROUTES_FORGED', `a routing record for site ${clip(rec.id, 64)} has a signature that does not verify`);
      else if (result === 'seq-ahead' || result === 'seq-old' || result === 'full') {
        this.count(DROPPED[result]);
        this.warnings.warn(`routes-${result}`, { link: from.link, site: clip(rec.id, 64), seq: rec.seq }, result === 'full'
          ? 'routing record dropped: the database holds the most sites allowed'
          : 'routing record dropped: its seq is outside this site\'s clock window (check the clocks)');
      }
    }
    return { changed };
  }

  private fault(changed: SiteRecord[], name: string, reason: string): Intake {
    this.count(name);
    return { changed, fault: { code: P.ERR_ROUTES_BUDGET, name, reason } };
  }

  /** Forgets budgets of peers not heard from for a while (linked peers are in `linked`). */
  prune(linked: ReadonlySet<string>, now = this.now()): void {
    for (const [peer, e] of this.budgets) if (!linked.has(peer) && now - e.used > BUDGET_IDLE_MS) this.budgets.delete(peer);
    // A bucket of a site no longer held has refilled or will be recreated full: the same either way.
    for (const id of this.origins.keys()) if (!this.lsdb.has(id) && !this.pending.has(id)) this.origins.delete(id);
  }
}
