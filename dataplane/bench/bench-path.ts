// The path a bench measures, as routing chose it (issue 14): from the driver, each site's next hop
// toward the target by the same least-cost computation that site runs over the same link-state
// database (routing/paths.ts; ties broken the same way everywhere). Pure.
import { shortestPaths } from '../routing/paths.js';
import type { SiteRecord } from '../routing/site-record.js';
import type { BenchPath } from '../port/bench.js';

/** The sites and links from `self` to `target`; undefined when `target` is unreachable. Bounded by
 *  the database size, so a database in flux cannot make it loop. */
export function benchPath(self: string, target: string, records: ReadonlyMap<string, SiteRecord>): BenchPath | undefined {
  const name = (id: string) => records.get(id)?.name ?? id;
  const sites = [{ id: self, name: name(self) }];
  const links: BenchPath['links'] = [];
  let at = self;
  while (at !== target) {
    if (sites.length > records.size) return undefined;
    const next = shortestPaths(at, records).get(target)?.nextHop;
    if (next === undefined || next === at) return undefined;
    const cost = records.get(at)?.links.find((l) => l.peer === next)?.cost ?? 0;
    links.push({ from: name(at), to: name(next), cost });
    sites.push({ id: next, name: name(next) });
    at = next;
  }
  return { sites, links, hops: links.length };
}

/** The site `to` names (a name or an id) among `records`; undefined when none. */
export function findSite(to: string, records: ReadonlyMap<string, SiteRecord>): SiteRecord | undefined {
  const byId = records.get(to);
  if (byId) return byId;
  for (const r of records.values()) if (r.name === to) return r;
  return undefined;
}
