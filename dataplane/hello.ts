// The HELLO handshake message and its validation: protocol version, a flow-control window and a
// link cost in range, and proof of the claimed site identity — a signature by the site's identity
// key over this TLS session's exported keying material, matching what the certificate says.
import * as P from '../wasm/assembly/protocol.js';
import { baseSiteId, certSiteId, keyOwnsId, verifySignature } from '../common/identity.js';
import { validCost, MIN_COST, MAX_COST, RECORD_LIMITS } from './routing/site-record.js';

export interface PeerHello {
  version: number;
  /** the site id, or `siteId/router` for a router replica of that site */
  siteId: string;
  siteName: string;
  window: number;
  /** link cost chosen by the dialer; the accepting side raises it to its policy's minimum */
  cost: number;
  /** base64 raw Ed25519 identity key of the site; its hash is the site id */
  pub: string;
  /** base64 signature by `pub` over helloProofBytes(siteId, siteName, session binding) */
  proof: string;
  /** the peer takes TRAFFIC frames (issue 12); a peer of an earlier version would drop the link on one */
  traffic?: boolean;
}

/** What a peer must be, known before its HELLO (accepting side: the registry entry of its certificate). */
export interface PeerExpectation {
  siteId?: string;
  siteName?: string;
  /** the lowest cost an inbound link may have here (policy inboundLinkCost) */
  minCost?: number;
}

/** Per-stream receive windows a peer may announce: 1 KiB to 16 MiB. */
export const MIN_WINDOW = 1024;
export const MAX_WINDOW = 16 << 20;

/** The bytes a HELLO proof signs: the claimed identity and the session's keying material. */
export function helloProofBytes(siteId: string, siteName: string, binding: Buffer): Buffer {
  return Buffer.from(`svcnet-hello-v1\n${JSON.stringify([siteId, siteName, binding.toString('hex')])}`);
}

export interface HelloContext {
  /** our own site id: a peer claiming it is refused */
  selfId: string;
  /** this session's exported keying material (both ends derive the same) */
  binding: Buffer;
  /** the peer certificate's subjectAltName string as Node prints it */
  certSan?: string;
  expect: PeerExpectation;
}

export type HelloCheck = { hello: PeerHello } | { code: number; reason: string };

const identity = (reason: string): HelloCheck => ({ code: P.ERR_PEER_IDENTITY, reason });
const bad = (reason: string): HelloCheck => ({ code: P.ERR_BAD_STATE, reason });
const show = (v: unknown): string => JSON.stringify(v)?.slice(0, 80) ?? String(v);

/** Checks a parsed HELLO; the reason names the field and what is wrong with it. */
export function validHello(raw: unknown, c: HelloContext): HelloCheck {
  if (typeof raw !== 'object' || raw === null) return bad('HELLO is not an object');
  const h = raw as Record<string, unknown>;
  if (h.version !== P.PROTOCOL_VERSION) return bad(`unsupported HELLO version ${show(h.version)} (this site speaks ${P.PROTOCOL_VERSION})`);
  if (typeof h.siteId !== 'string' || h.siteId.length > RECORD_LIMITS.idLength || baseSiteId(h.siteId) === null) return identity(`HELLO siteId ${show(h.siteId)} is not a site id`);
  if (typeof h.siteName !== 'string' || h.siteName.length === 0 || h.siteName.length > RECORD_LIMITS.nameLength) return identity(`HELLO siteName ${show(h.siteName)} is not a site name`);
  if (h.siteId === c.selfId) return identity(`HELLO claims this site's own id ${c.selfId}`);
  if (!Number.isInteger(h.window) || (h.window as number) < MIN_WINDOW || (h.window as number) > MAX_WINDOW) {
    return bad(`HELLO window ${show(h.window)} is outside ${MIN_WINDOW}..${MAX_WINDOW} bytes (the per-stream receive window)`);
  }
  if (!validCost(h.cost)) return bad(`HELLO cost ${show(h.cost)} is not an integer ${MIN_COST}..${MAX_COST}`);
  const base = baseSiteId(h.siteId)!;
  if (h.pub === undefined && h.proof === undefined) return identity('HELLO carries no identity proof (is the peer running an earlier svcnet? both sites need identity keys)');
  if (typeof h.pub !== 'string' || typeof h.proof !== 'string' || !keyOwnsId(h.pub, h.siteId)) {
    return identity(`HELLO identity key does not belong to site id ${h.siteId} (the id is the hash of the key)`);
  }
  if (!verifySignature(h.pub, helloProofBytes(h.siteId, h.siteName, c.binding), h.proof)) {
    return identity(`HELLO proof does not verify: the peer does not hold the identity key of site ${h.siteId} for this connection`);
  }
  const san = certSiteId(c.certSan);
  if (san !== undefined && san !== base) return identity(`HELLO claims site id ${h.siteId} but the peer's certificate was issued to site ${san}`);
  const e = c.expect;
  if (e.siteId !== undefined && e.siteId !== base) return identity(`HELLO claims site id ${h.siteId} but this certificate was issued to site ${e.siteName ?? ''} (${e.siteId})`);
  if (e.siteName !== undefined) {
    const suffix = h.siteId.slice(base.length); // "/router" for a router replica
    if (h.siteName !== e.siteName + suffix) return identity(`HELLO claims site name ${show(h.siteName)} but this certificate was issued to site "${e.siteName}${suffix}"`);
  }
  return { hello: { version: h.version, siteId: h.siteId, siteName: h.siteName, window: h.window as number, cost: h.cost, pub: h.pub, proof: h.proof, traffic: h.traffic === true } };
}
