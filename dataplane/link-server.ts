// Accepts inbound links: TLS 1.3, a client certificate signed by this site's CA required and
// verified. Before that, the port is guarded (accept-guard.ts, guarded-listener.ts): unauthenticated
// connections are capped and timed out; refusals are counted by code and logged rate-limited. A
// verified certificate refused here is told why (a GOAWAY with the code) before the socket closes.
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { Dataplane } from './dataplane.js';
import { LinkState, type Link, type PeerExpectation } from './link.js';
import { AcceptGuard, HANDSHAKE_TIMEOUT_MS, rawOf, type AcceptLimits } from '../common/accept-guard.js';
import { GuardedListener } from '../common/guarded-listener.js';
import { LogBudget, clip } from '../common/log-budget.js';
import { fdLimit } from '../common/fd-pressure.js';
import { goAwayFrame, refusalCode } from './link-refusal.js';

import type { TlsMaterial } from './port/push.js';

export type { TlsMaterial };

export interface LinkServerOptions {
  host: string;
  port: number;
  tls: TlsMaterial;
  log: Logger;
  /** extra check on a verified peer certificate (revocation, policy): a refusal by stable code, or null */
  admit?: (cert: tls.PeerCertificate) => { code: string; reason: string } | null;
  /** refusals by stable code, shared with the site's other counters (status, metrics) */
  refused?: Record<string, number>;
  limits?: Partial<AcceptLimits>;
  /** inbound links (in HELLO or ready) one certificate may hold at once */
  linksPerCert?: number;
  /** who an admitted certificate was issued to and the lowest cost allowed: the peer's HELLO must match */
  identify?: (cert: tls.PeerCertificate) => PeerExpectation;
}

/**
 * Unauthenticated connections per source address and in total. The total is also kept under an
 * eighth of the fd limit, so the guarded ports together cannot take the fds live links need.
 */
export function defaultAcceptLimits(): AcceptLimits {
  return { perSource: 16, total: Math.max(16, Math.min(256, Math.floor(fdLimit() / 8))), handshakeMs: HANDSHAKE_TIMEOUT_MS };
}

/** One certificate may hold this many inbound links at once (reconnects overlap a dying link briefly). */
export const LINKS_PER_CERT = 4;
/** A refused socket waits this long for the peer to read our GOAWAY and hang up, then is destroyed. */
export const REFUSAL_GRACE_MS = 1000;
/**
 * Refused sockets that may wait at once. Past it a refusal destroys the socket at once, as before
 * (no reason given): peers with a valid but refused certificate cannot make us hold many fds.
 */
export const MAX_REFUSALS_LINGERING = 32;

export class LinkServer {
  readonly server: tls.Server;
  readonly listener: GuardedListener;
  readonly guard: AcceptGuard;
  /** handshakes refused (TLS failures and certificates refused after it), for status */
  refused = 0;
  private readonly codes: Record<string, number>;
  private readonly budget: LogBudget;
  private lingering = 0;

  constructor(private readonly dp: Dataplane, private readonly opts: LinkServerOptions) {
    this.codes = opts.refused ?? {};
    this.budget = new LogBudget(opts.log);
    const limits = { ...defaultAcceptLimits(), ...opts.limits };
    this.guard = new AcceptGuard('link', limits, this.budget, this.codes);
    this.server = tls.createServer({
      key: opts.tls.key,
      cert: opts.tls.cert,
      ca: opts.tls.ca,
      requestCert: true,
      // Verified in onSecure instead of in the handshake, so a refusal is logged with its reason
      // (CERT_HAS_EXPIRED, another CA, no certificate); nothing is read from such a socket.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
      handshakeTimeout: limits.handshakeMs,
    }, (socket) => this.onSecure(socket));
    this.server.on('tlsClientError', (err, socket) => {
      if (this.guard.closedByDeadline(rawOf(socket))) return; // counted and logged as a handshake timeout
      this.refuse('SVCNET_ERR_HANDSHAKE_FAILED', { remote: socket.remoteAddress, reason: clip(err.message) }, 'link refused: TLS handshake failed (a valid client certificate from this site\'s CA is required)');
    });
    // A link that never finished HELLO was a slot held for nothing: count it like a refusal.
    dp.on('link-down', this.onLinkDown);
    this.listener = new GuardedListener({
      what: 'link', host: opts.host, port: opts.port, guard: this.guard, log: opts.log, budget: this.budget,
      hint: 'pick another with --link-port', onConnection: (raw) => this.server.emit('connection', raw),
    });
  }

  private readonly onLinkDown = (l: Link): void => {
    if (!l.dialer && l.helloTimedOut) this.refuse('SVCNET_ERR_HELLO_TIMEOUT', { remote: l.socket.remoteAddress, peer: clip(l.name) }, 'inbound link closed: no HELLO in time');
  };

  /** Swaps certificate and trusted CAs for new handshakes (rotation); established links are untouched. */
  updateTls(material: TlsMaterial): void {
    this.server.setSecureContext({ key: material.key, cert: material.cert, ca: material.ca });
  }

  private refuse(code: string, fields: object, msg: string): void {
    this.refused++;
    this.codes[code] = (this.codes[code] ?? 0) + 1;
    this.budget.warn(code, { code, ...fields }, msg);
  }

  private onSecure(socket: tls.TLSSocket): void {
    this.guard.handshaken(rawOf(socket));
    socket.on('error', () => {}); // until the link takes it over; a reset here is not a crash
    // A peer controls when its sockets die, and admission reads the disk: nothing here may throw
    // out of the 'secureConnection' handler, which would end the process.
    try {
      this.admitSecure(socket);
    } catch (err) {
      this.refuse('SVCNET_ERR_ADMISSION_FAILED', { remote: socket.remoteAddress, reason: clip((err as Error).message) }, 'link refused: admission failed');
      socket.destroy();
    }
  }

  private admitSecure(socket: tls.TLSSocket): void {
    if (!socket.authorized) {
      this.refuse('SVCNET_ERR_CERT_MISSING', { remote: socket.remoteAddress, subject: clip(String(socket.getPeerCertificate()?.subject?.CN ?? '')), reason: String(socket.authorizationError) }, 'link refused: the client certificate is missing, expired or not from this site\'s CA');
      socket.destroy();
      return;
    }
    const cert = socket.getPeerCertificate();
    if (!cert?.serialNumber) { socket.destroy(); return; } // gone during the handshake callback
    const refusal = this.opts.admit?.(cert) ?? null;
    if (refusal) {
      this.refused++;
      this.budget.warn('admit', { remote: socket.remoteAddress, subject: clip(String(cert.subject?.CN ?? '')), reason: clip(`${refusal.code}: ${refusal.reason}`) }, 'link refused');
      this.tellAndClose(socket, refusalCode(refusal.code), refusal.reason);
      return;
    }
    const max = this.opts.linksPerCert ?? LINKS_PER_CERT;
    if (this.linksOf(cert.serialNumber) >= max) {
      const why = `this certificate already holds ${max} inbound links`;
      this.refuse('SVCNET_ERR_TOO_MANY_LINKS', { remote: socket.remoteAddress, subject: clip(String(cert.subject?.CN ?? '')), serial: cert.serialNumber }, `link refused: ${why}`);
      this.tellAndClose(socket, refusalCode('SVCNET_ERR_TOO_MANY_LINKS'), why);
      return;
    }
    this.dp.attachLink(socket, false, String(cert.subject?.CN ?? 'unknown'), undefined, this.opts.identify?.(cert));
  }

  /**
   * Sends a verified peer the GOAWAY saying why it is refused, then closes: the dialer backs off or,
   * revoked, stops. What the peer sends meanwhile (its HELLO) is read and dropped, since unread data
   * at close would make the kernel answer with a RST that can destroy the GOAWAY before it is read.
   */
  private tellAndClose(socket: tls.TLSSocket, code: number | undefined, reason: string): void {
    if (code === undefined || socket.destroyed || this.lingering >= MAX_REFUSALS_LINGERING) { socket.destroy(); return; }
    this.lingering++;
    const timer = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS);
    timer.unref();
    socket.once('close', () => { this.lingering--; clearTimeout(timer); });
    socket.on('data', () => {});
    socket.end(goAwayFrame(code, reason));
  }

  /** Inbound links, in HELLO or ready, made with the certificate of serial `serial`. */
  private linksOf(serial: string): number {
    let n = 0;
    for (const l of this.dp.links) {
      if (l && !l.dialer && l.state !== LinkState.Closed && l.peerCert?.serialNumber === serial) n++;
    }
    return n;
  }

  /** Starts listening; resolves after the first attempt (a port in use is retried in the background, see status). */
  listen(): Promise<void> { return this.listener.start(); }

  close(): void {
    this.listener.close();
    this.dp.off('link-down', this.onLinkDown);
  }
}
