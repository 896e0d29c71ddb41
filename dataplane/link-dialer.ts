// Keeps one outbound link up: dials over TLS 1.3 with our client certificate, verifies the peer
// against the CA we got when joining, and redials with capped exponential backoff and jitter.
import tls from 'node:tls';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Dataplane } from './dataplane.js';
import type { TlsMaterial } from './link-server.js';
import { LinkState, type Link } from './link.js';
import { connectViaProxy, parseProxy } from './http-connect.js';
import { fdPressure } from '../common/fd-pressure.js';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay } from '../common/backoff.js';

export interface LinkTarget {
  name: string;
  host: string;
  port: number;
  cost: number;
  tls: TlsMaterial;
  /** HTTP CONNECT proxy to tunnel through (http://host:port) */
  proxy?: string;
}

export { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay };

export class LinkDialer {
  status: 'connecting' | 'ready' | 'retrying' | 'stopped' = 'connecting';
  message = 'connecting';
  link: Link | undefined;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private socket: tls.TLSSocket | undefined;
  private stopped = false;

  constructor(private readonly dp: Dataplane, public target: LinkTarget, private readonly log: Logger) {}

  /** New credentials (renewal, CA rotation) are used from the next dial on; the live link is kept. */
  updateTls(tls: TlsMaterial): void {
    this.target = { ...this.target, tls };
  }

  start(): void { this.dial(); }

  private dial(): void {
    if (this.stopped) return;
    const t = this.target;
    this.status = this.failures === 0 ? 'connecting' : 'retrying';
    if (!t.proxy) return this.handshake();
    connectViaProxy(parseProxy(t.proxy), t.host, t.port).then(
      (tunnel) => (this.stopped ? tunnel.destroy() : this.handshake(tunnel)),
      (err: Error) => {
        this.message = err.message;
        this.log.warn({ link: t.name, err: err.message }, 'link connect through proxy failed');
        this.retryLater();
      },
    );
  }

  /** TLS over a fresh TCP connection, or over a proxy tunnel. */
  private handshake(tunnel?: net.Socket): void {
    const t = this.target;
    const socket = tls.connect({
      socket: tunnel,
      host: t.host,
      port: t.port,
      key: t.tls.key,
      cert: t.tls.cert,
      ca: t.tls.ca,
      servername: net.isIP(t.host) ? undefined : t.host,
      minVersion: 'TLSv1.3',
    });
    this.socket = socket;
    let link: Link | undefined;
    socket.once('secureConnect', () => {
      link = this.dp.attachLink(socket, true, t.name, t.cost);
      this.link = link;
      if (!link) return;
      this.dp.once('link-up', (l: Link) => { if (l === link) { this.failures = 0; this.status = 'ready'; this.message = `linked to ${l.peer!.siteName}`; } });
    });
    socket.on('error', (err) => {
      fdPressure.report(`link ${t.name}`, err);
      this.message = `${t.host}:${t.port}: ${err.message}`;
      if (!link) this.log.warn({ link: t.name, err: err.message }, 'link connect failed');
    });
    socket.once('close', () => {
      this.link = undefined;
      if (this.stopped) return;
      if (link && link.state !== LinkState.Closed) link.fail('socket closed');
      this.retryLater();
    });
  }

  private retryLater(): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.failures++);
    this.status = 'retrying';
    this.log.info({ link: this.target.name, delayMs: delay, attempt: this.failures }, 'link redial scheduled');
    this.timer = setTimeout(() => this.dial(), delay);
  }

  stop(): void {
    this.stopped = true;
    this.status = 'stopped';
    clearTimeout(this.timer);
    if (this.link) this.link.goAway(0, 'link deleted');
    else this.socket?.destroy();
  }
}
