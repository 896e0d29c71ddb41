// What a listener and flow setup know of a request-balanced listener's balancer (issue 13): the
// HTTP/1.1 one (request-balancer.ts) and the HTTP/2 one (stream-balancer.ts) both are one, so the
// listener holds either without importing the protocol code.
import type net from 'node:net';
import type { HttpRequest } from '../port/report.js';
import type { TargetCounts } from './target-pools.js';

/** Where a client connection's requests are reported (its flow record). */
export interface ClientSink {
  request(q: HttpRequest): void;
  malformed(reason: string): void;
}

/** A listener's balancer: takes its client connections, lists its targets, closes with the site. */
export interface ListenerBalancer {
  /** A new client connection; its requests (or streams) are reported to `sink`. */
  accept(client: net.Socket, sink: ClientSink): void;
  /** Targets by request count, for the listener's status. */
  status(): ({ target: string; site: string; pooled: boolean } & TargetCounts)[];
  /** The site shuts down: client and upstream connections close. */
  close(): void;
}
