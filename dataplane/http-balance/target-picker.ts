// The per-request choice of a request-balanced listener (issue 13), shared by the HTTP/1.1 and the
// HTTP/2 balancer: the key now (multi-key listeners choose again each time), its targets from the
// route snapshot (target-choice.ts), the least loaded one, and that target's pool (an http.Agent, or
// upstream HTTP/2 sessions), whose new connections upstreams.ts opens toward where the target is.
import type { Duplex } from 'node:stream';
import type { ListenerSpec } from '../port/push.js';
import type { RouteTable } from '../routing/route-table.js';
import { chooseKey, type RoundRobinState } from '../routing/key-choice.js';
import { targetsOf, chooseTarget, type BalanceTarget, type Cursor } from './target-choice.js';
import { TargetPools, type Pool } from './target-pools.js';
import type { Upstreams } from './upstreams.js';

export interface PickerDeps {
  siteId: string;
  /** the route snapshot now (read per request, never kept) */
  routes: () => RouteTable;
  reachable: (key: string) => boolean;
  upstreams: Upstreams;
}

/** One attempt's target, counted as begun. */
export interface Picked<P> { id: string; label: string; pool: P; target: BalanceTarget; key: string }

export class TargetPicker<P extends Pool> {
  readonly pools: TargetPools<P>;
  private readonly cursor: Cursor = { next: 0 };
  private readonly rr: RoundRobinState = new Map();
  private lastVersion = -1;
  /** where each pool's new connections go: its target as last chosen (a pool's id names one target) */
  private readonly targetOf = new Map<string, { t: BalanceTarget; key: string }>();

  /** `make(open)`: a pool whose new connections come from `open`. */
  constructor(private readonly spec: ListenerSpec, private readonly d: PickerDeps, make: (open: () => Duplex) => P) {
    this.pools = new TargetPools((id) => make(() => this.open(id)));
  }

  /** The target for an attempt (not one of `tried`), counted as begun; undefined when none is left. */
  pick(tried: ReadonlySet<string>, retry: boolean): Picked<P> | undefined {
    const key = this.keyNow();
    if (key === undefined) return undefined;
    const t = chooseTarget(this.targetsNow(key), (id) => this.pools.load(id), this.cursor, tried);
    if (!t) return undefined;
    const e = this.pools.get(t.id, t.siteName);
    this.pools.begin(e, retry);
    this.targetOf.set(t.id, { t, key });
    return { id: t.id, label: t.kind === 'local' ? `${t.siteName}/${t.connector}` : `${t.siteName}#${t.lane}`, pool: e.pool, target: t, key };
  }

  /** The attempt at `id` ended (`failed`: it failed). */
  finish(id: string, failed: boolean): void {
    const e = this.pools.entry(id);
    if (e) this.pools.finish(e, failed);
  }

  private keyNow(): string | undefined {
    const keys = this.spec.keys && this.spec.keys.length > 0 ? this.spec.keys : [{ key: this.spec.routingKey, weight: 1 }];
    return chooseKey({ mode: this.spec.mode ?? 'single', keys }, this.d.reachable, this.rr);
  }

  private targetsNow(key: string): BalanceTarget[] {
    const routes = this.d.routes();
    const targets = targetsOf(key, routes.keys.get(key), this.d.siteId, this.d.upstreams.localConnectors(key));
    if (routes.version !== this.lastVersion) {
      // Routes changed: pools of targets that left (and are idle) close.
      this.lastVersion = routes.version;
      const live = new Set<string>();
      for (const k of routes.keys.keys()) for (const t of targetsOf(k, routes.keys.get(k), this.d.siteId, this.d.upstreams.localConnectors(k))) live.add(t.id);
      this.pools.prune(live);
      for (const id of this.targetOf.keys()) if (!live.has(id) && !this.pools.entry(id)) this.targetOf.delete(id);
    }
    return targets;
  }

  private open(id: string): Duplex {
    const w = this.targetOf.get(id)!;
    // A pooled connection serves many clients: its OPEN names the listener's pool, not one client.
    return this.d.upstreams.connect(w.t, w.key, `pool of listener ${this.spec.name}`);
  }
}
