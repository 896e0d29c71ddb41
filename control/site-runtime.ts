// `svcnet site run`: the composition root of a site's control process. Starts and supervises the
// data-plane engine (its own process, control/engine/), opens the grant port, reconciles stored
// resources and PKI state into pushes when the API says they changed (nothing polls the state
// directory), publishes status, serves the console.
import type { Logger } from 'pino';
import type * as grpc from '@grpc/grpc-js';
import type { TlsMaterial } from '../dataplane/port/push.js';
import { SITE_TYPES } from './xds/resource-types.js';
import type { EngineCommand, EngineReport, FlowQuery } from '../dataplane/port/report.js';
import { EnginePool } from './engine/engine-pool.js';
import { workerSuffix } from './engine/worker-node.js';
import { SiteStore, type RuntimeStatus, type SiteConfig } from './state/site-store.js';
import { validateListener } from './resources/listener.js';
import { validateConnector } from './resources/connector.js';
import { validateLink } from './resources/link.js';
import { startGrantServer, type GrantEndpoint } from './grant-server.js';
import { fdPressure, surviveAcceptExhaustion } from '../common/fd-pressure.js';
import { LogBudget } from '../common/log-budget.js';
import { SitePki } from './pki/site-pki.js';
import { loadIdentity } from './pki/site-identity.js';
import type { ConsoleServer } from './console/console-server.js';
import { consolePassword, consolePasswordPath } from './console/console-password.js';
import { serverTls } from './pki/trust.js';
import { SiteMetrics } from './console/metrics.js';
import { StatusEvents } from './console/status-events.js';
import { TrafficView } from './console/traffic-view.js';
import { ServiceHistory } from './console/service-history.js';
import { FlowQueries, listAllFlows } from './flows/flow-queries.js';
import { BenchRuns } from './bench/bench-runs.js';
import { loadPolicy, servesBench } from './pki/policy.js';
import { attachControlApi, apiContext } from './api/site-api.js';
import { runBenchmark } from './bench/bench-api.js';
import type { ApiServers } from './api/server.js';
import { desiredState, SnapshotVersions } from './xds/snapshot.js';
import { SnapshotPublisher } from './xds/publisher.js';
import { startRouterServer } from './xds/server.js';
import { StallWatch } from '../common/stall-watch.js';
import { WatchHub } from './api/watch-hub.js';
import { CONTROL_NICE, setOwnNice } from '../common/cpu-priority.js';
import { readAppTls } from './resources/tls-credentials.js';
import { RefusalEvents } from './api/refusal-events.js';

/** How the site runs its data plane. */
export interface RunOptions {
  /** serve svcnet.v1.DataplaneDiscovery to `svcnet router` replicas on this port (mutual TLS) */
  routerPort?: number;
  /** false: only routers carry the site's links, listeners and connectors; the site's own engine
   * keeps the link server (inbound links) and gets no listener, connector or link pushes */
  localDataplane?: boolean;
  /** data-plane engines (default 1); more spread flows over cores (docs/architecture.md "Several engines") */
  dataplaneWorkers?: number;
}

export const DEFAULT_WINDOW = 4 << 20;

/** The publisher node of engine worker k: "local", then "local/worker-k". */
const xdsNode = (worker: number): string => `local${workerSuffix(worker)}`;
const STATUS_EVERY_MS = 500;

export class RunningSite {
  readonly cfg: SiteConfig;
  /** the data-plane engine processes (one by default): everything with sockets but the grant, API and console ports */
  readonly engine: EnginePool;
  /** Watch streams of the control API; engine events are published here */
  readonly hub = new WatchHub();
  /** LINK_REFUSED events from the refusals in the engine's status (issue 15) */
  private readonly refusalEvents = new RefusalEvents(this.hub);
  private grantServer: GrantEndpoint | undefined;
  /** timer errors (out of fds, a file caught mid-write) are logged rate-limited, never thrown */
  private readonly budget: LogBudget;
  private untrap: (() => void) | undefined;
  private console: ConsoleServer | undefined;
  /** the console's live status streams (/api/events), told of every status publication */
  private consoleEvents: StatusEvents | undefined;
  /** the console's `traffic` events, told of each engine traffic report */
  private trafficEvents: StatusEvents | undefined;
  /** the network's traffic summaries as the engines hold them (issue 12) */
  readonly traffic: TrafficView;
  /** each service's last 15 minutes, sampled at each traffic report (the console's charts) */
  private readonly history = new ServiceHistory();
  /** the control side of the push: versions, nonces, ACK/NACK per node (control/xds/) */
  readonly xds: SnapshotPublisher;
  private readonly versions = new SnapshotVersions();
  private routerServer: grpc.Server | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly stalls: StallWatch;
  private publishing: Promise<void> | undefined;
  private republish = false;
  private stopped = false;
  /** per worker: detaches its publisher node */
  private readonly detachEngine = new Map<number, () => void>();
  /** the gRPC control API (control/api/) */
  private api: ApiServers | undefined;
  /** admission, revocation, renewal and rotation of certificates (control/pki/site-pki.ts) */
  readonly pki: SitePki;
  /** the Prometheus registry of /metrics and GetMetrics (control/console/metrics.ts) */
  readonly metrics: SiteMetrics;
  /** flow records, asked of each engine (control/flows/flow-queries.ts) */
  private readonly flowQueries: FlowQueries[];
  /** bench runs (issue 14): driven by the first engine, which alone starts them */
  readonly benchRuns: BenchRuns;
  /** flow records of every engine, merged */
  readonly flows = { list: (q: FlowQuery) => listAllFlows(this.flowQueries, q) };

  constructor(readonly store: SiteStore, private readonly log: Logger, private readonly run: RunOptions = {}) {
    this.cfg = store.readConfig();
    const window = Number(process.env.SVCNET_WINDOW ?? DEFAULT_WINDOW);
    const drainMs = process.env.SVCNET_DRAIN_SECONDS ? Number(process.env.SVCNET_DRAIN_SECONDS) * 1000 : undefined;
    const identity = loadIdentity(store, this.cfg);
    this.pki = new SitePki(store, log.child({ component: 'pki' }), { reconcile: () => this.guarded('reconcile', () => this.reconcile()) });
    this.xds = new SnapshotPublisher(log.child({ component: 'xds' }));
    this.stalls = new StallWatch(log);
    this.budget = new LogBudget(log);
    this.engine = new EnginePool({
      init: { siteId: this.cfg.id, siteName: this.cfg.name, identityPem: identity.toPem(), window, drainMs, logLevel: log.level },
      log: log.child({ component: 'engine-host' }),
      workers: run.dataplaneWorkers ?? 1,
      onReport: (r, worker) => this.onEngineReport(r, worker),
    });
    this.metrics = new SiteMetrics({ status: () => this.status(), engine: () => this.engine.status }, { processMetrics: true });
    this.traffic = new TrafficView(this.cfg.id);
    this.flowQueries = this.engine.hosts.map((h) => new FlowQueries((cmd) => { if (h.pid === undefined) return false; h.send(cmd); return true; }));
    const driver = this.engine.hosts[0];
    this.benchRuns = new BenchRuns((cmd) => { if (driver.pid === undefined) return false; driver.send(cmd); return true; });
  }

  /** An engine's reports: ACKs to the publisher, events to Watch streams, status to the status file. */
  private onEngineReport(r: EngineReport, worker: number): void {
    switch (r.kind) {
      case 'ready': this.flowQueries[worker - 1].abandon(); if (worker === 1) this.benchRuns.abandon(); this.attachEngine(worker); break;
      case 'bench-progress': case 'bench-end': if (worker === 1) this.benchRuns.report(r); break;
      case 'flows': this.metrics.flows.add(r.batch); break;
      case 'flow-list': this.flowQueries[worker - 1].answer(r.id, r.records); break;
      case 'traffic':
        this.traffic.update(worker, r.held);
        this.history.record(this.traffic.view(), Date.now());
        this.trafficEvents?.changed();
        break;
      case 'ack': this.xds.answer(xdsNode(worker), r.ack); break;
      case 'status': this.refusalEvents.update(this.engine.status?.links ?? []); this.publishStatus(); break;
      case 'link-up': this.hub.publish('LINK_UP', { link: { name: r.link.name + workerSuffix(worker), direction: r.link.direction, peerSite: r.link.peer ?? '', reason: '' } }); break;
      case 'link-down': this.hub.publish('LINK_DOWN', { link: { name: r.link.name + workerSuffix(worker), direction: r.link.direction, peerSite: r.link.peer ?? '', reason: r.reason } }); break;
      case 'routes': if (this.hub.wants('ROUTES_CHANGED')) this.hub.publish('ROUTES_CHANGED', { routes: { version: r.version, reachableSites: r.reachableSites, routingKeys: r.routingKeys } }); break;
      case 'flow-open': case 'flow-end': {
        const f = r.flow;
        const type = r.kind === 'flow-open' ? 'FLOW_OPEN' : 'FLOW_END';
        if (this.hub.wants(type)) this.hub.publish(type, { flow: { listener: f.listener, routingKey: f.key, site: f.site ?? '', bytesIn: f.bytesIn ?? 0, bytesOut: f.bytesOut ?? 0, error: f.error ?? '' } });
        break;
      }
    }
  }

  /** A (re)started engine is a new node of the publisher: it gets the whole snapshot. */
  private attachEngine(worker: number): void {
    this.detachEngine.get(worker)?.();
    // Without a local data plane the engine still runs the link server and admission (inbound links).
    const types = this.run.localDataplane === false ? SITE_TYPES.filter((t) => t === 'server' || t === 'admission') : SITE_TYPES;
    const host = this.engine.hosts[worker - 1];
    this.detachEngine.set(worker, this.xds.attach({ node: xdsNode(worker), types, send: (push) => host.send({ kind: 'push', push }) }));
    host.send(this.watchCommand());
    host.send(this.benchServeCommand());
  }

  /** Whether the engines serve other sites' bench streams: the policy's `bench` (default true). */
  private benchServeCommand(): EngineCommand {
    let allow = true;
    try { allow = servesBench(loadPolicy(this.store)); } catch { allow = false; /* an unreadable policy allows nothing */ }
    return { kind: 'bench-serve', allow };
  }

  /** Whether the engines should report each flow's open and end: only while a Watch stream wants them. */
  private watchCommand(): EngineCommand {
    return { kind: 'watch', flows: this.hub.wants('FLOW_OPEN') || this.hub.wants('FLOW_END') };
  }

  async start(): Promise<void> {
    const { cfg, store } = this;
    this.untrap = surviveAcceptExhaustion((err) => this.budget.warn('accept', { code: err.code }, 'a server ran out of file descriptors in accept(); that connection was dropped'));
    await this.engine.start();
    // Engines forked first keep normal priority; from now on the control work yields to them.
    if (!setOwnNice(CONTROL_NICE)) this.log.info('the control process keeps its priority (the system refused a lower one)');
    this.pki.start();
    if (cfg.linkAccess.enabled) {
      // Both ports bind the address other sites are told to use (--link-host), nothing wider. A port
      // held by someone else is retried in the background (status shows it); the site runs meanwhile.
      // The link port is the engine's (pushed as the `server` resource); the grant port stays here.
      this.grantServer = await startGrantServer({
        store, host: cfg.linkAccess.bindHost ?? cfg.linkAccess.host, port: cfg.grantPort, log: this.log.child({ component: 'grants' }),
        endpoints: [{ host: cfg.linkAccess.host, port: cfg.linkAccess.port }], tls: this.pki.grantTls, refused: this.pki.refused,
        onIssued: () => this.pkiChanged(),
      });
    }
    this.stalls.start();
    if (this.run.routerPort) {
      const server = store.readServerCert();
      this.routerServer = await startRouterServer({
        host: '0.0.0.0', port: this.run.routerPort, key: server.key, cert: server.cert, ca: store.readCa().cert, publisher: this.xds,
        identity: (name) => ({ routerId: `${cfg.id}/${name}`, routerName: `${cfg.name}/${name}` }), log: this.log.child({ component: 'xds-server' }),
      });
    }
    if (cfg.consolePort) {
      // The console's web stack (hono) loads only for a site that serves it.
      const { startConsole } = await import('./console/console-server.js');
      this.console = await startConsole({
        status: async () => { await this.engine.barrier(); return this.status(); },
        metrics: async () => { await this.engine.barrier(); return this.metrics.text(); },
        flows: (q) => this.flows.list(q),
        events: (this.consoleEvents = new StatusEvents(() => this.status())),
        traffic: () => this.traffic.view(),
        history: this.history,
        // A traffic event carries the whole network's rows: at most one a second per page.
        trafficEvents: (this.trafficEvents = new StatusEvents(() => this.traffic.view(), { minGapMs: 1000 }, 'traffic')),
        // The Measure button runs the same RunBenchmark as the API (control/bench/bench-api.ts).
        bench: (req, send, end) => runBenchmark(apiContext(this, this.log), req, send, end),
      }, { host: cfg.consoleHost ?? '127.0.0.1', port: cfg.consolePort, tls: serverTls(store), password: () => consolePassword(store) });
      this.log.info({ url: this.console.url, login: this.console.login ? `password in ${consolePasswordPath(store)} or an admin client certificate` : undefined }, 'console ready');
    }
    this.reconcile();
    this.api = await attachControlApi(this, this.log);
    this.timers.push(setInterval(() => this.guarded('status', () => this.publishStatus()), STATUS_EVERY_MS));
    this.hub.onWatchersChanged(() => this.engine.send(this.watchCommand()));
    this.publishStatus();
    await this.publishing;
    // From here a CLI finds the status and the API socket and goes through the API (cli/session.ts).
    store.clearStarting();
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
    const appTls = readAppTls(this.store, [...listeners.map((l) => l.spec.tlsCredentials), ...connectors.map((c) => c.spec.tlsCredentials)]);
    const { state, problems } = desiredState({ listeners, connectors, links, credentials, appTls, exposes: (key, name) => this.pki.exposes(key, name), server: this.pki.server(), admission: this.pki.admission() });
    for (const p of problems) this.log.error({ [p.kind.toLowerCase()]: p.name, err: p.message }, p.message);
    this.xds.update(this.versions.next(state));
    if (this.console?.login) this.guarded('console tls', () => this.console!.tlsChanged(serverTls(this.store)));
    this.publishStatus();
  }

  /** PKI state changed (a redemption, a renewal, an API call): push it; resolves once the engine applied it. */
  async pkiChanged(): Promise<void> {
    this.guarded('pki', () => { this.pki.refresh(); this.reconcile(); this.engine.send(this.benchServeCommand()); });
    await this.engine.barrier();
  }

  /** The site as the status commands and the console show it. */
  status(): RuntimeStatus {
    const e = this.engine.status;
    return {
      pid: process.pid,
      updatedAt: new Date().toISOString(),
      engine: { pid: this.engine.pid, state: this.engine.state, restarts: this.engine.restarts, lastExit: this.engine.lastExit, memory: e?.memory, eventLoop: e?.eventLoop, workers: this.engine.workers > 1 ? this.engine.summaries() : undefined },
      security: { ...this.pki.status(e && { refused: e.refused, linksRefusedTotal: e.linksRefusedTotal, linksClosed: e.counters.linksClosed }), ports: this.portsStatus() },
      site: { id: this.cfg.id, name: this.cfg.name, linkPort: this.cfg.linkAccess.enabled ? this.cfg.linkAccess.port : undefined, consolePort: this.cfg.consolePort || undefined, consoleUrl: this.console?.url },
      links: e?.links ?? [],
      listeners: e?.listeners ?? [],
      connectors: e?.connectors ?? [],
      network: { sites: e?.network.sites ?? [] },
      xds: { nacks: this.xds.nacks, nodes: this.xds.status() },
      eventLoop: { ...this.stalls.counts },
    };
  }

  /** Whether the link and grant ports listen (a held port is retried; out of fds they pause). */
  private portsStatus() {
    const one = (l: { state: string; message: string } | undefined) => (l ? { state: l.state, message: l.message } : undefined);
    return { link: this.engine.status?.ports.link, grant: one(this.grantServer?.listener), fdExhaustion: fdPressure.count + (this.engine.status?.counters.fdExhaustion ?? 0) };
  }

  /** Writes run/status.json off the event loop; one write at a time, the last request always lands. */
  private publishStatus(): void {
    this.consoleEvents?.changed();
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
    this.routerServer?.forceShutdown();
    await this.engine.stop();
    this.pki.stop();
    this.grantServer?.close();
    this.consoleEvents?.close();
    this.trafficEvents?.close();
    this.console?.close();
    this.api?.close();
    await this.publishing;
    this.store.clearRuntimeStatus();
    this.untrap?.();
  }
}
