// Why a site refused a link, on the wire and at the dialer (issue 15): the accepting site sends a
// GOAWAY with a protocol code before it closes, and the dialer turns the GOAWAY it got into a typed
// refusal — revoked (stop redialing until the credentials change) or refused (back off).
import * as P from '../wasm/assembly/protocol.js';
import { clip } from '../common/log-budget.js';
import { protocolErrorName } from './errors.js';

/** Reason text we put in a refusal's GOAWAY, and keep of a peer's: bounded, whoever wrote it. */
export const MAX_REFUSAL_REASON = 200;

/**
 * The GOAWAY code for an admission refusal named `name` (the refusal codes of engine/admission.ts),
 * or undefined: say nothing. A certificate of our CA that no grant here issued
 * (SVCNET_ERR_CERT_UNKNOWN) proves no site we know — a stolen CA key would be needed — so its
 * holder learns nothing and the socket is just closed.
 */
export function refusalCode(name: string): number | undefined {
  switch (name) {
    case 'SVCNET_ERR_CERT_REVOKED': return P.ERR_CERT_REVOKED;
    case 'SVCNET_ERR_POLICY_DENIED': return P.ERR_POLICY_DENIED;
    case 'SVCNET_ERR_TOO_MANY_LINKS': return P.ERR_OVER_BUDGET;
    default: return undefined;
  }
}

/** A whole GOAWAY frame (stream 0), for a socket no Link was made for. */
export function goAwayFrame(code: number, reason: string): Buffer {
  const text = Buffer.from(clip(reason, MAX_REFUSAL_REASON), 'utf8');
  const f = Buffer.alloc(P.HEADER_SIZE + 4 + text.length);
  f.writeUInt32BE(4 + text.length, 0);
  f.writeUInt8(P.FRAME_GOAWAY, 4);
  f.writeUInt32BE(code >>> 0, P.HEADER_SIZE);
  text.copy(f, P.HEADER_SIZE + 4);
  return f;
}

/** A GOAWAY as the dialer's link received it. */
export interface ReceivedGoAway {
  code: number;
  /** the peer's text, clipped */
  reason: string;
  /** the link was ready when it came (a refusal of a live link, or a peer going away) */
  ready: boolean;
}

/** Why the peer refused us, as the dialer keeps and reports it. */
export interface LinkRefusal {
  /** protocol code and its stable name */
  code: number;
  name: string;
  /** the peer's reason (untrusted text, clipped) */
  reason: string;
  /** the refusing site, as its verified server certificate names it */
  by: string;
  /** our certificate is revoked there: do not redial until the credentials change */
  revoked: boolean;
}

/**
 * The refusal a GOAWAY means, or undefined when it is no refusal: a peer that shuts down or deletes
 * the link (ERR_ABORTED, or code 0), or a protocol error on a link that was ready, is redialed as
 * any dropped link. Revocation and policy refuse a live link too; anything else before HELLO made
 * the link ready (identity, too many links, HELLO timeout) is the peer refusing this dial.
 */
export function refusalOf(g: ReceivedGoAway | undefined, by: string): LinkRefusal | undefined {
  if (!g) return undefined;
  const named = g.code === P.ERR_CERT_REVOKED || g.code === P.ERR_POLICY_DENIED;
  if (!named && (g.ready || g.code === P.ERR_ABORTED || g.code === P.ERR_NONE)) return undefined;
  return { code: g.code, name: protocolErrorName(g.code), reason: clip(g.reason, MAX_REFUSAL_REASON), by: clip(by, 64), revoked: g.code === P.ERR_CERT_REVOKED };
}

/** One line for status: `refused: certificate revoked by site X (reason)`. */
export function describeRefusal(r: LinkRefusal): string {
  const what = r.revoked ? `certificate revoked by site ${r.by}`
    : r.code === P.ERR_POLICY_DENIED ? `not allowed by the policy of site ${r.by}`
      : `${r.name} from site ${r.by}`;
  return `refused: ${what}${r.reason ? ` (${r.reason})` : ''}`;
}
