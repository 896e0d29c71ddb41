// Header handling of the HTTP/2 stream balancer (issue 13): what of a stream's header blocks passes
// to the other side. HTTP/2 has no hop-by-hop headers on the wire (RFC 9113 8.2.2: a connection-
// specific field makes the message malformed), so what is dropped is what a peer or an HTTP/1.1
// origin of the value might still carry, and the pseudo-headers that belong to the other direction.
// Pure: plain objects in, plain objects out.
import http2 from 'node:http2';

/** Connection-specific fields (RFC 9113 8.2.2); `te` is kept only as `trailers` (gRPC sends it). */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings']);

/** Request pseudo-headers a proxy passes on (`:protocol`, extended CONNECT, is not enabled here). */
const REQUEST_PSEUDO = new Set([':method', ':scheme', ':authority', ':path']);

type Headers = http2.IncomingHttpHeaders | http2.OutgoingHttpHeaders;

function copy(h: Headers, pseudo: ReadonlySet<string>): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (const name of Object.keys(h)) {
    const v = h[name];
    if (v === undefined) continue;
    if (name.startsWith(':')) { if (pseudo.has(name)) out[name] = v; continue; }
    if (CONNECTION_SPECIFIC.has(name)) continue;
    if (name === 'te' && String(v).trim().toLowerCase() !== 'trailers') continue;
    out[name] = v;
  }
  // Fields the peer asked never to index (HPACK "never indexed") stay so on the next hop.
  const sensitive = (h as Record<symbol, unknown>)[http2.sensitiveHeaders];
  if (Array.isArray(sensitive) && sensitive.length > 0) (out as Record<symbol, unknown>)[http2.sensitiveHeaders] = sensitive;
  return out;
}

/** A client stream's request headers as sent upstream: request pseudo-headers and end-to-end fields. */
export function requestHeaders(h: Headers): http2.OutgoingHttpHeaders { return copy(h, REQUEST_PSEUDO); }

/** An upstream response's (or 1xx's) headers as sent to the client: `:status` and end-to-end fields. */
export function responseHeaders(h: Headers): http2.OutgoingHttpHeaders { return copy(h, new Set([':status'])); }

/** Trailers either way: end-to-end fields only (a trailer block carries no pseudo-header). */
export function trailerHeaders(h: Headers): http2.OutgoingHttpHeaders { return copy(h, new Set()); }

/** The first segment of a `:path` ('' for `/`), at most 64 characters, for the record. */
export function firstSegment(path: unknown): string {
  const p = typeof path === 'string' ? path : '';
  return (p.startsWith('/') ? p.slice(1).split(/[/?#]/, 1)[0] : '').slice(0, 64);
}

/** The grpc-status of a header block (trailers, or a trailers-only answer), if it has one. */
export function grpcStatusOf(h: Headers | undefined): number | undefined {
  const v = h?.['grpc-status'];
  const n = typeof v === 'string' ? Number(v) : undefined;
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}
