// Attaches the control API to a running site: the context its handlers use, data-plane events
// forwarded to Watch streams, and the servers on the unix socket and (if enabled) TCP with mTLS.
import type { Logger } from 'pino';
import type { Dataplane } from '../../dataplane/dataplane.js';
import type { RouteTable } from '../../dataplane/routing/route-table.js';
import type { SiteStore, RuntimeStatus, SiteConfig } from '../state/site-store.js';
import { renderMetrics } from '../console/metrics.js';
import { WatchHub } from './watch-hub.js';
import { startApiServers, type ApiServers } from './server.js';
import { redeemWithTokenModule } from './tokens.js';
import type { ApiContext } from './context.js';

/** What the API needs from RunningSite. */
export interface ApiSite { store: SiteStore; cfg: SiteConfig; dp: Dataplane; status(): RuntimeStatus; reconcile(): void; pkiChanged(): void }

interface LinkLike { name: string; dialer: boolean; peer?: { siteName: string } }
interface FlowInfo { listener: string; key: string; site: string; error?: string; bytesIn?: number; bytesOut?: number }

/** Forwards link, route and flow events of the data plane to the hub (flows only while watched). */
function forwardEvents(dp: Dataplane, hub: WatchHub): void {
  const link = (l: LinkLike, reason = '') => ({ link: { name: l.name, direction: l.dialer ? 'outbound' : 'inbound', peerSite: l.peer?.siteName ?? '', reason } });
  dp.on('link-up', (l: LinkLike) => hub.publish('LINK_UP', link(l)));
  dp.on('link-down', (l: LinkLike, reason: string) => hub.publish('LINK_DOWN', link(l, String(reason ?? ''))));
  dp.on('routes', (t: RouteTable) => {
    if (!hub.wants('ROUTES_CHANGED')) return;
    const reachableSites = [...t.paths.keys()].map((id) => dp.lsdb.all.get(id)?.name ?? id).sort();
    hub.publish('ROUTES_CHANGED', { routes: { version: t.version, reachableSites, routingKeys: [...t.keys.keys()].sort() } });
  });
  const flow = (f: FlowInfo) => ({ flow: { listener: f.listener, routingKey: f.key, site: f.site ?? '', bytesIn: f.bytesIn ?? 0, bytesOut: f.bytesOut ?? 0, error: f.error ?? '' } });
  dp.on('flow-open', (f: FlowInfo) => { if (hub.wants('FLOW_OPEN')) hub.publish('FLOW_OPEN', flow(f)); });
  dp.on('flow-end', (f: FlowInfo) => { if (hub.wants('FLOW_END')) hub.publish('FLOW_END', flow(f)); });
}

/** Starts the control API of `site`; close it on stop. */
export async function attachControlApi(site: ApiSite, log: Logger): Promise<ApiServers> {
  const { store, cfg, dp } = site;
  const hub = new WatchHub();
  forwardEvents(dp, hub);
  const server = cfg.apiPort ? store.readServerCert() : undefined;
  const tcp = server && cfg.apiPort
    ? { host: '0.0.0.0', port: cfg.apiPort, advertise: `${cfg.linkAccess.host}:${cfg.apiPort}`, key: server.key, cert: server.cert, ca: store.readCa().cert }
    : undefined;
  const ctx: ApiContext = {
    store, hub, log: log.child({ component: 'api' }), redeem: redeemWithTokenModule,
    site: {
      status: () => site.status(),
      reconcile: () => site.reconcile(),
      pkiChanged: () => site.pkiChanged(),
      metrics: () => ({ flowsOpened: dp.stats.flowsOpened, flowsFailed: dp.stats.flowsFailed, streamsActive: dp.activeStreams(), prometheus: renderMetrics(site.status(), dp) }),
      apiEndpoint: tcp?.advertise,
    },
  };
  return startApiServers(ctx, { dir: store.dir, tcp });
}
