// A listener's port. As in Skupper it is open only while some connector of its routing key is
// reachable, so clients otherwise get a plain "connection refused"; status says why.
import net from 'node:net';
import type { Logger } from 'pino';
import { fdPressure } from '../common/fd-pressure.js';
import type { RoundRobinState } from './routing/key-choice.js';
import type { ListenerSpec } from './port/push.js';

export type { ListenerSpec };


/** The keys of a listener with their weights. */
export function keysOf(spec: ListenerSpec): { key: string; weight: number }[] {
  return spec.keys && spec.keys.length > 0 ? spec.keys : [{ key: spec.routingKey, weight: 1 }];
}

export type ListenerStatus = 'no-route' | 'opening' | 'ready' | 'failed';

export class ListenerPort {
  status: ListenerStatus = 'no-route';
  message = 'no connector for the routing key is reachable';
  flowsOpened = 0;
  flowsActive = 0;
  bytesIn = 0;
  bytesOut = 0;
  private server: net.Server | undefined;
  /** smooth weighted round-robin state for weighted multi-key listeners */
  readonly rr: RoundRobinState = new Map();

  constructor(readonly spec: ListenerSpec, private readonly onClient: (l: ListenerPort, socket: net.Socket) => void, private readonly log: Logger) {}

  /** Opens or closes the port to match whether the key is reachable. */
  setReachable(reachable: boolean): void {
    if (reachable && !this.server) this.open();
    else if (!reachable && this.server) {
      this.close();
      this.status = 'no-route';
      this.message = 'no connector for the routing key is reachable';
    }
  }

  private open(): void {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.onClient(this, socket));
    this.server = server;
    this.status = 'opening';
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (server.listening && fdPressure.report(`listener ${this.spec.name}`, err)) return; // out of fds: that client is dropped, the port stays
      this.status = 'failed';
      this.message = err.code === 'EADDRINUSE'
        ? `port ${this.spec.port} is already in use; choose another port for listener ${this.spec.name}`
        : `cannot listen on ${this.spec.host}:${this.spec.port}: ${err.message}`;
      this.log.error({ listener: this.spec.name, err: err.message }, this.message);
      if (this.server === server) this.server = undefined;
      server.close();
    });
    server.listen(this.spec.port, this.spec.host, () => {
      if (this.server !== server) return;
      this.status = 'ready';
      this.message = `listening on ${this.spec.host}:${this.spec.port}`;
      this.log.info({ listener: this.spec.name, port: this.spec.port }, 'listener open');
    });
  }

  /** Stops accepting; flows already open continue. */
  close(): void {
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.close();
      this.log.info({ listener: this.spec.name }, 'listener closed');
    }
  }
}
