// Serves GrantService (Redeem, Renew) over TLS on the site's grant port. A client certificate is
// requested but optional: Redeem callers have none yet, Renew callers authenticate with theirs.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadSvcnetV1 } from './grpc-proto.js';
import { redeemGrant, renewCertificate, GrantError, FailureLimiter, type GrantErrorCode } from './grants.js';
import type { SiteStore } from './state/site-store.js';
import { TlsProvider, serverTls } from './pki/trust.js';

export interface GrantServerOptions {
  store: SiteStore;
  host: string;
  port: number;
  /** where joiners should link to */
  endpoints: { host: string; port: number }[];
  log: Logger;
  /** certificate and trusted CAs; updated in place on rotation (default: read once from the store) */
  tls?: TlsProvider;
  /** refusals by reason code, for status (shared with the site's PKI counters) */
  refused?: Record<string, number>;
  onRedeemed?: (site: string, serial: string) => void;
}

type RedeemRequest = import('./grants.js').RedeemRequest;
interface RenewRequest { csr: string }

const STATUS: Record<GrantErrorCode, grpc.status> = {
  SVCNET_ERR_TOKEN_INVALID: grpc.status.UNAUTHENTICATED,
  SVCNET_ERR_TOKEN_EXPIRED: grpc.status.UNAUTHENTICATED,
  SVCNET_ERR_TOKEN_USED: grpc.status.UNAUTHENTICATED,
  SVCNET_ERR_CSR_INVALID: grpc.status.INVALID_ARGUMENT,
  SVCNET_ERR_IMPERSONATION: grpc.status.PERMISSION_DENIED,
  SVCNET_ERR_POLICY_DENIED: grpc.status.PERMISSION_DENIED,
  SVCNET_ERR_CERT_UNKNOWN: grpc.status.UNAUTHENTICATED,
  SVCNET_ERR_CERT_REVOKED: grpc.status.UNAUTHENTICATED,
  SVCNET_ERR_CERT_EXPIRED: grpc.status.UNAUTHENTICATED,
};

/** Codes that count against the caller's address in the rate limiter (guessing, replaying). */
const COUNTS_AS_GUESS = new Set<GrantErrorCode>(['SVCNET_ERR_TOKEN_INVALID', 'SVCNET_ERR_TOKEN_EXPIRED', 'SVCNET_ERR_TOKEN_USED']);

/** Builds and binds the grant server; resolves once it listens. */
export async function startGrantServer(o: GrantServerOptions): Promise<grpc.Server> {
  const v1 = loadSvcnetV1('svcnet/v1/grant.proto');
  const service = (v1.GrantService as grpc.ServiceClientConstructor).service;
  const limiter = new FailureLimiter();
  const refused = o.refused ?? {};
  const server = new grpc.Server();
  const cfg = o.store.readConfig();
  const refuse = (cb: grpc.sendUnaryData<unknown>, what: string, err: unknown, ctx: object): void => {
    if (!(err instanceof GrantError)) { o.log.error({ err, ...ctx }, `${what} failed`); cb({ code: grpc.status.INTERNAL, details: 'internal error' }); return; }
    refused[err.code] = (refused[err.code] ?? 0) + 1;
    o.log.warn({ ...ctx, code: err.code }, `${what} refused: ${err.message}`);
    cb({ code: STATUS[err.code], details: `${err.code}: ${err.message}` });
  };
  server.addService(service, {
    async Redeem(call: grpc.ServerUnaryCall<RedeemRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const addr = call.getPeer().replace(/:\d+$/, '');
      const ctx = { addr, site: call.request.siteName };
      if (limiter.blocked(addr)) {
        refused.SVCNET_ERR_RATE_LIMITED = (refused.SVCNET_ERR_RATE_LIMITED ?? 0) + 1;
        o.log.warn(ctx, 'token redemption refused: too many wrong codes from this address');
        return cb({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'SVCNET_ERR_RATE_LIMITED: too many wrong codes; wait a minute' });
      }
      try {
        // Expiry is judged when the request arrived, not after it waited for the state lock.
        const arrived = Date.now();
        const r = await o.store.exclusive(() => redeemGrant(o.store, { code: call.request.code, csr: call.request.csr, siteName: call.request.siteName, siteId: call.request.siteId, identityKey: call.request.identityKey, proof: call.request.proof }, arrived));
        o.log.info({ ...ctx, grant: r.grant, serial: r.serial }, 'token redeemed');
        o.onRedeemed?.(call.request.siteName, r.serial);
        cb(null, { certificate: r.cert, ca: o.store.readCa().cert, endpoints: o.endpoints, siteName: cfg.name, siteId: cfg.id, grant: r.grant });
      } catch (err) {
        if (err instanceof GrantError && COUNTS_AS_GUESS.has(err.code)) limiter.fail(addr);
        refuse(cb, 'token redemption', err, ctx);
      }
    },
    async Renew(call: grpc.ServerUnaryCall<RenewRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const addr = call.getPeer().replace(/:\d+$/, '');
      const peer = call.getAuthContext()?.sslPeerCertificate;
      if (!peer) {
        refused.SVCNET_ERR_CERT_MISSING = (refused.SVCNET_ERR_CERT_MISSING ?? 0) + 1;
        o.log.warn({ addr }, 'certificate renewal refused: no valid client certificate (none, expired, or from another CA)');
        return cb({ code: grpc.status.UNAUTHENTICATED, details: 'SVCNET_ERR_CERT_MISSING: renewal needs the current link certificate, unexpired and signed by this site\'s CA' });
      }
      const current = { serial: peer.serialNumber, commonName: String(peer.subject?.CN ?? ''), notAfter: new Date(peer.valid_to) };
      const ctx = { addr, site: current.commonName, serial: current.serial.toLowerCase() };
      try {
        const arrived = Date.now(); // the certificate TLS verified was valid then; waiting for the lock does not expire it
        const r = await o.store.exclusive(() => renewCertificate(o.store, current, call.request.csr, arrived));
        o.log.info({ ...ctx, newSerial: r.serial, grant: r.entry.grant, notAfter: r.entry.notAfter }, 'link certificate renewed');
        cb(null, { certificate: r.cert, ca: o.store.readCa().cert });
      } catch (err) {
        refuse(cb, 'certificate renewal', err, ctx);
      }
    },
  });
  const tls = o.tls ?? new TlsProvider(serverTls(o.store));
  const creds = grpc.experimental.createCertificateProviderServerCredentials(tls, tls, false);
  await new Promise<void>((resolve, reject) => server.bindAsync(`${o.host}:${o.port}`, creds, (err) => {
    if (err) reject(new Error(`grant port ${o.port} is not available: ${err.message}`));
    else resolve();
  }));
  o.log.info({ port: o.port }, 'grant endpoint ready');
  return server;
}
