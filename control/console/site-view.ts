// One site's page in the console (issue 12 item 3, `/api/sites/:name`): its links (rate each way,
// up or down), its listeners and connectors (readiness, rates), its traffic per key and per peer
// site, stale marking — from what the console already holds: this site's status and the network's
// traffic summaries (traffic-view.ts). Of another site the summaries give links, key rows and its
// listeners and connectors per key with their readiness (`ends`); from a site before that field its
// listeners are known by their rows, its connectors also by its routing record's keys. Pure.
import type { RuntimeStatus } from '../state/site-store.js';
import type { NetworkTraffic, SiteTraffic } from './traffic-view.js';
import type { HttpStatusClass } from '../../dataplane/port/traffic.js';

/** Figures summed over rows (traffic-view's key rows). */
export interface Figures { opened: number; active: number; failed: number; bytesToServer: number; bytesToClient: number; rateToServer: number; rateToClient: number }

export interface SiteLinkView {
  /** the link's name at this site ('' when only the routing record tells of it) */
  name: string;
  direction: string;
  /** the peer site's name */
  peer: string;
  cost: number | null;
  up: boolean;
  /** the link's state and message (this site only) */
  status?: string;
  message?: string;
  /** bytes and rates from the summaries; null when the summaries do not have the link */
  bytesIn: number | null; bytesOut: number | null; rateIn: number | null; rateOut: number | null;
  /** a further engine's link (worker-k) */
  node?: string;
  stale: boolean;
}

export interface SiteEndpointView extends Figures {
  kind: 'listener' | 'connector';
  /** the listener's or connector's name (this site only) */
  name: string;
  key: string;
  /** `port` of a listener, `host:port` of a connector (this site only) */
  address: string;
  /** ready (true/false: all of them, for another site's), or null when unknown (a listener of a site that does not share readiness) */
  ready: boolean | null;
  /** another site's: how many of the key's listeners (or connectors) it has, and how many are ready (its summaries' `ends`) */
  readyCount?: number;
  total?: number;
  message: string;
}

export interface SiteView {
  id: string;
  name: string;
  self: boolean;
  /** path cost from this site; null when unreachable */
  cost: number | null;
  reachable: boolean;
  /** null when no summary of it is held */
  stale: boolean | null;
  ageMs: number | null;
  staleNodes: string[];
  /** routing keys of its connectors, as its routing record says */
  keys: string[];
  links: SiteLinkView[];
  endpoints: SiteEndpointView[];
  /** per key and role, summed over peers and engines; a listener (or local) row has the HTTP requests its listeners observed, by status class */
  perKey: (Figures & { key: string; role: string; stale: boolean; requests?: Record<HttpStatusClass, number> })[];
  /** per peer site, summed over keys, roles and engines */
  perPeer: (Figures & { peerSite: string; stale: boolean })[];
}

const ZERO: Figures = { opened: 0, active: 0, failed: 0, bytesToServer: 0, bytesToClient: 0, rateToServer: 0, rateToClient: 0 };
function add(t: Figures, r: Figures, stale: boolean): void {
  t.opened += r.opened; t.active += r.active; t.failed += r.failed;
  t.bytesToServer += r.bytesToServer; t.bytesToClient += r.bytesToClient;
  // A stale engine's rate is old news: totals take none from it (as the services' totals do).
  if (!stale) { t.rateToServer += r.rateToServer; t.rateToClient += r.rateToClient; }
}

/** Rows of `site` summed by `by`; a group is stale when any of its rows is. */
function groupRows<K extends string>(site: SiteTraffic | undefined, by: (r: SiteTraffic['keys'][number]) => Record<K, string>): (Figures & Record<K, string> & { stale: boolean })[] {
  const out = new Map<string, Figures & Record<K, string> & { stale: boolean }>();
  for (const r of site?.keys ?? []) {
    const k = by(r);
    const id = JSON.stringify(k);
    let t = out.get(id);
    if (!t) out.set(id, (t = { ...ZERO, ...k, stale: false }));
    const stale = site!.stale || r.stale === true;
    add(t, r, stale);
    t.stale ||= stale;
  }
  return [...out.values()];
}

/** The page of the site named `name`, or undefined when neither the routing records nor the summaries know it. */
export function siteView(status: RuntimeStatus, traffic: NetworkTraffic | undefined, name: string): SiteView | undefined {
  const sites = status.network?.sites ?? [];
  const rec = sites.find((s) => s.name === name);
  const t = traffic?.sites.find((s) => s.name === name);
  const self = name === status.site.name;
  if (!rec && !t && !self) return undefined;
  const nameOf = new Map(sites.map((s) => [s.id, s.name]));
  const recCost = new Map((rec?.links ?? []).map((l) => [nameOf.get(l.peer) ?? l.peer, l.cost]));
  const siteStale = t ? t.stale : false;

  // Links: this site's from its status (state and message), another's from its summaries; both with
  // their summary figures; then any peer only its routing record lists (up as far as it says).
  const links: SiteLinkView[] = [];
  const rows = t?.links ?? [];
  const figures = (r: (typeof rows)[number] | undefined) => ({ bytesIn: r?.bytesIn ?? null, bytesOut: r?.bytesOut ?? null, rateIn: r?.rateIn ?? null, rateOut: r?.rateOut ?? null });
  if (self) {
    for (const l of status.links) {
      const r = rows.find((x) => x.name === l.name && !x.node);
      links.push({ name: l.name, direction: l.direction, peer: l.peer ?? '', cost: l.cost ?? recCost.get(l.peer ?? '') ?? null, up: l.status === 'ready', status: l.status, message: l.message, ...figures(r), stale: r?.stale === true });
    }
    for (const r of rows) if (r.node) links.push({ name: r.name, direction: r.direction, peer: r.peer, cost: recCost.get(r.peer) ?? null, up: r.up, ...figures(r), node: r.node, stale: r.stale === true });
  } else {
    for (const r of rows) links.push({ name: r.name, direction: r.direction, peer: r.peer, cost: recCost.get(r.peer) ?? null, up: r.up && !siteStale && r.stale !== true, ...figures(r), ...(r.node ? { node: r.node } : {}), stale: siteStale || r.stale === true });
  }
  const reachable = self || (rec?.cost ?? null) !== null;
  for (const [peer, cost] of recCost) if (!links.some((l) => l.peer === peer)) links.push({ name: '', direction: '', peer, cost, up: reachable && (sites.find((s) => s.name === peer)?.cost ?? null) !== null, bytesIn: null, bytesOut: null, rateIn: null, rateOut: null, stale: false });

  // Endpoints: this site's listeners and connectors with their states; another site's from its key
  // rows (a listener's readiness is not shared; a connector is ready when its record lists its key).
  const perKey = groupRows(t, (r) => ({ key: r.key, role: r.role }));
  const rolesOf = (key: string, roles: string[]) => {
    const f = { ...ZERO };
    for (const r of perKey) if (r.key === key && roles.includes(r.role)) add(f, r, false);
    return f;
  };
  const endpoints: SiteEndpointView[] = [];
  if (self) {
    for (const l of status.listeners) endpoints.push({ kind: 'listener', name: l.name, key: l.routingKey, address: String(l.port), ready: l.status === 'ready', message: l.message, ...rolesOf(l.routingKey, ['listener', 'local']), active: l.flowsActive, opened: l.flowsOpened });
    for (const c of status.connectors) endpoints.push({ kind: 'connector', name: c.name, key: c.routingKey, address: `${c.host}:${c.port}`, ready: c.ready, message: c.message, ...rolesOf(c.routingKey, ['connector', 'local']), active: c.flowsActive, opened: c.flowsOpened });
  } else {
    const keys = new Set(rec?.keys ?? []);
    // Shared readiness: the most any engine of the site reports (each runs the same listeners and connectors).
    const shared = new Map<string, { l: [number, number]; c: [number, number] }>();
    for (const e of t?.ends ?? []) {
      const x = shared.get(e.key) ?? { l: [0, 0], c: [0, 0] };
      shared.set(e.key, { l: [Math.max(x.l[0], e.listenersReady), Math.max(x.l[1], e.listeners)], c: [Math.max(x.c[0], e.connectorsReady), Math.max(x.c[1], e.connectors)] });
    }
    const counted = ([ready, total]: [number, number]) => ({ ready: !siteStale && total > 0 && ready === total, readyCount: ready, total });
    const listenerKeys = [...shared].filter(([, x]) => x.l[1] > 0).map(([k]) => k);
    const connectorKeys = [...shared].filter(([, x]) => x.c[1] > 0).map(([k]) => k);
    for (const key of new Set([...listenerKeys, ...perKey.filter((r) => r.role === 'listener').map((r) => r.key)])) {
      const x = shared.get(key);
      endpoints.push({ kind: 'listener', name: '', key, address: '', ...(x?.l[1] ? counted(x.l) : { ready: null }), message: siteStale && x ? 'as last shared' : '', ...rolesOf(key, ['listener', 'local']) });
    }
    for (const key of new Set([...keys, ...connectorKeys, ...perKey.filter((r) => r.role === 'connector').map((r) => r.key)])) {
      const x = shared.get(key);
      const message = siteStale && x ? 'as last shared' : keys.has(key) ? '' : 'not in its routing record';
      endpoints.push({ kind: 'connector', name: '', key, address: '', ...(x?.c[1] ? counted(x.c) : { ready: keys.has(key) && rec!.cost !== null }), message, ...rolesOf(key, ['connector', 'local']) });
    }
  }
  // HTTP requests are observed at listeners: on the key's listener row (else its local row).
  for (const h of t?.http ?? []) {
    const r = perKey.find((k) => k.key === h.key && k.role === 'listener') ?? perKey.find((k) => k.key === h.key && k.role === 'local');
    if (!r) continue;
    const sum: Record<HttpStatusClass, number> = (r as { requests?: Record<HttpStatusClass, number> }).requests ??= { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, none: 0 };
    for (const c of Object.keys(sum) as HttpStatusClass[]) sum[c] += h.requests[c] ?? 0;
  }
  return {
    id: rec?.id ?? t?.id ?? status.site.id, name, self,
    cost: self ? 0 : rec?.cost ?? null, reachable,
    stale: t ? t.stale : null, ageMs: t ? t.ageMs : null, staleNodes: t?.staleNodes ?? [],
    keys: rec?.keys ?? [], links, endpoints,
    perKey: perKey.sort((a, b) => a.key.localeCompare(b.key) || a.role.localeCompare(b.role)),
    perPeer: groupRows(t, (r) => ({ peerSite: r.peerSite })).sort((a, b) => a.peerSite.localeCompare(b.peerSite)),
  };
}
