// Serves GrantService (Redeem, Renew) over TLS on the site's grant port. A client certificate is
// requested but optional: Redeem callers have none yet, Renew callers authenticate with theirs.
// TLS is ours, not gRPC's, so the port gets the same guard as the link port (caps, handshake
// deadline, fd-exhaustion pauses, bind retries); finished connections are injected into gRPC.
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadSvcnetV1 } from './grpc-proto.js';
import { redeemGrant, renewCertificate, GrantError, FailureLimiter, CodeIndex, type GrantErrorCode } from './grants.js';
import type { SiteStore } from './state/site-store.js';
import { TlsProvider, serverTls } from './pki/trust.js';
import type { TlsMaterial } from '../dataplane/link-server.js';
import { AcceptGuard, HANDSHAKE_TIMEOUT_MS, rawOf, type AcceptLimits } from '../common/accept-guard.js';
import { GuardedListener } from '../common/guarded-listener.js';
import { LogBudget, clip } from '../common/log-budget.js';
import { fdLimit } from '../common/fd-pressure.js';

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
  /** a Redeem or Renew wrote pki/issued.json (and the grant): the running site re-reads its PKI state */
  onIssued?: () => void;
  limits?: Partial<AcceptLimits>;
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

/**
 * Connections open on the grant port per source address and in total (handshake or not: a finished
 * handshake proves nothing here, redeemers have no certificate), and the handshake deadline.
 */
export const GRANT_LIMITS: AcceptLimits = { perSource: 8, total: Math.max(8, Math.min(64, Math.floor(fdLimit() / 8))), handshakeMs: HANDSHAKE_TIMEOUT_MS, holdAfterHandshake: true };
/** An idle grant connection is closed after this; any connection after GRANT_MAX_AGE_MS. Calls are one-shot. */
export const GRANT_IDLE_MS = 15_000;
export const GRANT_MAX_AGE_MS = 120_000;

/** The running grant endpoint: gRPC behind a guarded port (listener.state says whether it listens). */
export interface GrantEndpoint { server: grpc.Server; listener: GuardedListener; close(): void }

/** Builds the grant server and binds its port; resolves after the first bind attempt (a held port is retried, see listener). */
export async function startGrantServer(o: GrantServerOptions): Promise<GrantEndpoint> {
  const v1 = loadSvcnetV1('svcnet/v1/grant.proto');
  const service = (v1.GrantService as grpc.ServiceClientConstructor).service;
  const limiter = new FailureLimiter();
  const codes = new CodeIndex(o.store);
  const refused = o.refused ?? {};
  const budget = new LogBudget(o.log);
  const server = new grpc.Server({ 'grpc.max_connection_idle_ms': GRANT_IDLE_MS, 'grpc.max_connection_age_ms': GRANT_MAX_AGE_MS, 'grpc.max_connection_age_grace_ms': 5000 });
  const cfg = o.store.readConfig();
  const refuse = (cb: grpc.sendUnaryData<unknown>, what: string, err: unknown, ctx: object): void => {
    if (!(err instanceof GrantError)) { o.log.error({ err, ...ctx }, `${what} failed`); cb({ code: grpc.status.INTERNAL, details: 'internal error' }); return; }
    refused[err.code] = (refused[err.code] ?? 0) + 1;
    budget.warn(`${what}:${err.code}`, { ...ctx, code: err.code }, `${what} refused: ${err.message}`);
    cb({ code: STATUS[err.code], details: `${err.code}: ${err.message}` });
  };
  server.addService(service, {
    async Redeem(call: grpc.ServerUnaryCall<RedeemRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const addr = call.getPeer().replace(/:\d+$/, '');
      const ctx = { addr, site: call.request.siteName };
      // Over the limit, only a code that matches a live grant goes on (checked in memory, no lock,
      // no disk): a flood of wrong codes from an address shared with honest joiners cannot lock them out.
      if (limiter.blocked(addr) && !codes.knows(call.request.code)) {
        refused.SVCNET_ERR_RATE_LIMITED = (refused.SVCNET_ERR_RATE_LIMITED ?? 0) + 1;
        budget.warn('rate-limited', { ...ctx, code: 'SVCNET_ERR_RATE_LIMITED' }, 'token redemption refused: too many wrong codes from this address');
        return cb({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'SVCNET_ERR_RATE_LIMITED: too many wrong codes; wait a minute' });
      }
      try {
        // Expiry is judged when the request arrived, not after it waited for the state lock.
        const arrived = Date.now();
        const r = await o.store.exclusive(() => redeemGrant(o.store, { code: call.request.code, csr: call.request.csr, siteName: call.request.siteName, siteId: call.request.siteId, identityKey: call.request.identityKey, proof: call.request.proof }, arrived));
        o.log.info({ ...ctx, grant: r.grant, serial: r.serial }, 'token redeemed');
        o.onIssued?.();
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
        o.onIssued?.();
        cb(null, { certificate: r.cert, ca: o.store.readCa().cert });
      } catch (err) {
        refuse(cb, 'certificate renewal', err, ctx);
      }
    },
  });
  return listenGrants(server, o, budget);
}

/** The grant port: a guarded listener and our own TLS server feeding gRPC (see the file header). */
async function listenGrants(server: grpc.Server, o: GrantServerOptions, budget: LogBudget): Promise<GrantEndpoint> {
  const provider = o.tls ?? new TlsProvider(serverTls(o.store));
  const guard = new AcceptGuard('grant', { ...GRANT_LIMITS, ...o.limits }, budget, o.refused ?? {});
  const secure = tls.createServer({ ...contextOf(provider.current()), requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['h2'], handshakeTimeout: GRANT_LIMITS.handshakeMs });
  // Re-keyed on rotation and renewal through the same provider gRPC would have used.
  provider.addIdentityCertificateListener(() => secure.setSecureContext(contextOf(provider.current())));
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  secure.on('secureConnection', (socket: tls.TLSSocket) => {
    guard.handshaken(rawOf(socket));
    socket.on('error', () => {});
    injector.injectConnection(socket);
  });
  secure.on('tlsClientError', (err, socket) => {
    if (guard.closedByDeadline(rawOf(socket))) return;
    budget.warn('grant:handshake', { remote: socket.remoteAddress, reason: clip(err.message) }, 'grant connection refused: TLS handshake failed');
  });
  const listener = new GuardedListener({ what: 'grant', host: o.host, port: o.port, guard, log: o.log, budget, hint: 'pick another with --grant-port', onConnection: (raw) => secure.emit('connection', raw) });
  await listener.start();
  return { server, listener, close: () => { listener.close(); injector.destroy(); server.forceShutdown(); } };
}

const contextOf = (m: TlsMaterial): tls.SecureContextOptions => ({ key: m.key, cert: m.cert, ca: m.ca });
