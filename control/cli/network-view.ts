// `svcnet network status` as people and programs read it: the sites with their links and keys,
// each routing key's listeners and connectors, and this site's own links with their state. A remote
// site advertises only its keys, so its connectors are shown as "site (cost N)", never as empty
// names and ports (issue 15). Pure.
import type { Network } from '../api/types.js';

type Cell = string | number | undefined;

/** The JSON/YAML document of `n`: remote connectors carry only what is known of them. */
export function networkDocument(n: Network) {
  const sites = n.sites.map((x) => ({ id: x.id, name: x.name, cost: x.reachable ? x.cost : null, links: x.links.map((l) => ({ peer: l.peerId, cost: l.cost, peerName: l.peerName || l.peerId })), keys: x.routingKeys }));
  const services = n.services.map((s) => ({
    routingKey: s.routingKey,
    listeners: s.listeners.map((l) => ({ site: l.site, name: l.name, host: l.host, port: l.port, state: l.state })),
    connectors: s.connectors.map((c) => (c.site === n.siteName
      ? { site: c.site, cost: 0, name: c.name, host: c.host, port: c.port, ready: c.ready }
      : { site: c.site, cost: c.cost, remote: true as const })),
  }));
  const links = (n.links ?? []).map((l) => ({ name: l.name, direction: l.direction, peer: l.peerSite, state: l.state, message: l.message }));
  return { sites, services, links };
}

/** The two tables of `n`: sites, then services (one row per routing key). */
export function networkTables(n: Network): { headers: string[]; rows: Cell[][] }[] {
  const doc = networkDocument(n);
  const sites = {
    headers: ['SITE', 'COST', 'LINKS', 'ROUTING KEYS'],
    rows: doc.sites.map((x): Cell[] => [x.name + (x.id === n.siteId ? ' (this site)' : ''), x.cost === null ? 'unreachable' : x.cost, x.links.map((l) => `${l.peerName}(${l.cost})`).join(' ') || '-', x.keys.join(' ') || '-']),
  };
  const services = {
    headers: ['ROUTING KEY', 'LISTENERS (this site)', 'CONNECTORS'],
    rows: doc.services.map((s): Cell[] => [
      s.routingKey,
      s.listeners.map((l) => `${l.name} ${l.host}:${l.port} ${l.state}`).join(', ') || '-',
      s.connectors.map((c) => ('remote' in c ? `${c.site} (cost ${c.cost})` : `${c.name} -> ${c.host}:${c.port} ${c.ready ? 'ready' : 'not ready'} (this site)`)).join(', ') || '-',
    ]),
  };
  // This site's links last: a link that is refused or down says why here (issue 15).
  const links = {
    headers: ['LINK', 'DIRECTION', 'PEER', 'STATUS', 'MESSAGE'],
    rows: doc.links.map((l): Cell[] => [l.name, l.direction, l.peer || '-', l.state, l.message]),
  };
  return doc.links.length ? [sites, services, links] : [sites, services];
}
