// `svcnet router`: a data-plane replica steered by a site's controller over
// svcnet.v1.DataplaneDiscovery with mutual TLS. On the first push it starts the same engine as
// `site run` (a child process, control/engine/) as a node of its own (router id "<site id>/<name>"),
// relays pushes to it and its ACKs back; the engine dials the pushed links and serves the connectors.
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { SiteIdentity, baseSiteId } from '../../common/identity.js';
import { backoffDelay } from '../../common/backoff.js';
import type { EngineReport } from '../../dataplane/port/report.js';
import { EngineHost } from '../engine/engine-host.js';
import { writeFileAtomic } from '../state/atomic.js';
import { discoveryService, fromResponse, toRequest, type NodeIdentity, type WireRequest, type WireResponse } from './wire.js';

const STATUS_EVERY_MS = 500;

export interface RouterOptions {
  /** host:port of the site's router endpoint (`site run --router-port`) */
  control: string;
  /** holds router.key, router.crt and ca.crt from `svcnet router issue` */
  dir: string;
  listenerPortOffset?: number;
  window: number;
  log: Logger;
}

/** The files `svcnet router issue` writes into a router directory. */
export const routerFiles = (dir: string) => ({ key: path.join(dir, 'router.key'), cert: path.join(dir, 'router.crt'), ca: path.join(dir, 'ca.crt'), status: path.join(dir, 'status.json'), identity: path.join(dir, 'identity.pem') });

export class Router {
  engine: EngineHost | undefined;
  private identity: NodeIdentity | undefined;
  private client: grpc.Client | undefined;
  private call: grpc.ClientDuplexStream<WireRequest, WireResponse> | undefined;
  private failures = 0;
  private stopped = false;
  private timers: NodeJS.Timeout[] = [];
  private connected = false;

  constructor(private readonly o: RouterOptions) {}

  /** Connects to the controller and keeps reconnecting with backoff until stop(). */
  start(): void {
    const f = routerFiles(this.o.dir);
    const creds = grpc.credentials.createSsl(fs.readFileSync(f.ca), fs.readFileSync(f.key), fs.readFileSync(f.cert));
    const Client = grpc.makeGenericClientConstructor(discoveryService(), 'DataplaneDiscovery');
    this.client = new Client(this.o.control, creds, { 'grpc.keepalive_time_ms': 2000, 'grpc.keepalive_timeout_ms': 2000 });
    this.timers.push(setInterval(() => this.writeStatus(), STATUS_EVERY_MS));
    this.open();
  }

  private open(): void {
    if (this.stopped) return;
    const call = (this.client as unknown as { StreamResources(): grpc.ClientDuplexStream<WireRequest, WireResponse> }).StreamResources();
    this.call = call;
    call.on('data', (res: WireResponse) => this.onPush(call, res));
    let over = false;
    const retry = (why: string) => {
      if (over) return;
      over = true;
      this.connected = false;
      if (this.stopped) return;
      const delay = backoffDelay(this.failures++);
      this.o.log.warn({ control: this.o.control, err: why, delayMs: delay }, 'push stream lost; the data plane keeps its last state and reconnects');
      setTimeout(() => this.open(), delay);
    };
    call.on('error', (err: grpc.ServiceError) => retry(err.details || err.message));
    call.on('end', () => retry('stream ended by the controller'));
    call.write({});
  }

  private onPush(call: grpc.ClientDuplexStream<WireRequest, WireResponse>, res: WireResponse): void {
    if (!this.connected) { this.connected = true; this.failures = 0; this.o.log.info({ control: this.o.control }, 'push stream open'); }
    const node = res.node;
    if (!this.identity && node?.routerId) this.become(node);
    else if (node && this.identity && node.routerId !== this.identity.routerId) {
      call.write(toRequest({ type: fromResponse(res).type, version: '', nonce: res.nonce, error: `this router is ${this.identity.routerId}, not ${node.routerId}; restart it to change identity` }));
      return;
    }
    if (!this.engine) return;
    this.engine.send({ kind: 'push', push: fromResponse(res) });
  }

  private onReport(r: EngineReport): void {
    if (r.kind === 'ack') { this.call?.write(toRequest(r.ack)); return; }
    // A restarted engine has nothing: a new stream makes the controller push everything again.
    if (r.kind === 'ready' && this.engine && this.engine.restarts > 0) this.call?.cancel();
  }

  /** The first push makes the data plane: a node of its own with the pushed identity. */
  private become(node: NodeIdentity): void {
    // The replica signs its HELLO proofs and routing records with its site's identity key.
    let key: SiteIdentity;
    try {
      key = SiteIdentity.fromPem(fs.readFileSync(routerFiles(this.o.dir).identity, 'utf8'));
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'router directory has no site identity key; re-issue it with "svcnet router issue"');
      return;
    }
    if (baseSiteId(node.routerId) !== key.id) {
      this.o.log.error({ routerId: node.routerId, keyOf: key.id }, 'the controller names this router for another site than its identity key; re-issue it with "svcnet router issue"');
      return;
    }
    this.identity = node;
    this.engine = new EngineHost({
      init: { siteId: node.routerId, siteName: node.routerName, identityPem: key.toPem(), window: this.o.window, logLevel: this.o.log.level, listenerPortOffset: this.o.listenerPortOffset, listeners: this.o.listenerPortOffset !== undefined },
      log: this.o.log.child({ component: 'engine-host' }), onReport: (r) => this.onReport(r),
    });
    this.engine.start().then(
      () => this.o.log.info({ routerId: node.routerId, name: node.routerName }, 'router data plane running'),
      (err: Error) => this.o.log.error({ err: err.message }, 'router data plane could not start'),
    );
  }

  /** What the router runs, in RDIR/status.json. */
  status(): Record<string, unknown> {
    const e = this.engine?.status;
    return {
      pid: process.pid, updatedAt: new Date().toISOString(), control: this.o.control, connected: this.connected, node: this.identity,
      engine: this.engine && { pid: this.engine.pid, state: this.engine.state, restarts: this.engine.restarts },
      pushes: e?.pushes,
      links: (e?.links ?? []).filter((l) => l.direction === 'outbound').map((l) => ({ name: l.name, status: l.status, message: l.message, peer: l.peer })),
      listeners: (e?.listeners ?? []).map((l) => ({ name: l.name, port: l.port, status: l.status })),
      connectors: (e?.connectors ?? []).map((c) => ({ name: c.name, routingKey: c.routingKey, ready: c.ready, flowsOpened: c.flowsOpened })),
    };
  }

  private writeStatus(): void {
    try { writeFileAtomic(routerFiles(this.o.dir).status, JSON.stringify(this.status(), null, 2) + '\n'); } catch (err) { this.o.log.warn({ err: (err as Error).message }, 'cannot write status'); }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.call?.cancel();
    void this.engine?.stop();
    this.client?.close();
  }
}
