// `svcnet router`: a data plane in a process of its own, steered by a site's controller over
// svcnet.v1.DataplaneDiscovery with mutual TLS. It becomes a node of the network on the first push
// (router id "<site id>/<name>"), dials the pushed links itself and serves the pushed connectors.
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadCore } from '../../dataplane/core/wasm-core.js';
import { Dataplane } from '../../dataplane/dataplane.js';
import { DataplaneAgent } from '../../dataplane/xds/agent.js';
import { backoffDelay } from '../../dataplane/link-dialer.js';
import { LinkState } from '../../dataplane/link.js';
import { SiteIdentity, baseSiteId } from '../../common/identity.js';
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
  dp: Dataplane | undefined;
  agent: DataplaneAgent | undefined;
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
    if (!this.agent) return;
    call.write(toRequest(this.agent.apply(fromResponse(res))));
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
    this.dp = new Dataplane({ siteId: node.routerId, siteName: node.routerName, identity: key, core: loadCore(this.o.window), window: this.o.window, log: this.o.log });
    this.agent = new DataplaneAgent(this.dp, { log: this.o.log, listenerPortOffset: this.o.listenerPortOffset, listeners: this.o.listenerPortOffset !== undefined });
    this.o.log.info({ routerId: node.routerId, name: node.routerName }, 'router data plane running');
  }

  /** What the router runs, in RDIR/status.json. */
  status(): Record<string, unknown> {
    const dp = this.dp;
    return {
      pid: process.pid, updatedAt: new Date().toISOString(), control: this.o.control, connected: this.connected, node: this.identity,
      pushes: this.agent?.status(),
      links: [...(this.agent?.dialers.values() ?? [])].map((d) => ({ name: d.target.name, status: d.link?.state === LinkState.Ready ? 'ready' : d.status, message: d.message, peer: d.link?.peer?.siteName })),
      listeners: dp ? [...dp.listenerPorts.values()].map((l) => ({ name: l.spec.name, port: l.spec.port, status: l.status })) : [],
      connectors: dp ? [...dp.connectors.values()].map((c) => ({ name: c.spec.name, routingKey: c.spec.routingKey, ready: c.ready, flowsOpened: c.flowsOpened })) : [],
    };
  }

  private writeStatus(): void {
    try { writeFileAtomic(routerFiles(this.o.dir).status, JSON.stringify(this.status(), null, 2) + '\n'); } catch (err) { this.o.log.warn({ err: (err as Error).message }, 'cannot write status'); }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.call?.cancel();
    this.agent?.stop();
    this.dp?.shutdown();
    this.client?.close();
  }
}
