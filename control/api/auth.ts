// Who may call the API over TCP: TLS verifies the chain against the site CA (without refusing the
// handshake, so a refused caller gets a gRPC status instead of a dropped connection); then only
// API client certificates (subject "admin:NAME", from `svcnet admin issue`) are allowed.
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { ApiError } from './errors.js';
import { ADMIN_CN_PREFIX } from './tokens.js';

/** Server TLS that asks for a client certificate and verifies it, but leaves the verdict to authorize(). */
export class OptionalClientCertCredentials extends grpc.ServerCredentials {
  constructor(key: string, cert: string, ca: string) {
    super({ requestCert: true, rejectUnauthorized: false }, { key, cert, ca });
  }
  override _equals(other: grpc.ServerCredentials): boolean { return other === this; }
}

/** Throws UNAUTHENTICATED or PERMISSION_DENIED unless the caller presented an API client certificate of our CA. */
export function authorize(call: { getAuthContext(): unknown }): string {
  // grpc-js sets sslPeerCertificate only when the socket is `authorized`: the chain verified
  // against our CA and the certificate is within its validity period.
  const cert = (call.getAuthContext() as { sslPeerCertificate?: PeerCertificate } | null)?.sslPeerCertificate;
  if (!cert) throw new ApiError('SVCNET_ERR_UNAUTHENTICATED', 'a client certificate signed by this site\'s CA is required; get one with "svcnet admin issue NAME" on the site');
  const cn = [cert.subject?.CN ?? ''].flat()[0] as string;
  if (!cn.startsWith(ADMIN_CN_PREFIX)) throw new ApiError('SVCNET_ERR_PERMISSION_DENIED', `certificate "${cn}" is not an API client certificate (link certificates cannot use the API); get one with "svcnet admin issue NAME"`);
  return cn.slice(ADMIN_CN_PREFIX.length);
}
