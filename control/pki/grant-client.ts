// The client side of GrantService (Redeem when joining, Renew before a link certificate expires):
// one call over TLS that verifies the grant endpoint against the CA we were given, with errors that
// say whether the endpoint was unreachable, impostor, or refused us.
import * as grpc from '@grpc/grpc-js';
import { loadSvcnetV1 } from '../grpc-proto.js';
import { transportReason, tlsReason } from '../api/transport-error.js';

export interface GrantClientTls {
  /** CA certificates the endpoint must chain to (the token's, or the link's) */
  ca: string;
  /** our link certificate and key, for Renew */
  key?: string;
  cert?: string;
}

/** A failed call: `kind` tells the caller what to do about it. */
export class GrantCallError extends Error {
  constructor(readonly kind: 'unreachable' | 'untrusted' | 'refused', message: string, readonly grpcCode?: number) { super(message); }
}

const UNTRUSTED = /certificate|self[- ]signed|verify|issuer|altname|handshake/i;

/** Calls GrantService/`method` at `url` (host:port); `who` names the other site in messages. */
export function callGrantService<Res>(url: string, tls: GrantClientTls, method: 'Redeem' | 'Renew', req: object, o: { timeoutMs?: number; who?: string } = {}): Promise<Res> {
  const v1 = loadSvcnetV1('svcnet/v1/grant.proto');
  const Client = v1.GrantService as grpc.ServiceClientConstructor;
  const creds = grpc.credentials.createSsl(Buffer.from(tls.ca), tls.key ? Buffer.from(tls.key) : null, tls.cert ? Buffer.from(tls.cert) : null);
  const client = new Client(url, creds);
  const deadline = new Date(Date.now() + (o.timeoutMs ?? 10_000));
  const who = o.who ? `site ${o.who}` : url;
  return new Promise<Res>((resolve, reject) => {
    client[method](req, { deadline }, (err: grpc.ServiceError | null, r: Res) => {
      client.close();
      if (!err) return resolve(r);
      if (err.code === grpc.status.UNAVAILABLE && UNTRUSTED.test(err.details)) {
        reject(new GrantCallError('untrusted', `the grant endpoint ${url} presented a certificate not signed by the CA we trust for ${who} (${tlsReason(err.details)}); it may be a man in the middle, so nothing was sent`, err.code));
      } else if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
        reject(new GrantCallError('unreachable', `cannot reach the grant endpoint of ${who}: ${transportReason(err, url, o.timeoutMs ?? 10_000)}; is that site running?`, err.code));
      } else {
        reject(new GrantCallError('refused', `${method === 'Redeem' ? 'token' : 'renewal'} refused by ${who}: ${err.details}`, err.code));
      }
    });
  });
}
