// Accepts inbound links: TLS 1.3, a client certificate signed by this site's CA required and
// verified. Anything else is refused in the handshake and logged.
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { Dataplane } from './dataplane.js';
import type { PeerExpectation } from './link.js';

export interface TlsMaterial {
  key: string;
  cert: string;
  /** CA certificates to trust (several during a CA rotation) */
  ca: string[];
}

export interface LinkServerOptions {
  host: string;
  port: number;
  tls: TlsMaterial;
  log: Logger;
  /** extra check on a verified peer certificate (revocation, policy); a string refuses with that reason */
  admit?: (cert: tls.PeerCertificate) => string | null;
  /** who an admitted certificate was issued to and the lowest cost allowed: the peer's HELLO must match */
  identify?: (cert: tls.PeerCertificate) => PeerExpectation;
}

export class LinkServer {
  readonly server: tls.Server;
  refused = 0;

  constructor(private readonly dp: Dataplane, private readonly opts: LinkServerOptions) {
    this.server = tls.createServer({
      key: opts.tls.key,
      cert: opts.tls.cert,
      ca: opts.tls.ca,
      requestCert: true,
      // Verified in onSecure instead of in the handshake, so a refusal is logged with its reason
      // (CERT_HAS_EXPIRED, another CA, no certificate); nothing is read from such a socket.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
    }, (socket) => this.onSecure(socket));
    this.server.on('tlsClientError', (err, socket) => {
      this.refused++;
      opts.log.warn({ remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: err.message }, 'link refused: TLS handshake failed (a valid client certificate from this site\'s CA is required)');
    });
  }

  /** Swaps certificate and trusted CAs for new handshakes (rotation); established links are untouched. */
  updateTls(material: TlsMaterial): void {
    this.server.setSecureContext({ key: material.key, cert: material.cert, ca: material.ca });
  }

  private onSecure(socket: tls.TLSSocket): void {
    if (!socket.authorized) {
      this.refused++;
      this.opts.log.warn({ remote: `${socket.remoteAddress}:${socket.remotePort}`, subject: socket.getPeerCertificate()?.subject?.CN, reason: String(socket.authorizationError) }, 'link refused: the client certificate is missing, expired or not from this site\'s CA');
      socket.destroy();
      return;
    }
    const cert = socket.getPeerCertificate();
    const refusal = this.opts.admit?.(cert) ?? null;
    if (refusal) {
      this.refused++;
      this.opts.log.warn({ remote: socket.remoteAddress, subject: cert.subject?.CN, reason: refusal }, 'link refused');
      socket.destroy();
      return;
    }
    this.dp.attachLink(socket, false, String(cert.subject?.CN ?? 'unknown'), undefined, this.opts.identify?.(cert));
  }

  /** Starts listening; rejects with a clear error if the port is taken. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(new Error(err.code === 'EADDRINUSE'
        ? `link port ${this.opts.port} is already in use; pick another with --link-port`
        : `cannot listen for links on ${this.opts.host}:${this.opts.port}: ${err.message}`));
      this.server.once('error', onError);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', onError);
        this.opts.log.info({ host: this.opts.host, port: this.opts.port }, 'accepting links');
        resolve();
      });
    });
  }

  close(): void { this.server.close(); }
}
