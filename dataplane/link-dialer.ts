// Keeps one outbound link up: dials over TLS 1.3 with our client certificate, verifies the peer
// against the CA we got when joining, and redials with capped exponential backoff and jitter — longer
// when the peer refused us, and not at all once it revoked our certificate (redial.ts).
import tls from 'node:tls';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Dataplane } from './dataplane.js';
import type { TlsMaterial } from './link-server.js';
import { LinkState, type Link } from './link.js';
import { connectViaProxy, parseProxy } from './http-connect.js';
import { fdPressure } from '../common/fd-pressure.js';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay } from '../common/backoff.js';
import { LogBudget } from '../common/log-budget.js';
import { Redial, DialState, type Clock } from './redial.js';
import { refusalOf, describeRefusal, type LinkRefusal } from './link-refusal.js';
import type { LinkRefusalStatus } from './port/report.js';

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
  /** connecting, ready, retrying, refused, revoked, stopped: see redial.ts */
  get status(): DialState { return this.shown; }
  /** what status shows with the state: the peer when linked, else the last error or refusal */
  get message(): string {
    const l = this.link;
    return l?.state === LinkState.Ready && l.peer ? `linked to ${l.peer.siteName}` : this.detail;
  }
  private detail = 'connecting';
  link: Link | undefined;
  /** when it is next redialed (refused, retrying), or not while held by a revocation */
  get refusal(): LinkRefusalStatus | undefined {
    const r = this.redial.refusal;
    if (!r) return undefined;
    const retryAt = this.redial.retryAt;
    return { code: r.name, reason: r.reason, by: r.by, at: this.refusedAt, redial: r.revoked ? 'held' : 'backoff', ...(retryAt ? { retryAt: new Date(retryAt).toISOString() } : {}) };
  }
  private readonly redial: Redial;
  private socket: tls.TLSSocket | undefined;
  private stopped = false;
  /** what status shows: while a redial is under way, the state that led to it */
  private shown = DialState.Connecting;
  private refusedAt = '';
  private readonly warnings: LogBudget;

  constructor(private readonly dp: Dataplane, public target: LinkTarget, private readonly log: Logger, clock?: Clock) {
    this.redial = new Redial(() => this.dial(), log, clock);
    this.warnings = new LogBudget(log);
  }

  /**
   * New credentials (renewal, CA rotation, a new link secret) are used from the next dial on; the
   * live link is kept. A dialer refused by the peer dials again at once, and one whose certificate
   * was revoked only when the certificate itself changed.
   */
  updateTls(tls: TlsMaterial): void {
    const newCertificate = tls.cert !== this.target.tls.cert || tls.key !== this.target.tls.key;
    this.target = { ...this.target, tls };
    if (this.redial.credentialsChanged(newCertificate)) this.log.info({ link: this.target.name }, 'link credentials changed; dialing again');
  }

  start(): void { this.redial.start(); }

  private dial(): void {
    if (this.stopped) return;
    const t = this.target;
    if (!t.proxy) return this.handshake();
    connectViaProxy(parseProxy(t.proxy), t.host, t.port).then(
      (tunnel) => (this.stopped ? tunnel.destroy() : this.handshake(tunnel)),
      (err: Error) => {
        this.detail = err.message;
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
    /** the peer as its verified server certificate names it: who refused us, if it does */
    let peerName = t.host;
    const onUp = (l: Link): void => {
      if (l !== link) return;
      this.dp.off('link-up', onUp);
      this.redial.linked();
      this.shown = DialState.Ready;
    };
    socket.once('secureConnect', () => {
      peerName = String(socket.getPeerCertificate()?.subject?.CN || t.host);
      link = this.dp.attachLink(socket, true, t.name, t.cost);
      this.link = link;
      if (link) this.dp.on('link-up', onUp);
    });
    let lastError = '';
    socket.on('error', (err) => {
      fdPressure.report(`link ${t.name}`, err);
      lastError = err.message;
      if (!link) this.log.warn({ link: t.name, err: err.message }, 'link connect failed');
    });
    socket.once('close', () => {
      this.dp.off('link-up', onUp);
      this.link = undefined;
      if (this.stopped) return;
      if (link && link.state !== LinkState.Closed) link.fail('socket closed');
      const refusal = refusalOf(link?.peerGoAway, link?.peer?.siteName ?? peerName);
      if (refusal) return this.refusedBy(refusal);
      // Never leave "linked to X" standing once the link is gone.
      this.detail = lastError ? `${t.host}:${t.port}: ${lastError}` : link?.peer ? `link to ${link.peer.siteName} lost` : `${t.host}:${t.port}: connection closed`;
      this.retryLater();
    });
  }

  /** The peer said why it refused us: shown in status, logged at a bounded rate, then backoff or hold. */
  private refusedBy(r: LinkRefusal): void {
    this.refusedAt = new Date().toISOString();
    const delay = this.redial.refused(r);
    this.shown = this.redial.state;
    const next = r.revoked ? 'not redialing until this link\'s credentials change (redeem a new token or apply a new link)' : `redial in ${Math.ceil(delay / 1000)} s`;
    this.detail = `${describeRefusal(r)}; ${next}`;
    this.warnings.warn(`refused:${r.name}`, { link: this.target.name, peer: r.by, code: r.name, reason: r.reason, delayMs: Number.isFinite(delay) ? delay : undefined }, `link refused by the peer; ${next}`);
  }

  private retryLater(): void {
    if (this.stopped) return;
    const delay = this.redial.failed();
    this.shown = DialState.Retrying;
    this.log.info({ link: this.target.name, delayMs: delay, state: this.shown }, 'link redial scheduled');
  }

  stop(): void {
    this.stopped = true;
    this.redial.stop();
    this.shown = DialState.Stopped;
    if (this.link) this.link.goAway(0, 'link deleted');
    else this.socket?.destroy();
  }
}
