// The immutable route snapshot the hot path reads: for each routing key, the sites that serve it,
// with path cost and first hop. Rebuilt on every link-state change and swapped in whole.
import { shortestPaths, type PathEntry } from './paths.js';
import type { SiteRecord } from './site-record.js';

export interface RouteTarget {
  site: string;
  siteName: string;
  cost: number;
  /** neighbour to send through; equals `site` for a direct neighbour and self for local */
  nextHop: string;
}

export interface RouteTable {
  readonly self: string;
  readonly version: number;
  readonly paths: ReadonlyMap<string, PathEntry>;
  /** targets per key, cheapest first */
  readonly keys: ReadonlyMap<string, readonly RouteTarget[]>;
}

/** Builds the snapshot from the link-state database. */
export function buildRouteTable(self: string, records: ReadonlyMap<string, SiteRecord>, version: number): RouteTable {
  const paths = shortestPaths(self, records);
  const keys = new Map<string, RouteTarget[]>();
  for (const [site, path] of paths) {
    const rec = records.get(site)!;
    for (const key of rec.keys) {
      let list = keys.get(key);
      if (!list) keys.set(key, (list = []));
      list.push({ site, siteName: rec.name, cost: path.cost, nextHop: path.nextHop });
    }
  }
  for (const list of keys.values()) list.sort((a, b) => a.cost - b.cost || (a.site < b.site ? -1 : 1));
  return { self, version, paths, keys };
}

/** Whether two tables route every key to the same targets, in the same order (what 'routes changed' means). */
export function sameKeys(a: RouteTable['keys'], b: RouteTable['keys']): boolean {
  if (a.size !== b.size) return false;
  for (const [key, la] of a) {
    const lb = b.get(key);
    if (!lb || lb.length !== la.length) return false;
    for (let i = 0; i < la.length; i++) {
      const x = la[i], y = lb[i];
      if (x.site !== y.site || x.siteName !== y.siteName || x.cost !== y.cost || x.nextHop !== y.nextHop) return false;
    }
  }
  return true;
}

/**
 * Chooses a target for a new flow: the cheapest reachable sites (a local connector costs 0 and so
 * always wins), and among equals the one with the fewest open flows (or, with an affinity hash,
 * the one the client address hashes to).
 */
export function pickTarget(table: RouteTable, key: string, openFlows: (site: string) => number, affinityHash?: number): RouteTarget | undefined {
  const list = table.keys.get(key);
  if (!list || list.length === 0) return undefined;
  const cheapest = list[0].cost;
  if (affinityHash !== undefined) {
    // Session affinity: the same client address lands on the same target while the set is stable.
    let n = 1;
    while (n < list.length && list[n].cost === cheapest) n++;
    return list[affinityHash % n];
  }
  let best = list[0];
  let bestLoad = openFlows(best.site);
  for (let i = 1; i < list.length && list[i].cost === cheapest; i++) {
    const load = openFlows(list[i].site);
    if (load < bestLoad) { best = list[i]; bestLoad = load; }
  }
  return best;
}
