// Per-peer budgets for ROUTES: bytes received and sites added to the database, each a token bucket
// (a burst, refilled at a steady rate). Pure: the clock is injected. A peer over budget is reset.

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
}

/**
 * Defaults: a whole database of 1,024 signed records is about 0.4 MB, refreshed every 30 s; a
 * first sync of up to 256 new sites is fine, then 64 a minute.
 */
export const DEFAULT_ROUTES_BUDGET: Readonly<RoutesBudgetOptions> = Object.freeze({
  bytesBurst: 8 << 20, bytesPerMinute: 4 << 20, sitesBurst: 256, sitesPerMinute: 64,
});

/** The ROUTES budget of one peer (kept per peer site id, so a reconnect does not refill it). */
export class RoutesBudget {
  private readonly bytes: TokenBucket;
  private readonly sites: TokenBucket;

  constructor(o: RoutesBudgetOptions = DEFAULT_ROUTES_BUDGET, now: () => number = Date.now) {
    this.bytes = new TokenBucket(o.bytesBurst, o.bytesPerMinute, now);
    this.sites = new TokenBucket(o.sitesBurst, o.sitesPerMinute, now);
  }

  /** Accounts a ROUTES frame of `n` bytes; false when over budget. */
  takeBytes(n: number): boolean { return this.bytes.take(n); }
  /** Accounts one site new to the database; false when over budget. */
  takeSite(): boolean { return this.sites.take(1); }
}
