// The connection pools of one request-balanced listener, one per target, with the counts its status
// shows (issue 13). Bookkeeping only: what a pool is (an http.Agent in request-balancer.ts, a fake in
// the unit tests) is the factory's business. A pool is made on a target's first request and dropped
// once its target is gone from the key and it has no request in flight.

/** What the bookkeeping needs of a pool. */
export interface Pool { destroy(): void }

/** Requests per target, as the listener's status lists them. */
export interface TargetCounts {
  /** requests sent here (retries included) */
  requests: number;
  /** requests in flight here now */
  active: number;
  /** attempts here that failed (the request was then retried elsewhere or answered 502) */
  failed: number;
  /** requests that came here after failing at another target */
  retried: number;
}

export interface TargetEntry<P extends Pool> extends TargetCounts {
  readonly id: string;
  readonly pool: P;
  /** the site's name, for status */
  readonly siteName: string;
}

/** Most pools one listener keeps: beyond, targets without a request in flight are dropped first. */
export const MAX_POOLS = 256;

export class TargetPools<P extends Pool> {
  private readonly entries = new Map<string, TargetEntry<P>>();
  /** counts of dropped pools, so status totals do not go backwards when routes change */
  private readonly gone = new Map<string, TargetCounts & { siteName: string }>();

  constructor(private readonly make: (id: string) => P, private readonly max = MAX_POOLS) {}

  /** The entry of target `id`, made (with its pool) on first use. */
  get(id: string, siteName: string): TargetEntry<P> {
    let e = this.entries.get(id);
    if (e) return e;
    if (this.entries.size >= this.max) this.evictIdle();
    const before = this.gone.get(id);
    this.gone.delete(id);
    e = { id, siteName, pool: this.make(id), requests: before?.requests ?? 0, active: 0, failed: before?.failed ?? 0, retried: before?.retried ?? 0 };
    this.entries.set(id, e);
    return e;
  }

  /** The entry of `id` if it has a pool now. */
  entry(id: string): TargetEntry<P> | undefined { return this.entries.get(id); }

  /** Requests in flight at `id` (0 for a target without a pool yet). */
  load(id: string): number { return this.entries.get(id)?.active ?? 0; }

  /** A request starts at `e` (`retry`: after failing elsewhere). */
  begin(e: TargetEntry<P>, retry: boolean): void {
    e.requests++;
    e.active++;
    if (retry) e.retried++;
  }

  /** A request at `e` ended (`failed`: the attempt failed). */
  finish(e: TargetEntry<P>, failed: boolean): void {
    e.active--;
    if (failed) e.failed++;
  }

  /** Drops the pools of targets not in `live` that have nothing in flight (their sockets close). */
  prune(live: ReadonlySet<string>): void {
    for (const [id, e] of this.entries) if (!live.has(id) && e.active === 0) this.drop(id, e);
  }

  private evictIdle(): void {
    for (const [id, e] of this.entries) if (e.active === 0) { this.drop(id, e); return; }
  }

  private drop(id: string, e: TargetEntry<P>): void {
    this.entries.delete(id);
    e.pool.destroy();
    this.gone.set(id, { siteName: e.siteName, requests: e.requests, active: 0, failed: e.failed, retried: e.retried });
    // Keep the remembered counts bounded too.
    if (this.gone.size > this.max) this.gone.delete(this.gone.keys().next().value!);
  }

  /** Every target seen, live ones first, with its counts. */
  status(): ({ target: string; site: string; pooled: boolean } & TargetCounts)[] {
    const live = [...this.entries.values()].map((e) => ({ target: e.id, site: e.siteName, pooled: true, requests: e.requests, active: e.active, failed: e.failed, retried: e.retried }));
    const old = [...this.gone].map(([id, g]) => ({ target: id, site: g.siteName, pooled: false, requests: g.requests, active: 0, failed: g.failed, retried: g.retried }));
    return [...live, ...old];
  }

  /** Destroys every pool (the listener is gone). */
  close(): void {
    for (const [id, e] of this.entries) this.drop(id, e);
  }

  get size(): number { return this.entries.size; }
}
