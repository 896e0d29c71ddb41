// The data-plane engine: everything a site (or a router replica) does with sockets, composed and
// steered only through the port — pushes and a few commands in (port/report.ts EngineCommand),
// typed reports out (EngineReport). `engine/main.ts` runs it in a process of its own, forked by
// `site run` and by `svcnet router` (control/engine/engine-host.ts).
import type { Logger } from 'pino';
import { loadCore } from '../core/wasm-core.js';
import { Dataplane } from '../dataplane.js';
import { LinkServer } from '../link-server.js';
import { LinkState, type Link } from '../link.js';
import { DataplaneAgent } from '../xds/agent.js';
import type { LinkDialer } from '../link-dialer.js';
import { SiteIdentity } from '../../common/identity.js';
import { fdPressure, surviveAcceptExhaustion } from '../../common/fd-pressure.js';
import { StallWatch } from '../../common/stall-watch.js';
import { Admission } from './admission.js';
import { LinkBytes } from '../link-bytes.js';
import type { RouteTable } from '../routing/route-table.js';
import type { ServerResource } from '../port/push.js';
import type { EngineCommand, EngineInit, EngineReport, EngineStatus, FlowInfo, LinkStatus } from '../port/report.js';
import { illegalTransitions } from '../state-machine.js';
import { TrafficNode } from '../traffic/traffic-node.js';
import { FLOW_QUERY_MAX } from '../flow-records.js';
import * as P from '../../wasm/assembly/protocol.js';
import type { BenchError, BenchProgress, BenchResult } from '../port/bench.js';

/** Status is sent at most this often while something changes (flow counters), and at once on link and route events. */
export const STATUS_EVERY_MS = 500;
/** An unchanged status is still sent this often, for the memory figures. */
const MEMORY_EVERY_MS = 5000;

export class Engine {
  readonly dp: Dataplane;
  readonly agent: DataplaneAgent;
  private linkServer: LinkServer | undefined;
  private serverSpec: ServerResource | undefined;
  /** refusals by code: the link server's handshakes and admission */
  private readonly refused: Record<string, number> = {};
  private readonly admission: Admission;
  private readonly stalls: StallWatch;
  private readonly untrap: () => void;
  private watchFlows = false;
  private readonly linkBytes = new LinkBytes();
  private statusTimer: NodeJS.Timeout | undefined;
  private lastStatus = '';
  private lastSentAt = 0;
  private stopped = false;
  /** this engine's traffic summary and the network's (issue 12, dataplane/traffic/) */
  readonly traffic: TrafficNode;

  constructor(init: EngineInit, private readonly report: (r: EngineReport) => void, private readonly log: Logger) {
    const identity = SiteIdentity.fromPem(init.identityPem);
    this.dp = new Dataplane({ siteId: init.siteId, siteName: init.siteName, identity, core: loadCore(init.window), window: init.window, log, drainMs: init.drainMs });
    this.admission = new Admission(log.child({ component: 'admission' }), this.refused);
    this.agent = new DataplaneAgent(this.dp, {
      log, listenerPortOffset: init.listenerPortOffset, listeners: init.listeners,
      onServer: (s) => this.setServer(s),
      onAdmission: (entries) => { if (this.admission.update(entries, this.dp.links)) this.sendStatus(); },
    });
    this.stalls = new StallWatch(log);
    this.stalls.start();
    // Out of fds in accept() is survived; any other uncaught error ends the engine (the controller
    // restarts it), after resetting its flows so their clients see a reset rather than a hang.
    this.untrap = surviveAcceptExhaustion(
      (err) => log.warn({ code: err.code }, 'a server ran out of file descriptors in accept(); that connection was dropped'),
      (err) => { log.fatal({ err: err.message }, 'engine crashed'); this.stop(); },
    );
    this.traffic = new TrafficNode({
      siteId: init.siteId, siteName: init.siteName, identity, log: log.child({ component: 'traffic' }), refusals: this.refused,
      report: (held) => this.report({ kind: 'traffic', held }),
      net: {
        // Only to peers that said they take TRAFFIC: an earlier version would drop the link on it.
        readyLinks: () => this.dp.links.filter((l): l is Link => l?.state === LinkState.Ready && l.peer?.traffic === true),
        send: (l, payload) => this.dp.outbox.control(l, P.FRAME_TRAFFIC, payload),
        known: (id) => this.dp.lsdb.has(id),
        reachable: (id) => this.dp.routes.paths.has(id),
        // The batch first: a flow that ended since the last one counts as ended, not as gone.
        own: () => {
          this.sendFlows();
          return {
            active: this.dp.flowRecords.query({ state: 'active', limit: FLOW_QUERY_MAX }), links: this.linkStatuses(),
            listeners: [...this.dp.listenerPorts.values()].map((l) => ({ key: l.spec.routingKey, ready: l.status === 'ready' })),
            connectors: [...this.dp.connectors.values()].map((c) => ({ key: c.spec.routingKey, ready: c.ready })),
          };
        },
      },
    });
    this.dp.trafficSink = (l, payload) => this.traffic.onTraffic(l, payload);
    this.forwardEvents();
    this.statusTimer = setInterval(() => {
      // Timer work must never throw: out of fds (an attacker's doing) it is counted and retried next tick.
      try { this.sendFlows(); this.sendStatus(); } catch (err) { if (!fdPressure.report('status', err)) throw err; }
    }, STATUS_EVERY_MS);
    this.statusTimer.unref();
  }

  /** Handles one command from the controller. Never throws: a bad push is NACKed by the agent. */
  handle(cmd: EngineCommand): void {
    switch (cmd.kind) {
      case 'push': this.report({ kind: 'ack', ack: this.agent.apply(cmd.push) }); this.sendStatus(); break;
      case 'watch': this.watchFlows = cmd.flows; break;
      case 'barrier': this.sendFlows(); this.sendStatus(true); this.report({ kind: 'barrier', id: cmd.id }); break;
      case 'list-flows': this.report({ kind: 'flow-list', id: cmd.id, records: this.dp.flowRecords.query(cmd.query) }); break;
      case 'stop': this.stop(); break;
      case 'init': this.log.warn('engine already initialised; init ignored'); break;
      case 'bench': this.dp.benchDriver.start(cmd.id, cmd.req); break;
      case 'bench-cancel': this.dp.benchDriver.cancel(cmd.id); break;
      case 'bench-serve': this.dp.benchServer.allow = cmd.allow; break;
    }
  }

  private forwardEvents(): void {
    const dp = this.dp;
    dp.on('link-up', (l: Link) => { this.report({ kind: 'link-up', link: this.linkStatus(l) }); this.sendStatus(); });
    dp.on('link-down', (l: Link, reason: string) => {
      this.linkBytes.down(l, l.dialer ? 'outbound' : 'inbound');
      this.report({ kind: 'link-down', link: this.linkStatus(l), reason: String(reason ?? '') });
      this.sendStatus();
    });
    dp.on('routes', (t: RouteTable) => {
      const reachableSites = [...t.paths.keys()].map((id) => dp.lsdb.all.get(id)?.name ?? id).sort();
      this.report({ kind: 'routes', version: t.version, reachableSites, routingKeys: [...t.keys.keys()].sort() });
      this.sendStatus();
      this.traffic.changed();
    });
    dp.on('flow-open', (f: FlowInfo) => { if (this.watchFlows) this.report({ kind: 'flow-open', flow: f }); });
    dp.on('flow-end', (f: FlowInfo) => { if (this.watchFlows) this.report({ kind: 'flow-end', flow: f }); });
    dp.on('bench-progress', (id: number, progress: BenchProgress) => this.report({ kind: 'bench-progress', id, progress }));
    dp.on('bench-end', (id: number, result?: BenchResult, error?: BenchError) => this.report({ kind: 'bench-end', id, result, error }));
  }

  /** Starts, moves or re-keys the link server as pushed; none pushed: no inbound links. */
  private setServer(s: ServerResource | undefined): void {
    const prev = this.serverSpec;
    this.serverSpec = s;
    if (this.linkServer && (!s || s.host !== prev?.host || s.port !== prev?.port)) { this.linkServer.close(); this.linkServer = undefined; }
    if (!s) return;
    if (this.linkServer) { this.linkServer.updateTls(s); return; }
    this.linkServer = new LinkServer(this.dp, {
      host: s.host, port: s.port, log: this.log.child({ component: 'link-server' }), tls: s, refused: this.refused,
      admit: (cert) => this.admission.admit(cert), identify: (cert) => this.admission.identify(cert),
    });
    // The port binds in the background (a held port is retried; status shows it).
    void this.linkServer.listen().then(() => this.sendStatus());
  }

  /** An outbound link by its dialer (the dialer's state while it has no ready link). */
  private dialerStatus(d: LinkDialer): LinkStatus {
    const l = d.link;
    return { name: d.target.name, direction: 'outbound', status: l?.state === LinkState.Ready ? 'ready' : d.status, message: d.message, refusal: d.refusal, peer: l?.peer?.siteName, peerId: l?.peer?.siteId, cost: d.target.cost, ...this.linkBytes.total(d.target.name, 'outbound', l) };
  }

  private linkStatus(l: Link): LinkStatus {
    const dialer = [...this.agent.dialers.values()].find((d) => d.link === l);
    if (dialer) return this.dialerStatus(dialer);
    return { name: l.name, direction: 'inbound', status: l.state, message: `from ${l.socket.remoteAddress} ${this.admission.describe(l)}`.trimEnd(), peer: l.peer?.siteName, peerId: l.peer?.siteId, cost: l.peer?.cost, ...this.linkBytes.total(l.name, 'inbound', l) };
  }

  /** Every link: outbound ones by their dialer, then inbound ones. */
  private linkStatuses(): LinkStatus[] {
    return [
      ...[...this.agent.dialers.values()].map((d) => this.dialerStatus(d)),
      ...this.dp.links.filter((l): l is Link => !!l && !l.dialer).map((l) => this.linkStatus(l)),
    ];
  }

  /** The engine's state as the controller shows it. */
  status(): EngineStatus {
    const dp = this.dp;
    const paths = dp.routes.paths;
    return {
      pid: process.pid,
      node: { id: dp.siteId, name: dp.siteName },
      links: this.linkStatuses(),
      listeners: [...dp.listenerPorts.values()].map((l) => ({ name: l.spec.name, routingKey: l.spec.routingKey, port: l.spec.port, status: l.status, message: l.message, flowsActive: l.flowsActive, flowsOpened: l.flowsOpened, ...(l.balancer ? { targets: l.balancer.status() } : {}) })),
      connectors: [...dp.connectors.values()].map((c) => ({ name: c.spec.name, routingKey: c.spec.routingKey, host: c.spec.host, port: c.spec.port, ready: c.ready, message: c.message, flowsActive: c.flowsActive, flowsOpened: c.flowsOpened })),
      network: {
        routesVersion: dp.routes.version,
        sites: [...dp.lsdb.all.values()].map((r) => ({ id: r.id, name: r.name, cost: paths.get(r.id)?.cost ?? null, links: r.links, keys: r.keys })),
      },
      counters: { ...dp.stats, linksClosed: this.admission.linksClosed, fdExhaustion: fdPressure.count, illegalTransitions: illegalTransitions() },
      streamsActive: dp.activeStreams(),
      refused: { ...this.refused, ...dp.refusals },
      linksRefusedTotal: this.linkServer?.refused ?? 0,
      ports: { link: this.linkServer ? { state: this.linkServer.listener.state, message: this.linkServer.listener.message } : undefined },
      eventLoop: { ...this.stalls.counts },
      memory: this.memory(),
      pushes: this.agent.status(),
      bench: { ...dp.benchStats, running: dp.benchDriver.running, served: dp.benchServer.active },
    };
  }

  private lastMemory = { rss: 0, heapUsed: 0 };
  /** RSS is read from /proc (an fd): out of fds, the last figure stands. */
  private memory(): { rss: number; heapUsed: number } {
    try {
      const m = process.memoryUsage();
      this.lastMemory = { rss: m.rss, heapUsed: m.heapUsed };
    } catch (err) {
      fdPressure.report('memory', err);
    }
    return this.lastMemory;
  }

  /** Sends the flows that ended and the bytes that moved since the last batch, if any. */
  private sendFlows(): void {
    const batch = this.stopped ? undefined : this.dp.flowRecords.batch();
    if (!batch) return;
    this.traffic.tally.add(batch, Date.now());
    this.report({ kind: 'flows', batch });
  }

  /** Sends the status when it differs from the last one sent, and every MEMORY_EVERY_MS for the memory figures. */
  private sendStatus(force = false): void {
    if (this.stopped) return;
    const status = this.status();
    const text = JSON.stringify({ ...status, memory: undefined });
    const now = Date.now();
    if (!force && text === this.lastStatus && now - this.lastSentAt < MEMORY_EVERY_MS) return;
    this.lastStatus = text;
    this.lastSentAt = now;
    this.report({ kind: 'status', status });
  }

  /** Closes every link with GOAWAY, resets flows, closes ports. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.statusTimer);
    this.traffic.stop();
    this.stalls.stop();
    this.agent.stop();
    this.dp.shutdown();
    this.linkServer?.close();
    this.untrap();
  }
}
