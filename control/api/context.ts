// What every control API handler works with: the state directory, the running site (absent when
// the CLI works on a stopped site's directory), the event hub (state-changing calls run one at a time through store.exclusive).
import type { Logger } from 'pino';
import type { SiteStore, RuntimeStatus } from '../state/site-store.js';
import type { AccessToken } from '../resources/access-token.js';
import type { LinkResource } from '../resources/link.js';
import type { WatchHub } from './watch-hub.js';
import type { FlowQuery, FlowRecord } from '../../dataplane/port/report.js';
import type { BenchProgress, BenchRequest } from '../../dataplane/port/bench.js';
import type { BenchRun } from '../bench/bench-runs.js';

/** The hooks a running site gives the API; the API never touches the data plane otherwise. */
export interface SiteHooks {
  /** Live status of links, listeners, connectors and the network. */
  status(): RuntimeStatus;
  /** Resources (listeners, connectors, links) changed: make the data plane match the store now. */
  reconcile(): void;
  /** Resolves once the data-plane engine has applied every push made so far and reported its status. */
  settled(): Promise<void>;
  /**
   * PKI state changed (policy, issued or revoked certificates, grants, CA or server certificate):
   * re-read it now, close inbound links it no longer admits, reload TLS. Resolves once the engine applied it. The running site reads
   * neither resources/ nor pki/ on its own, so every handler that writes them calls the matching hook.
   */
  pkiChanged(): Promise<void>;
  /** Data-plane counters and the Prometheus text. */
  metrics(): Promise<{ flowsOpened: number; flowsFailed: number; streamsActive: number; prometheus: string; trafficJson?: string }>;
  /** The engine's flow records that match (none while it restarts). */
  flows(q: FlowQuery): Promise<FlowRecord[]>;
  /** Runs a bench from this site (issue 14, control/bench/); progress until the result settles. */
  bench?(req: BenchRequest, progress: (p: BenchProgress) => void): BenchRun;
  /** host:port of the mTLS API, when enabled. */
  apiEndpoint?: string;
}

/** Redeems an AccessToken for `store`'s site and stores the Link; injectable so tests can fake the network. */
export type Redeemer = (store: SiteStore, token: AccessToken, o: { name: string; cost?: number }) => Promise<LinkResource>;

export interface ApiContext {
  store: SiteStore;
  site?: SiteHooks;
  hub: WatchHub;
  log: Logger;
  redeem: Redeemer;
}
