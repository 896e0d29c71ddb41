// Least-cost paths over the link-state database (Dijkstra). A link counts only when both ends
// report it, so a half-dead link or a stale record never attracts traffic.
import type { SiteRecord } from './site-record.js';

export interface PathEntry {
  cost: number;
  /** the neighbour site to send through; the site itself for `self` */
  nextHop: string;
}

/** Cost and first hop to every site reachable from `self`. */
export function shortestPaths(self: string, records: ReadonlyMap<string, SiteRecord>): Map<string, PathEntry> {
  const out = new Map<string, PathEntry>();
  if (!records.has(self)) return out;
  const dist = new Map<string, PathEntry>([[self, { cost: 0, nextHop: self }]]);
  const done = new Set<string>();
  while (true) {
    let best: string | undefined;
    let bestCost = Infinity;
    for (const [id, e] of dist) {
      if (!done.has(id) && (e.cost < bestCost || (e.cost === bestCost && best !== undefined && id < best))) {
        best = id;
        bestCost = e.cost;
      }
    }
    if (best === undefined) break;
    done.add(best);
    out.set(best, dist.get(best)!);
    const rec = records.get(best);
    if (!rec) continue;
    for (const l of rec.links) {
      const peer = records.get(l.peer);
      if (!peer || done.has(l.peer) || !peer.links.some((b) => b.peer === best)) continue;
      const cost = bestCost + l.cost;
      const nextHop = best === self ? l.peer : dist.get(best)!.nextHop;
      const cur = dist.get(l.peer);
      if (!cur || cost < cur.cost || (cost === cur.cost && nextHop < cur.nextHop)) dist.set(l.peer, { cost, nextHop });
    }
  }
  return out;
}
