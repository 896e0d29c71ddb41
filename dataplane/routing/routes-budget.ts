// Per-peer budgets for ROUTES: bytes received and sites added to the database, each a token bucket
// (a burst, refilled at a steady rate). Pure: the clock is injected. Records of new sites over the
// budget are dropped; a peer far over it (or over the byte budget) is reset.

/** A token bucket: `burst` tokens at most, refilled at `perMinute`. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(private readonly burst: number, private readonly perMinute: number, private readonly now: () => number = Date.now) {
    this.tokens = burst;
    this.at = now();
  }

  /** Takes `n` tokens if there are that many; false (and nothing taken) otherwise. */
  take(n = 1): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.at) * this.perMinute) / 60_000);
    this.at = t;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

export interface RoutesBudgetOptions {
  /** ROUTES payload bytes: burst and refill per minute */
  bytesBurst: number;
  bytesPerMinute: number;
  /** sites new to our database: burst and refill per minute */
  sitesBurst: number;
  sitesPerMinute: number;
  /** new-site records dropped over budget before the peer is reset: burst and refill per minute */
  dropsBurst: number;
  dropsPerMinute: number;
}

/**
 * Defaults: a whole database of 1,024 signed records is about 0.4 MB, refreshed every 30 s; 256
 * new sites at once, then 64 a minute. A neighbour relaying a flood it took from a third site
 * stays within its own budget (its database is capped at 1,024 sites), so it sees drops, not a
 * reset; a peer that goes on inventing sites past 1,024 drops is reset.
 */
export const DEFAULT_ROUTES_BUDGET: Readonly<RoutesBudgetOptions> = Object.freeze({
  bytesBurst: 8 << 20, bytesPerMinute: 4 << 20, sitesBurst: 256, sitesPerMinute: 64, dropsBurst: 1024, dropsPerMinute: 256,
});

/** What to do with a record of a site new to the database. */
export type NewSiteVerdict = 'take' | 'drop' | 'reset';

/** The ROUTES budget of one peer (kept per peer site id, so a reconnect does not refill it). */
export class RoutesBudget {
  private readonly bytes: TokenBucket;
  private readonly sites: TokenBucket;
  private readonly drops: TokenBucket;

  constructor(o: RoutesBudgetOptions = DEFAULT_ROUTES_BUDGET, now: () => number = Date.now) {
    this.bytes = new TokenBucket(o.bytesBurst, o.bytesPerMinute, now);
    this.sites = new TokenBucket(o.sitesBurst, o.sitesPerMinute, now);
    this.drops = new TokenBucket(o.dropsBurst, o.dropsPerMinute, now);
  }

  /** Accounts a ROUTES frame of `n` bytes; false when over budget. */
  takeBytes(n: number): boolean { return this.bytes.take(n); }
  /** Accounts one record of a site new to the database: take it, drop it (over budget), or reset the peer (far over). */
  takeSite(): NewSiteVerdict {
    if (this.sites.take(1)) return 'take';
    return this.drops.take(1) ? 'drop' : 'reset';
  }
}
