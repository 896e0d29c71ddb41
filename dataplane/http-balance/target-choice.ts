// Which target a request of a request-balanced (`balance: request`) http1 listener goes to (issue 13).
// A target is one local connector, or one "lane" of a remote site: the far site picks its connector
// by the lane number (sent in the OPEN's `affinity` field, which it already reads as "the n-th ready
// connector by name, modulo their number"), so two connectors at one remote site both get requests
// without a protocol change. Pure: the balancer keeps the cursor and the loads.
import type { RouteTarget } from '../routing/route-table.js';

/** Lanes per remote site: even spread over 1, 2 or 4 connectors there (3 get 2:1:1; see docs/architecture.md). */
export const REMOTE_LANES = 4;

/** Where one request may go. `id` names its connection pool. */
export type BalanceTarget =
  | { kind: 'local'; id: string; site: string; siteName: string; connector: string }
  | { kind: 'remote'; id: string; site: string; siteName: string; lane: number };

/**
 * The targets of a key now: the cheapest sites that serve it (as for a new flow: a local connector
 * costs 0 and so wins), each as its ready local connectors (sorted by name) or as REMOTE_LANES lanes.
 */
export function targetsOf(key: string, routes: readonly RouteTarget[] | undefined, self: string, localConnectors: readonly string[], lanes = REMOTE_LANES): BalanceTarget[] {
  if (!routes || routes.length === 0) return [];
  const out: BalanceTarget[] = [];
  const cheapest = routes[0].cost;
  for (const r of routes) {
    if (r.cost !== cheapest) break;
    if (r.site === self) {
      for (const name of [...localConnectors].sort()) out.push({ kind: 'local', id: `${key}@local/${name}`, site: r.site, siteName: r.siteName, connector: name });
    } else {
      for (let lane = 0; lane < lanes; lane++) out.push({ kind: 'remote', id: `${key}@${r.site}/${lane}`, site: r.site, siteName: r.siteName, lane });
    }
  }
  return out;
}

/** Round-robin position of one listener's choices. */
export interface Cursor { next: number }

/**
 * The target for the next request: among those not in `exclude` (already failed for this request),
 * the fewest requests in flight (`load`), ties broken round robin from `cursor`, so one client's
 * sequential requests alternate over equal targets. Undefined when every target is excluded.
 */
export function chooseTarget(targets: readonly BalanceTarget[], load: (id: string) => number, cursor: Cursor, exclude?: ReadonlySet<string>): BalanceTarget | undefined {
  const n = targets.length;
  let best = -1;
  let bestLoad = Infinity;
  for (let k = 0; k < n; k++) {
    const i = (cursor.next + k) % n;
    const t = targets[i];
    if (exclude?.has(t.id)) continue;
    const l = load(t.id);
    if (l < bestLoad) { best = i; bestLoad = l; }
  }
  if (best < 0) return undefined;
  cursor.next = (best + 1) % n;
  return targets[best];
}
