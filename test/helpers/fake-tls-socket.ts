// The TLS socket surface a Link uses, with a fixed session binding (exported keying material), for
// unit tests that drive a Link without a network.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';

export class FakeTlsSocket extends EventEmitter {
  readonly binding = randomBytes(32);
  destroyed = false;
  writableLength = 0;
  bytesWritten = 0;
  remoteAddress = '127.0.0.1';
  setNoDelay(): void {}
  cork(): void {}
  uncork(): void {}
  write(): boolean { return true; }
  destroy(): void { this.destroyed = true; }
  end(cb?: () => void): void { cb?.(); }
  exportKeyingMaterial(): Buffer { return this.binding; }
  getPeerCertificate(): object { return {}; }
}
