// `svcnet site run`: the composition root of a site process. Builds the data plane, opens the
// link and grant ports, reconciles stored resources into data-plane state when the API says they
// changed (nothing polls the state directory), publishes status, and serves the console.
import type { Logger } from 'pino';
import type * as grpc from '@grpc/grpc-js';
import { serve, type ServerType } from '@hono/node-server';
import { loadCore } from '../dataplane/core/wasm-core.js';
import { Dataplane } from '../dataplane/dataplane.js';
import { LinkServer } from '../dataplane/link-server.js';
import { LinkState } from '../dataplane/link.js';
import { DataplaneAgent } from '../dataplane/xds/agent.js';
import type { TlsMaterial } from '../dataplane/link-server.js';
import { SiteStore, type RuntimeStatus, type SiteConfig } from './state/site-store.js';
import { validateListener } from './resources/listener.js';
import { validateConnector } from './resources/connector.js';
import { validateLink } from './resources/link.js';
import { startGrantServer, type GrantEndpoint } from './grant-server.js';
import { fdPressure, surviveAcceptExhaustion } from '../common/fd-pressure.js';
import { LogBudget } from '../common/log-budget.js';
import { SitePki } from './pki/site-pki.js';
import { loadIdentity } from './pki/site-identity.js';
import { createConsoleApp } from './console/app.js';
import { renderMetrics } from './console/metrics.js';
import { attachControlApi } from './api/site-api.js';
import type { ApiServers } from './api/server.js';
import { desiredState, SnapshotVersions } from './xds/snapshot.js';
import { SnapshotPublisher } from './xds/publisher.js';
import { startRouterServer } from './xds/server.js';
import { StallWatch } from './stall-watch.js';

/** How the site runs its data plane. */
export interface RunOptions {
  /** serve svcnet.v1.DataplaneDiscovery to `svcnet router` replicas on this port (mutual TLS) */
  routerPort?: number;
  /** false: only routers carry the site's links, listeners and connectors; the in-process data
   * plane keeps the link server (inbound links) and gets no pushes */
  localDataplane?: boolean;
}

export const DEFAULT_WINDOW = 4 << 20;
const STATUS_EVERY_MS = 500;

export class RunningSite {
  readonly dp: Dataplane;
  readonly cfg: SiteConfig;
  private linkServer: LinkServer | undefined;
  private grantServer: GrantEndpoint | undefined;
  /** timer errors (out of fds, a file caught mid-write) are logged rate-limited, never thrown */
  private readonly budget: LogBudget;
  private untrap: (() => void) | undefined;
  private consoleServer: ServerType | undefined;
  /** the in-process data plane's side of the push: applies snapshots, owns the outbound dialers */
  readonly agent: DataplaneAgent;
  /** the control side of the push: versions, nonces, ACK/NACK per node (control/xds/) */
  readonly xds: SnapshotPublisher;
  private readonly versions = new SnapshotVersions();
  private routerServer: grpc.Server | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly stalls: StallWatch;
  private publishing: Promise<void> | undefined;
  private republish = false;
  private stopped = false;
  /** the gRPC control API (control/api/) */
  private api: ApiServers | undefined;
  /** admission, revocation, renewal and rotation of certificates (control/pki/site-pki.ts) */
  readonly pki: SitePki;

  constructor(readonly store: SiteStore, private readonly log: Logger, private readonly run: RunOptions = {}) {
    this.cfg = store.readConfig();
    const window = Number(process.env.SVCNET_WINDOW ?? DEFAULT_WINDOW);
    const drainMs = process.env.SVCNET_DRAIN_SECONDS ? Number(process.env.SVCNET_DRAIN_SECONDS) * 1000 : undefined;
    const identity = loadIdentity(store, this.cfg);
    this.dp = new Dataplane({ siteId: this.cfg.id, siteName: this.cfg.name, identity, core: loadCore(window), window, log, drainMs });
    this.pki = new SitePki(store, this.dp, log.child({ component: 'pki' }), { onServerTls: (m) => this.linkServer?.updateTls(m), reconcile: () => this.guarded('reconcile', () => this.reconcile()) });
    this.agent = new DataplaneAgent(this.dp, { log });
    this.xds = new SnapshotPublisher(log.child({ component: 'xds' }));
    this.stalls = new StallWatch(log);
    this.budget = new LogBudget(log);
    // In process, the push goes through the same interface as to a router, without gRPC.
    if (run.localDataplane !== false) this.xds.attach({ node: 'local', send: (p) => this.xds.answer('local', this.agent.apply(p)) });
  }

  async start(): Promise<void> {
    const { cfg, store } = this;
    this.untrap = surviveAcceptExhaustion((err) => this.budget.warn('accept', { code: err.code }, 'a server ran out of file descriptors in accept(); that connection was dropped'));
    if (cfg.linkAccess.enabled) {
      // Both ports bind the address other sites are told to use (--link-host), nothing wider. A port
      // held by someone else is retried in the background (status shows it); the site runs meanwhile.
      this.linkServer = new LinkServer(this.dp, {
        host: cfg.linkAccess.bindHost ?? cfg.linkAccess.host, port: cfg.linkAccess.port, log: this.log.child({ component: 'link-server' }),
        tls: this.pki.serverTls(), admit: (cert) => this.pki.admit(cert), identify: (cert) => this.pki.identify(cert), refused: this.pki.refused,
      });
      await this.linkServer.listen();
      this.grantServer = await startGrantServer({
        store, host: cfg.linkAccess.bindHost ?? cfg.linkAccess.host, port: cfg.grantPort, log: this.log.child({ component: 'grants' }),
        endpoints: [{ host: cfg.linkAccess.host, port: cfg.linkAccess.port }], tls: this.pki.grantTls, refused: this.pki.refused,
        onIssued: () => this.pkiChanged(),
      });
    }
    this.pki.start();
    this.stalls.start();
    if (this.run.routerPort) {
      const server = store.readServerCert();
      this.routerServer = await startRouterServer({
        host: '0.0.0.0', port: this.run.routerPort, key: server.key, cert: server.cert, ca: store.readCa().cert, publisher: this.xds,
        identity: (name) => ({ routerId: `${cfg.id}/${name}`, routerName: `${cfg.name}/${name}` }), log: this.log.child({ component: 'xds-server' }),
      });
    }
    if (cfg.consolePort) {
      const app = createConsoleApp({ status: () => this.status(), metrics: () => renderMetrics(this.status(), this.dp), port: cfg.consolePort });
      await new Promise<void>((resolve, reject) => {
        const s = serve({ fetch: app.fetch, port: cfg.consolePort, hostname: '127.0.0.1' }, () => resolve());
        s.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`console port ${cfg.consolePort} is not available: ${err.message}`)));
        this.consoleServer = s;
      });
      this.log.info({ url: `http://127.0.0.1:${cfg.consolePort}/` }, 'console ready');
    }
    this.reconcile();
    this.api = await attachControlApi(this, this.log);
    this.timers.push(setInterval(() => this.guarded('status', () => this.publishStatus()), STATUS_EVERY_MS));
    for (const ev of ['link-up', 'link-down', 'routes']) this.dp.on(ev, () => this.publishStatus());
    this.publishStatus();
    this.log.info({ name: cfg.name, id: cfg.id }, 'site running');
  }

  /** Runs a timer's work; an error (out of fds above all) is reported and logged rate-limited instead of killing the site. */
  private guarded(what: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      fdPressure.report(what, err);
      this.budget.warn(`timer:${what}`, { err: (err as Error).message, code: (err as NodeJS.ErrnoException).code }, `${what} failed; retried on the next tick`);
    }
  }

  /** PKI state changed (API write, redemption, renewal): SitePki re-reads it and closes links it no longer admits. */
  pkiChanged(): void { this.pki.refresh(); }

  /** Makes the data plane match the stored resources (called by the API after each write). Invalid documents are logged and skipped. */
  reconcile(): void {
    this.pki.resourcesChanged();
    const valid = <T>(kind: string, raw: unknown[], f: (r: unknown) => T): T[] => raw.flatMap((r) => {
      try { return [f(r)]; } catch (err) { this.log.error({ kind, err: (err as Error).message }, 'invalid stored resource skipped'); return []; }
    });
    const listeners = valid('Listener', this.store.list('Listener'), validateListener);
    const connectors = valid('Connector', this.store.list('Connector'), validateConnector);
    const links = valid('Link', this.store.list('Link'), validateLink);
    const credentials = new Map<string, TlsMaterial>();
    for (const l of links) {
      try {
        const cred = this.store.readLinkCredentials(l.spec.tlsCredentials);
        credentials.set(l.spec.tlsCredentials, { key: cred.key, cert: cred.cert, ca: [cred.ca] });
      } catch { /* reported by desiredState() below */ }
    }
    const { state, problems } = desiredState({ listeners, connectors, links, credentials, exposes: (key, name) => this.pki.exposes(key, name) });
    for (const p of problems) this.log.error({ [p.kind.toLowerCase()]: p.name, err: p.message }, p.message);
    this.xds.update(this.versions.next(state));
    this.publishStatus();
  }

  /** The site as the status commands and the console show it. */
  status(): RuntimeStatus {
    const dp = this.dp;
    const inbound = dp.links.filter((l) => l && !l.dialer);
    const paths = dp.routes.paths;
    return {
      pid: process.pid,
      updatedAt: new Date().toISOString(),
      security: { ...this.pki.status(this.linkServer?.refused ?? 0), ports: this.portsStatus() },
      site: { id: this.cfg.id, name: this.cfg.name, linkPort: this.cfg.linkAccess.enabled ? this.cfg.linkAccess.port : undefined, consolePort: this.cfg.consolePort || undefined },
      links: [
        ...[...this.agent.dialers.values()].map((d) => ({
          name: d.target.name, direction: 'outbound' as const,
          status: d.link?.state === LinkState.Ready ? 'ready' : d.status, message: d.message,
          peer: d.link?.peer?.siteName, cost: d.target.cost,
        })),
        ...inbound.map((l) => ({ name: l!.name, direction: 'inbound' as const, status: l!.state, message: `from ${l!.socket.remoteAddress} ${this.pki.describe(l!)}`.trimEnd(), peer: l!.peer?.siteName, cost: l!.peer?.cost })),
      ],
      listeners: [...dp.listenerPorts.values()].map((l) => ({ name: l.spec.name, routingKey: l.spec.routingKey, port: l.spec.port, status: l.status, message: l.message, flowsActive: l.flowsActive, flowsOpened: l.flowsOpened })),
      connectors: [...dp.connectors.values()].map((c) => ({ name: c.spec.name, routingKey: c.spec.routingKey, host: c.spec.host, port: c.spec.port, ready: c.ready, message: c.message, flowsActive: c.flowsActive, flowsOpened: c.flowsOpened })),
      network: {
        sites: [...dp.lsdb.all.values()].map((r) => ({ id: r.id, name: r.name, cost: paths.get(r.id)?.cost ?? null, links: r.links, keys: r.keys })),
      },
      xds: { nacks: this.xds.nacks, nodes: this.xds.status() },
      eventLoop: { ...this.stalls.counts },
    };
  }

  /** Whether the link and grant ports listen (a held port is retried; out of fds they pause). */
  private portsStatus() {
    const one = (l: { state: string; message: string } | undefined) => (l ? { state: l.state, message: l.message } : undefined);
    return { link: one(this.linkServer?.listener), grant: one(this.grantServer?.listener), fdExhaustion: fdPressure.count };
  }

  /** Writes run/status.json off the event loop; one write at a time, the last request always lands. */
  private publishStatus(): void {
    if (this.publishing) { this.republish = true; return; }
    this.republish = false;
    this.publishing = this.store.writeRuntimeStatus(this.status())
      .catch((err: Error) => { fdPressure.report('status', err); this.budget.warn('status', { err: err.message }, 'cannot write status'); })
      .finally(() => {
        this.publishing = undefined;
        if (this.republish && !this.stopped) this.publishStatus();
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.stalls.stop();
    this.agent.stop();
    this.routerServer?.forceShutdown();
    this.dp.shutdown();
    this.pki.stop();
    this.linkServer?.close();
    this.grantServer?.close();
    this.consoleServer?.close();
    this.api?.close();
    await this.publishing;
    this.store.clearRuntimeStatus();
    this.untrap?.();
  }
}
