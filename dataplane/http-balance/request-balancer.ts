// A request-balanced http1 listener (`balance: request`, issue 13): Node's HTTP/1.1 server parses the
// requests of each client connection (pipelining, chunked bodies, Connection: close, Expect and 1xx
// included) and each request goes to a target chosen per request (target-choice.ts), through that
// target's pool of kept-alive upstream connections (an http.Agent whose connections are upstreams.ts's).
// An Upgrade or CONNECT pins its client connection to one target and becomes raw bytes (upgrade-tunnel.ts).
import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ListenerSpec } from '../port/push.js';
import type { TargetPools } from './target-pools.js';
import { TargetPicker, type PickerDeps } from './target-picker.js';
import { RequestExchange, MAX_HEAD, type ExchangeHost } from './request-exchange.js';
import { tunnel } from './upgrade-tunnel.js';
import type { ClientSink, ListenerBalancer } from './listener-balancer.js';

/** Upstream connections one target's pool holds at most (requests beyond wait in the pool's queue). */
export const POOL_SOCKETS = 64;
/** Idle upstream connections a pool keeps. */
export const POOL_IDLE = 16;
/** An idle upstream connection closes after this long: below common servers' keep-alive (Node 5 s), as undici's 4 s. */
export const POOL_IDLE_MS = 4000;
/** A client connection idle this long between requests is closed. */
export const CLIENT_IDLE_MS = 60_000;

export interface BalancerDeps extends PickerDeps {
  log: Logger;
}

export type { ClientSink };

const idleTimer = Symbol('svcnet idle timer');
type PooledSocket = Duplex & { [idleTimer]?: NodeJS.Timeout };

/** One target's pool: kept-alive connections made by `open`, each closed after POOL_IDLE_MS idle. */
class TargetAgent extends http.Agent {
  constructor(private readonly open: () => Duplex) {
    super({ keepAlive: true, maxSockets: POOL_SOCKETS, maxFreeSockets: POOL_IDLE, scheduling: 'lifo' });
  }
  // Node's Agent calls these: a connection of our own, and an idle timer per kept connection.
  override createConnection(): Duplex { return this.open(); }
  // @types/node says void; Node reads the answer (false: do not keep the connection).
  override keepSocketAlive(socket: PooledSocket): boolean {
    // Node's own first: it reads the server's Keep-Alive hint and may say no.
    if ((super.keepSocketAlive(socket) as unknown) === false) return false;
    clearTimeout(socket[idleTimer]);
    socket[idleTimer] = setTimeout(() => socket.destroy(), POOL_IDLE_MS);
    socket[idleTimer].unref();
    return true;
  }
  // Node's own too: it drops the idle-time error listener and marks the request `reusedSocket` (retry-safety.ts reads it).
  override reuseSocket(socket: PooledSocket, req: http.ClientRequest): void {
    clearTimeout(socket[idleTimer]);
    super.reuseSocket(socket, req);
  }
}

export class RequestBalancer implements ListenerBalancer {
  private readonly server: http.Server;
  private readonly picker: TargetPicker<TargetAgent>;
  private readonly sinks = new WeakMap<object, ClientSink>();
  /** Client connections still speaking HTTP. Node tracks a server's connections (closeAllConnections)
   *  only once it listens, and this one never does: it is handed sockets. */
  private readonly clients = new Set<net.Socket>();
  private readonly upstreams: BalancerDeps['upstreams'];

  constructor(spec: ListenerSpec, d: BalancerDeps) {
    this.upstreams = d.upstreams;
    this.picker = new TargetPicker(spec, d, (open) => new TargetAgent(open));
    this.server = http.createServer({ requireHostHeader: false, maxHeaderSize: MAX_HEAD, keepAliveTimeout: CLIENT_IDLE_MS });
    // A client may half-close once its requests are sent (`nc -N`, a script's socket.end(req)): its
    // answers still go out, then the connection ends, as with a direct server. Node's default (false)
    // aborted them at the client's FIN. Node reads this property in socketOnEnd; no option sets it.
    (this.server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    this.server.on('request', (req, res) => this.onRequest(req, res));
    // Expect: 100-continue goes to the server, whose 100 (or final answer) is passed back.
    this.server.on('checkContinue', (req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req, socket: net.Socket, head: Buffer) => this.onTunnel(req, socket, head));
    this.server.on('connect', (req, socket: net.Socket, head: Buffer) => this.onTunnel(req, socket, head));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket));
  }

  /** The pools, one per target (tests read them). */
  get pools(): TargetPools<TargetAgent> { return this.picker.pools; }

  /** A new client connection; its requests are reported to `sink`. */
  accept(client: net.Socket, sink: ClientSink): void {
    this.sinks.set(client, sink);
    this.clients.add(client);
    client.once('close', () => this.clients.delete(client));
    this.server.emit('connection', client);
  }

  /** The site shuts down: client connections (not yet upgraded) and pooled upstream connections close. */
  close(): void {
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    this.pools.close();
  }

  /** Targets by request count, for the listener's status. */
  status(): ReturnType<TargetPools<TargetAgent>['status']> { return this.pools.status(); }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const sink = this.sinks.get(req.socket);
    const host: ExchangeHost = {
      begin: (tried, retry) => { const p = this.picker.pick(tried, retry); return p && { id: p.id, label: p.label, agent: p.pool }; },
      finish: (id, failed) => this.picker.finish(id, failed),
      done: (q) => sink?.request(q),
    };
    new RequestExchange(req, res, host);
  }

  private onTunnel(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    this.clients.delete(socket); // raw bytes from here on: the tunnel owns it
    const sink = this.sinks.get(socket);
    const client = `${socket.remoteAddress}:${socket.remotePort}`;
    const p = this.picker.pick(new Set(), false);
    if (!p) { socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'); return; }
    tunnel(req, socket, head, this.upstreams.connect(p.target, p.key, client), (q, failed) => {
      this.picker.finish(p.id, failed);
      sink?.request({ ...q, target: p.label });
    });
  }

  /** Bytes Node's parser refused: answered as Node answers them (400, or 431 for a head too large), counted on the flow. */
  private onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    this.sinks.get(socket)?.malformed(err.code === 'HPE_HEADER_OVERFLOW' ? 'head_too_large' : 'malformed_request');
    if (err.code === 'ECONNRESET' || !socket.writable) { socket.destroy(); return; }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  }
}
