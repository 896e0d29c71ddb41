// Attaches the control API to a running site: the context its handlers use (engine events reach
// Watch streams through the site's hub), and the servers on the unix socket and (if enabled) TCP with mTLS.
import type { Logger } from 'pino';
import type { EngineStatus, FlowQuery, FlowRecord } from '../../dataplane/port/report.js';
import type { SiteStore, RuntimeStatus, SiteConfig } from '../state/site-store.js';
import type { WatchHub } from './watch-hub.js';
import { startApiServers, type ApiServers } from './server.js';
import { redeemWithTokenModule } from './tokens.js';
import type { ApiContext } from './context.js';
import type { BenchRuns } from '../bench/bench-runs.js';

/** What the API needs from RunningSite. */
export interface ApiSite {
  store: SiteStore;
  cfg: SiteConfig;
  /** engine events are published here by the site */
  hub: WatchHub;
  engine: { status: EngineStatus | undefined; barrier(): Promise<void> };
  metrics: { text(): Promise<string> };
  /** the network's traffic summaries (control/console/traffic-view.ts) */
  traffic?: { view(): object };
  flows: { list(q: FlowQuery): Promise<FlowRecord[]> };
  status(): RuntimeStatus;
  reconcile(): void;
  pkiChanged(): Promise<void>;
  /** bench runs driven by the site's first engine (control/bench/) */
  benchRuns?: BenchRuns;
}

/** Starts the control API of `site`; close it on stop. */
export async function attachControlApi(site: ApiSite, log: Logger): Promise<ApiServers> {
  const { store, cfg } = site;
  const server = cfg.apiPort ? store.readServerCert() : undefined;
  const tcp = server && cfg.apiPort
    ? { host: '0.0.0.0', port: cfg.apiPort, advertise: `${cfg.linkAccess.host}:${cfg.apiPort}`, key: server.key, cert: server.cert, ca: store.readCa().cert }
    : undefined;
  const ctx = apiContext(site, log, tcp?.advertise);
  return startApiServers(ctx, { dir: store.dir, tcp });
}

/** The context the API's handlers (and the console's bench button) work with. */
export function apiContext(site: ApiSite, log: Logger, apiEndpoint?: string): ApiContext {
  const { store, hub } = site;
  return {
    store, hub, log: log.child({ component: 'api' }), redeem: redeemWithTokenModule,
    site: {
      status: () => site.status(),
      reconcile: () => site.reconcile(),
      settled: () => site.engine.barrier(),
      metrics: async () => {
        const e = site.engine.status;
        return { flowsOpened: e?.counters.flowsOpened ?? 0, flowsFailed: e?.counters.flowsFailed ?? 0, streamsActive: e?.streamsActive ?? 0, prometheus: await site.metrics.text(), trafficJson: site.traffic ? JSON.stringify(site.traffic.view()) : '' };
      },
      flows: (q) => site.flows.list(q),
      pkiChanged: () => site.pkiChanged(),
      bench: site.benchRuns ? (req, progress) => site.benchRuns!.run(req, progress) : undefined,
      apiEndpoint,
    },
  };
}
