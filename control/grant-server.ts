// Serves GrantService.Redeem over TLS on the site's grant port.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadSvcnetV1 } from './grpc-proto.js';
import { redeemGrant, GrantError, FailureLimiter } from './grants.js';
import type { SiteStore } from './state/site-store.js';

export interface GrantServerOptions {
  store: SiteStore;
  host: string;
  port: number;
  /** where joiners should link to */
  endpoints: { host: string; port: number }[];
  log: Logger;
  onRedeemed?: (site: string, serial: string) => void;
}

interface RedeemRequest { code: string; csr: string; siteName: string; siteId: string }

export async function startGrantServer(o: GrantServerOptions): Promise<grpc.Server> {
  const v1 = loadSvcnetV1('svcnet/v1/grant.proto');
  const service = (v1.GrantService as grpc.ServiceClientConstructor).service;
  const limiter = new FailureLimiter();
  const server = new grpc.Server();
  const cfg = o.store.readConfig();
  server.addService(service, {
    Redeem(call: grpc.ServerUnaryCall<RedeemRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const addr = call.getPeer().replace(/:\d+$/, '');
      if (limiter.blocked(addr)) {
        o.log.warn({ addr }, 'token redemption refused: too many wrong codes');
        return cb({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'too many wrong codes; wait a minute' });
      }
      try {
        const r = redeemGrant(o.store, { code: call.request.code, csr: call.request.csr, siteName: call.request.siteName });
        o.log.info({ site: call.request.siteName, grant: r.grant, serial: r.serial }, 'token redeemed');
        o.onRedeemed?.(call.request.siteName, r.serial);
        cb(null, { certificate: r.cert, ca: o.store.readCa().cert, endpoints: o.endpoints, siteName: cfg.name, siteId: cfg.id });
      } catch (err) {
        if (!(err instanceof GrantError)) { o.log.error({ err }, 'redeem failed'); return cb({ code: grpc.status.INTERNAL, details: 'internal error' }); }
        if (err.code !== 'SVCNET_ERR_CSR_INVALID') limiter.fail(addr);
        o.log.warn({ addr, code: err.code, site: call.request.siteName }, `token redemption refused: ${err.message}`);
        cb({ code: err.code === 'SVCNET_ERR_CSR_INVALID' ? grpc.status.INVALID_ARGUMENT : grpc.status.UNAUTHENTICATED, details: err.message });
      }
    },
  });
  const tlsPair = o.store.readServerCert();
  const creds = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(tlsPair.key), cert_chain: Buffer.from(tlsPair.cert) }], false);
  await new Promise<void>((resolve, reject) => server.bindAsync(`${o.host}:${o.port}`, creds, (err) => {
    if (err) reject(new Error(`grant port ${o.port} is not available: ${err.message}`));
    else resolve();
  }));
  o.log.info({ port: o.port }, 'grant endpoint ready');
  return server;
}
