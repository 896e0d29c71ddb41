// GetNetwork and GetMetrics: the running site's view of the network and its counters.
import { ApiError } from './errors.js';
import type { ApiContext } from './context.js';
import type { Network, Service, Metrics, LinkMetric } from './types.js';
import type { RuntimeStatus } from '../state/site-store.js';

function running(ctx: ApiContext, what: string): { rt: RuntimeStatus; site: NonNullable<ApiContext['site']> } {
  if (!ctx.site) throw new ApiError('SVCNET_ERR_NOT_RUNNING', `site ${ctx.store.readConfig().name} is not running, so it has no ${what}; start it with "svcnet site run"`);
  return { rt: ctx.site.status(), site: ctx.site };
}

/** This site's links as the engine reports them. */
function linkMetrics(rt: RuntimeStatus): LinkMetric[] {
  return rt.links.map((l) => ({ name: l.name, direction: l.direction, peerSite: l.peer ?? '', ready: l.status === 'ready', state: l.status, message: l.message, cost: l.cost ?? 0 }));
}

/** The network as this site sees it (sites, links, and each routing key's listeners and connectors). */
export function getNetwork(ctx: ApiContext): Network {
  const { rt } = running(ctx, 'network view');
  const names = new Map(rt.network.sites.map((s) => [s.id, s.name]));
  const services = new Map<string, Service>();
  const svc = (key: string) => {
    let s = services.get(key);
    if (!s) services.set(key, (s = { routingKey: key, listeners: [], connectors: [] }));
    return s;
  };
  for (const s of rt.network.sites) {
    if (s.id === rt.site.id) continue; // our own connectors are listed one by one below
    for (const key of s.keys) svc(key).connectors.push({ site: s.name, cost: s.cost ?? -1, name: '', host: '', port: 0, ready: true });
  }
  for (const c of rt.connectors) svc(c.routingKey).connectors.push({ site: rt.site.name, cost: 0, name: c.name, host: c.host, port: c.port, ready: c.ready });
  const stored = new Map((ctx.store.list('Listener') as { metadata: { name: string }; spec: { host: string } }[]).map((l) => [l.metadata.name, l.spec.host]));
  for (const l of rt.listeners) svc(l.routingKey).listeners.push({ site: rt.site.name, name: l.name, host: stored.get(l.name) ?? '', port: l.port, state: l.status });
  return {
    siteId: rt.site.id,
    siteName: rt.site.name,
    sites: rt.network.sites.map((s) => ({
      id: s.id, name: s.name, reachable: s.cost !== null, cost: s.cost ?? -1,
      links: s.links.map((l) => ({ peerId: l.peer, peerName: names.get(l.peer) ?? '', cost: l.cost })),
      routingKeys: s.keys,
    })),
    services: [...services.values()].sort((a, b) => (a.routingKey < b.routingKey ? -1 : 1)),
    links: linkMetrics(rt),
  };
}

/** Counters of the running site's data plane. */
export async function getMetrics(ctx: ApiContext): Promise<Metrics> {
  const { rt, site } = running(ctx, 'metrics');
  const m = await site.metrics();
  return {
    flowsOpened: m.flowsOpened, flowsFailed: m.flowsFailed, streamsActive: m.streamsActive, prometheus: m.prometheus, trafficJson: m.trafficJson ?? '',
    links: linkMetrics(rt),
    listeners: rt.listeners.map((l) => ({ name: l.name, routingKey: l.routingKey, flowsActive: l.flowsActive, flowsOpened: l.flowsOpened })),
    connectors: rt.connectors.map((c) => ({ name: c.name, routingKey: c.routingKey, flowsActive: c.flowsActive, flowsOpened: c.flowsOpened })),
  };
}
