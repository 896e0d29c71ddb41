// The whole network's traffic as /api/traffic shows it (issue 12): the summaries each engine of
// this site holds (port/traffic.ts), united by origin (the newest of each), grouped by site (a
// site's further engines are nodes `<site id>/worker-k`), marked stale when the origin is
// unreachable or silent for STALE_INTERVALS of its periods, and totalled per routing key. Pure.
import type { HeldTraffic, HttpStatusClass, TrafficEndpointRow, TrafficHttpRow, TrafficKeyRow, TrafficLinkRow } from '../../dataplane/port/traffic.js';
import { baseSiteId } from '../../common/identity.js';

/** A summary older than this many of its origin's periods is stale. */
export const STALE_INTERVALS = 3;

export interface SiteTraffic {
  /** the site id (base of its engines' node ids) */
  id: string;
  name: string;
  /** this site */
  self: boolean;
  /** some engine of it is reachable */
  reachable: boolean;
  /** no engine of it is fresh: each is unreachable, or its newest summary is older than STALE_INTERVALS periods */
  stale: boolean;
  /** further engines (worker-k) that are stale while the site is not */
  staleNodes: string[];
  /** ms since the freshest of its engines' summaries arrived */
  ageMs: number;
  intervalMs: number;
  /** key rows the origin left out to stay within the size bound */
  omitted: number;
  /** rows of every engine of the site; `node` names a further engine (worker-k), `stale` marks a stale engine's */
  keys: (TrafficKeyRow & { node?: string; stale?: boolean })[];
  links: (TrafficLinkRow & { node?: string; stale?: boolean })[];
  /** HTTP requests by status class per key, observed at the site's http1 listeners (each engine's own rows) */
  http?: (TrafficHttpRow & { node?: string; stale?: boolean })[];
  /** its listeners and connectors per key with their readiness (each engine's own rows); empty from a site before the field */
  ends?: (TrafficEndpointRow & { node?: string; stale?: boolean })[];
}

/** One site's listeners (or connectors) of one key: readiness, and the flows at that end. */
export interface ServiceEnd {
  site: string;
  /** how many are ready, of how many (the most any engine of the site reports); null when the site does not share them (a site before the field) */
  ready: number | null;
  total: number | null;
  /** flows at that end (its rows of that role, and local ones): open, opened, failed, bytes/s both ways (fresh rows only) */
  active: number;
  opened: number;
  failed: number;
  rate: number;
  /** the site's figures are stale */
  stale: boolean;
}

/**
 * One routing key across the network, counted where its flows reach a server (connector and local
 * rows): the key row's figures summed over sites (rates only from engines whose summaries are fresh;
 * time-to-first-byte percentiles the highest of the connector sites').
 */
export interface ServiceTraffic extends Omit<TrafficKeyRow, 'role' | 'peerSite'> {
  /** the sites whose connectors carried it */
  sites: string[];
  /** some of the sites that carried it are stale */
  stale: boolean;
  /** HTTP requests by status class, summed over the sites that observed them (their listeners); absent when none did */
  requests?: Record<HttpStatusClass, number>;
  /** every site with a listener of the key (shared, or known by its listener rows), and every site with a connector (networkTraffic always sets them) */
  listeners?: ServiceEnd[];
  connectors?: ServiceEnd[];
}

export interface NetworkTraffic {
  at: string;
  staleIntervals: number;
  sites: SiteTraffic[];
  services: ServiceTraffic[];
}

/** The newest summary of each origin over every engine's list (an origin is reachable if any engine reaches it). */
export function uniteByOrigin(lists: readonly (readonly HeldTraffic[])[]): HeldTraffic[] {
  const best = new Map<string, HeldTraffic>();
  for (const list of lists) for (const h of list) {
    const cur = best.get(h.summary.origin);
    if (!cur) { best.set(h.summary.origin, h); continue; }
    const newer = h.summary.seq > cur.summary.seq ? h : cur;
    best.set(h.summary.origin, { ...newer, reachable: h.reachable || cur.reachable, self: h.self || cur.self });
  }
  return [...best.values()];
}

/** The suffix of a further engine's node id (`worker-2`), or undefined for the site's own node. */
function nodeSuffix(origin: string): string | undefined {
  const i = origin.indexOf('/');
  return i < 0 ? undefined : origin.slice(i + 1);
}

/** The network's traffic at `now` (epoch ms) from every engine's held summaries. */
export function networkTraffic(lists: readonly (readonly HeldTraffic[])[], selfId: string, now: number): NetworkTraffic {
  const sites = new Map<string, SiteTraffic>();
  for (const h of uniteByOrigin(lists).sort((a, b) => a.summary.origin.localeCompare(b.summary.origin))) {
    const s = h.summary;
    const id = baseSiteId(s.origin) ?? s.origin;
    const node = nodeSuffix(s.origin);
    const age = Math.max(0, now - h.receivedAt);
    const stale = !h.reachable || age > STALE_INTERVALS * s.intervalMs;
    let site = sites.get(id);
    if (!site) {
      sites.set(id, (site = { id, name: node ? s.name.slice(0, s.name.length - node.length - 1) : s.name, self: id === selfId, reachable: h.reachable, stale, staleNodes: [], ageMs: age, intervalMs: s.intervalMs, omitted: 0, keys: [], links: [], http: [], ends: [] }));
    } else {
      site.reachable ||= h.reachable;
      site.stale &&= stale;
      site.ageMs = Math.min(site.ageMs, age);
      site.intervalMs = Math.max(site.intervalMs, s.intervalMs);
      if (!node) site.name = s.name;
    }
    if (stale && node) site.staleNodes.push(node);
    // A stale engine's rows are marked, so totals take no rate from them.
    const mark = <T extends object>(r: T): T & { node?: string; stale?: boolean } => (node || stale ? { ...r, ...(node ? { node } : {}), ...(stale ? { stale: true } : {}) } : r);
    site.omitted += s.omitted;
    site.keys.push(...s.keys.map(mark));
    site.links.push(...s.links.map(mark));
    site.http!.push(...(s.http ?? []).map(mark));
    site.ends!.push(...(s.ends ?? []).map(mark));
  }
  for (const site of sites.values()) if (site.stale) site.staleNodes = [];
  const all = [...sites.values()].sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
  return { at: new Date(now).toISOString(), staleIntervals: STALE_INTERVALS, sites: all, services: serviceTotals(all) };
}

/** Per routing key: the connector ends' rows of every site, summed (each flow reaches one connector once). */
export function serviceTotals(sites: readonly SiteTraffic[]): ServiceTraffic[] {
  const out = new Map<string, ServiceTraffic>();
  for (const site of sites) for (const r of site.keys) {
    if (r.role !== 'connector' && r.role !== 'local') continue;
    const t = service(out, r.key);
    if (!t.sites.includes(site.name)) t.sites.push(site.name);
    t.opened += r.opened;
    t.active += r.active;
    t.failed += r.failed;
    t.bytesToServer += r.bytesToServer;
    t.bytesToClient += r.bytesToClient;
    if (!r.stale) { t.rateToServer += r.rateToServer; t.rateToClient += r.rateToClient; }
    t.ttfbP50Ms = Math.max(t.ttfbP50Ms, r.ttfbP50Ms);
    t.ttfbP99Ms = Math.max(t.ttfbP99Ms, r.ttfbP99Ms);
    t.stale ||= r.stale === true;
  }
  // Requests are observed once each, at the listener's site: summed over every site's rows.
  for (const site of sites) for (const h of site.http ?? []) {
    const t = service(out, h.key);
    const sum = (t.requests ??= { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, none: 0 });
    for (const c of Object.keys(sum) as HttpStatusClass[]) sum[c] += h.requests[c] ?? 0;
  }
  for (const site of sites) serviceEnds(site, out);
  return [...out.values()].sort((a, b) => a.key.localeCompare(b.key));
}

function service(out: Map<string, ServiceTraffic>, key: string): ServiceTraffic {
  let t = out.get(key);
  if (!t) out.set(key, (t = { key, sites: [], opened: 0, active: 0, failed: 0, bytesToServer: 0, bytesToClient: 0, rateToServer: 0, rateToClient: 0, ttfbP50Ms: -1, ttfbP99Ms: -1, stale: false, listeners: [], connectors: [] }));
  return t;
}

/**
 * Adds `site`'s listener and connector ends to each key's lists: readiness from its `ends` rows (the
 * most any engine reports: every engine of a site runs the same listeners and connectors), flows from
 * its key rows of that role (local rows count at both ends).
 */
function serviceEnds(site: SiteTraffic, out: Map<string, ServiceTraffic>): void {
  const ends = new Map<string, ServiceEnd & { kind: 'listeners' | 'connectors' }>();
  const end = (key: string, kind: 'listeners' | 'connectors') => {
    const id = `${kind}\u0000${key}`;
    let e = ends.get(id);
    if (!e) ends.set(id, (e = { kind, site: site.name, ready: null, total: null, active: 0, opened: 0, failed: 0, rate: 0, stale: site.stale }));
    service(out, key);
    return e;
  };
  for (const r of site.ends ?? []) {
    for (const [kind, ready, total] of [['listeners', r.listenersReady, r.listeners], ['connectors', r.connectorsReady, r.connectors]] as const) {
      if (total === 0) continue;
      const e = end(r.key, kind);
      e.ready = Math.max(e.ready ?? 0, ready);
      e.total = Math.max(e.total ?? 0, total);
    }
  }
  for (const r of site.keys) {
    const kinds = r.role === 'listener' ? ['listeners'] as const : r.role === 'connector' ? ['connectors'] as const : r.role === 'local' ? ['listeners', 'connectors'] as const : [];
    for (const kind of kinds) {
      const e = end(r.key, kind);
      e.active += r.active; e.opened += r.opened; e.failed += r.failed;
      if (!r.stale) e.rate += r.rateToServer + r.rateToClient;
      e.stale ||= r.stale === true;
    }
  }
  for (const [id, { kind, ...e }] of ends) out.get(id.slice(id.indexOf('\u0000') + 1))![kind]!.push(e);
}

/** What each engine of this site last reported; read as one view. */
export class TrafficView {
  private readonly byWorker = new Map<number, HeldTraffic[]>();

  constructor(private readonly selfId: string) {}

  /** Engine `worker`'s report replaces its previous one. */
  update(worker: number, held: HeldTraffic[]): void { this.byWorker.set(worker, held); }

  /** The network's traffic now. */
  view(now = Date.now()): NetworkTraffic { return networkTraffic([...this.byWorker.values()], this.selfId, now); }
}
