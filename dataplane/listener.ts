// A listener's port. As in Skupper it is open only while some connector of its routing key is
// reachable, so clients otherwise get a plain "connection refused"; status says why. A port that
// cannot be bound (held by another program) is retried with backoff, shown in status (issue 15).
import net from 'node:net';
import type { Logger } from 'pino';
import { fdPressure } from '../common/fd-pressure.js';
import { RETRY_BASE_MS, RETRY_CAP_MS } from '../common/guarded-listener.js';
import type { RoundRobinState } from './routing/key-choice.js';
import type { ListenerSpec } from './port/push.js';
import { TlsTerminator } from './app-tls.js';
import type { ListenerBalancer } from './http-balance/listener-balancer.js';

export type { ListenerSpec };


/** The keys of a listener with their weights. */
export function keysOf(spec: ListenerSpec): { key: string; weight: number }[] {
  return spec.keys && spec.keys.length > 0 ? spec.keys : [{ key: spec.routingKey, weight: 1 }];
}

/** 'retrying': the last bind failed and another is scheduled (the message says why and when). */
export type ListenerStatus = 'no-route' | 'opening' | 'ready' | 'retrying';

export class ListenerPort {
  status: ListenerStatus = 'no-route';
  message = 'no connector for the routing key is reachable';
  flowsOpened = 0;
  flowsActive = 0;
  bytesIn = 0;
  bytesOut = 0;
  private server: net.Server | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** smooth weighted round-robin state for weighted multi-key listeners */
  readonly rr: RoundRobinState = new Map();
  /** a request-balanced listener's balancer (issue 13), made by flow setup on its first client */
  balancer: ListenerBalancer | undefined;

  /** set when clients speak TLS to this port (issue 15): accepted sockets go through it first */
  readonly tls: TlsTerminator | undefined;

  constructor(readonly spec: ListenerSpec, private readonly onClient: (l: ListenerPort, socket: net.Socket) => void, private readonly log: Logger) {
    this.tls = spec.tls && new TlsTerminator(spec.name, spec.tls, (s) => this.onClient(this, s), () => { if (this.status === 'ready') this.message = this.readyMessage(); }, log,
      // An http2 listener agrees on h2 in ALPN: without it curl falls back to HTTP/1.1, and Node's HTTP/2
      // server (balance: request) answers a TLS socket without h2 with its own "403 Missing ALPN Protocol".
      undefined, spec.type === 'http2' ? ['h2'] : undefined);
  }

  /** The message of an open port: where, whether TLS, and the TLS handshakes that failed. */
  private readyMessage(): string {
    const t = this.tls && this.spec.tls ? ` (TLS, credentials ${this.spec.tls.credentials}${this.spec.tls.requireClientCert ? ', client certificate required' : ''})` : '';
    const failed = this.tls?.failures.summary();
    return `listening on ${this.spec.host}:${this.spec.port}${t}${failed ? `; ${failed}` : ''}`;
  }

  /** Opens or closes the port to match whether the key is reachable. */
  setReachable(reachable: boolean): void {
    if (reachable && !this.server && !this.retryTimer) this.open();
    else if (!reachable && (this.server || this.retryTimer)) {
      this.close();
      this.status = 'no-route';
      this.message = 'no connector for the routing key is reachable';
    }
  }

  private open(): void {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => (this.tls ? this.tls.accept(socket) : this.onClient(this, socket)));
    this.server = server;
    this.status = 'opening';
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (server.listening && fdPressure.report(`listener ${this.spec.name}`, err)) return; // out of fds: that client is dropped, the port stays
      if (this.server !== server) return; // closed meanwhile
      this.server = undefined;
      server.close();
      this.retry(err);
    });
    server.listen(this.spec.port, this.spec.host, () => {
      if (this.server !== server) return;
      this.status = 'ready';
      this.message = this.readyMessage();
      this.log.info({ listener: this.spec.name, port: this.spec.port, attempts: this.failures + 1 }, 'listener open');
      this.failures = 0;
    });
  }

  /** Schedules the next bind: 250 ms doubling to 5 s, logged at the first failure and then every 8th. */
  private retry(err: NodeJS.ErrnoException): void {
    const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(this.failures, 8));
    const why = err.code === 'EADDRINUSE' ? `port ${this.spec.port} is already in use` : `cannot listen on ${this.spec.host}:${this.spec.port}: ${err.message}`;
    this.status = 'retrying';
    this.message = `${why}; next try in ${delay / 1000} s (attempt ${this.failures + 1} failed)`;
    if (this.failures % 8 === 0) this.log.error({ listener: this.spec.name, err: err.message, attempts: this.failures + 1 }, this.message);
    this.failures++;
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.open(); }, delay);
    this.retryTimer.unref();
  }

  /** Stops accepting; flows already open continue. */
  close(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.failures = 0;
    this.tls?.close();
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.close();
      this.log.info({ listener: this.spec.name }, 'listener closed');
    }
  }
}
