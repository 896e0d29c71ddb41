// Serves svcnet.v1.DataplaneDiscovery for `svcnet router` replicas: TLS with a client certificate
// of the site CA whose subject is "router:NAME"; each stream is one node of the publisher.
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { OptionalClientCertCredentials } from '../api/auth.js';
import type { SnapshotPublisher } from './publisher.js';
import { discoveryService, toResponse, fromRequest, type NodeIdentity, type WireRequest, type WireResponse } from './wire.js';
import { RESOURCE_TYPES } from './resource-types.js';

/** Subject prefix of router client certificates (`svcnet router issue NAME`). */
export const ROUTER_CN_PREFIX = 'router:';

export interface RouterServerOptions {
  host: string;
  port: number;
  /** the site's server certificate and CA */
  key: string; cert: string; ca: string;
  publisher: SnapshotPublisher;
  /** the network identity of replica `name` */
  identity(name: string): NodeIdentity;
  log: Logger;
}

/** The replica name of a verified router certificate, or a gRPC error. */
function routerName(call: grpc.ServerDuplexStream<WireRequest, WireResponse>): string | grpc.StatusObject {
  const cert = (call.getAuthContext() as { sslPeerCertificate?: PeerCertificate } | null)?.sslPeerCertificate;
  const fail = (code: grpc.status, details: string) => ({ code, details, metadata: new grpc.Metadata() });
  if (!cert) return fail(grpc.status.UNAUTHENTICATED, 'a router certificate signed by this site\'s CA is required; make one with "svcnet router issue NAME"');
  const cn = [cert.subject?.CN ?? ''].flat()[0] as string;
  if (!cn.startsWith(ROUTER_CN_PREFIX) || cn.length === ROUTER_CN_PREFIX.length) return fail(grpc.status.PERMISSION_DENIED, `certificate "${cn}" is not a router certificate`);
  return cn.slice(ROUTER_CN_PREFIX.length);
}

/** Starts the discovery server; resolves with the bound server (close with forceShutdown). */
export async function startRouterServer(o: RouterServerOptions): Promise<grpc.Server> {
  const server = new grpc.Server({ 'grpc.keepalive_time_ms': 2000, 'grpc.keepalive_timeout_ms': 2000 });
  server.addService(discoveryService(), {
    StreamResources: (call: grpc.ServerDuplexStream<WireRequest, WireResponse>) => {
      const name = routerName(call);
      if (typeof name !== 'string') { call.emit('error', name); return; }
      const node = `${ROUTER_CN_PREFIX}${name}`;
      const id = o.identity(name);
      let detach: (() => void) | undefined;
      call.on('data', (req: WireRequest) => {
        const ack = fromRequest(req);
        if (!ack) { detach ??= o.publisher.attach({ node, types: RESOURCE_TYPES, send: (p) => call.write(toResponse(p, id)) }); return; }
        o.publisher.answer(node, ack);
      });
      const end = () => { detach?.(); detach = undefined; };
      call.on('end', () => { end(); call.end(); });
      call.on('cancelled', end);
      call.on('error', end);
      call.on('close', end);
    },
  });
  await new Promise<number>((resolve, reject) => server.bindAsync(`${o.host}:${o.port}`, new OptionalClientCertCredentials(o.key, o.cert, o.ca), (err, port) => (err ? reject(new Error(`router port ${o.port} is not available: ${err.message}`)) : resolve(port))));
  o.log.info({ port: o.port }, 'serving data-plane pushes to routers');
  return server;
}
