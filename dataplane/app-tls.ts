// Application TLS (Skupper's tlsCredentials, issue 15): a listener that terminates TLS for its
// clients, and a connector that originates TLS to its server. Flows carry the plaintext; the sockets
// given to flow setup are TLS sockets whose resetAndDestroy resets the TCP connection underneath
// (Node's own refuses a TLS socket). Handshake failures are counted, kept for status and logged
// rate-limited: a client can trigger them at will.
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { AcceptGuard, HANDSHAKE_TIMEOUT_MS, type AcceptLimits } from '../common/accept-guard.js';
import { LogBudget, clip } from '../common/log-budget.js';
import type { AppTlsSpec } from './port/push.js';

/** Clients of one TLS listener still in their handshake: per address and in total (as the link port). */
export const APP_TLS_LIMITS: AcceptLimits = Object.freeze({ perSource: 64, total: 512, handshakeMs: HANDSHAKE_TIMEOUT_MS });

/** Handshake failures of one listener or connector, for status. */
export class TlsFailures {
  count = 0;
  last = '';
  /** A line for status ('' while none failed). */
  summary(): string { return this.count === 0 ? '' : `${this.count} TLS handshake${this.count === 1 ? '' : 's'} failed, last: ${this.last}`; }
  add(reason: string): void { this.count++; this.last = clip(reason, 160); }
}

/** `s.resetAndDestroy()` resets `raw`, the TCP socket under it (a TLS socket's own throws). */
function resettable<T extends tls.TLSSocket>(s: T, raw: net.Socket): T {
  s.resetAndDestroy = function resetAndDestroy(this: T) {
    if (!raw.destroyed) raw.resetAndDestroy();
    this.destroy();
    return this;
  };
  return s;
}

/** A listener's TLS side: takes each accepted TCP socket, hands on the TLS socket once its handshake is done. */
export class TlsTerminator {
  readonly failures = new TlsFailures();
  /** refusals by code (guard: too many handshakes, deadline) */
  readonly refused: Record<string, number> = {};
  private readonly server: tls.Server;
  private readonly guard: AcceptGuard;
  private readonly budget: LogBudget;

  /** `alpn`: the protocols offered in ALPN (['h2'] for an http2 listener: clients that ask choose HTTP/2, as they would with the server itself). */
  constructor(private readonly listener: string, spec: AppTlsSpec, onSecure: (s: tls.TLSSocket) => void, private readonly onFailure: () => void, log: Logger, limits: AcceptLimits = APP_TLS_LIMITS, alpn?: string[]) {
    this.budget = new LogBudget(log);
    this.guard = new AcceptGuard(`listener ${listener} TLS`, limits, this.budget, this.refused);
    const requireCert = spec.requireClientCert === true;
    // Never listens: accepted sockets are handed to it ('connection'), so the port, its retries and
    // its reachability stay ListenerPort's.
    this.server = tls.createServer({
      key: spec.key, cert: spec.cert, ca: spec.ca, requestCert: requireCert, rejectUnauthorized: requireCert,
      handshakeTimeout: limits.handshakeMs, allowHalfOpen: true,
      ...(alpn ? { ALPNProtocols: alpn } : {}),
    }, (s) => {
      const raw = (s as unknown as { _parent?: net.Socket })._parent;
      this.guard.handshaken(raw);
      onSecure(raw ? resettable(s, raw) : s);
    });
    this.server.on('tlsClientError', (err, s) => {
      const raw = (s as unknown as { _parent?: net.Socket })._parent;
      if (this.guard.closedByDeadline(raw)) return;
      this.fail(s.remoteAddress ?? raw?.remoteAddress ?? 'unknown', err);
      s.destroy();
    });
  }

  /** A client connected: admitted by the guard (else closed), then its handshake starts. */
  accept(raw: net.Socket): void {
    if (!this.guard.admit(raw)) return;
    this.server.emit('connection', raw);
  }

  private fail(remote: string, err: Error): void {
    const reason = err.message.replace(/^Client network socket disconnected.*/, 'the client closed during the handshake');
    this.failures.add(reason);
    this.budget.warn(`listener-tls:${this.listener}`, { listener: this.listener, remote, err: clip(reason) }, 'TLS handshake with a client failed');
    this.onFailure();
  }

  /** Closes the connections still in their handshake. */
  close(): void { this.guard.closeAll(); }
}

/**
 * Opens a TLS connection to a connector's server: trusting `spec.ca` (the system's CAs when absent),
 * presenting `spec.cert` when set, with SNI and, unless verifyHostname is false, the name checked.
 * `onHandshake` is told once: undefined on success, the reason on failure.
 */
export function connectTls(host: string, port: number, spec: AppTlsSpec, onHandshake: (error?: string) => void): tls.TLSSocket {
  const raw = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
  const s = tls.connect({
    socket: raw, host, servername: net.isIP(host) === 0 ? host : undefined,
    ca: spec.ca, key: spec.key, cert: spec.cert,
    checkServerIdentity: spec.verifyHostname === false ? () => undefined : tls.checkServerIdentity,
    allowHalfOpen: true,
  } as tls.ConnectionOptions);
  let told = false;
  s.once('secureConnect', () => { if (!told) { told = true; onHandshake(); } });
  s.once('error', (err: NodeJS.ErrnoException) => {
    // A refused TCP connection is the connector's plain "server refused" case, not a TLS failure.
    if (!told && err.code !== 'ECONNREFUSED') { told = true; onHandshake(err.message); }
  });
  // The raw socket's errors (ECONNREFUSED, resets) reach the TLS socket: it re-emits them.
  raw.on('error', (err) => { if (!s.destroyed) s.destroy(err); });
  return resettable(s, raw);
}
