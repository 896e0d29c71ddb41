// The wire form of a traffic summary (TRAFFIC frame, issue 12): 64 bytes of Ed25519 signature by
// the origin's identity key, then compact JSON with positional rows, raw-deflated (a third of the
// size: bench/analysis/summaries.md). Relays forward the payload bytes as they came, so what is
// signed is those bytes: no canonical form to agree on. Pure.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { FlowRole } from '../port/report.js';
import type { HttpStatusClass, TrafficEndpointRow, TrafficHttpRow, TrafficKeyRow, TrafficLinkRow, TrafficSummary } from '../port/traffic.js';

/** A TRAFFIC payload larger than this is dropped unread; our own summaries stay under it (omitting quiet rows). */
export const MAX_TRAFFIC_BYTES = 32 * 1024;
/** A body inflating past this is refused (inflation stops there: no deflate bomb). */
export const MAX_BODY_BYTES = 256 * 1024;
/** Bounds on what one summary may carry (a peer cannot make us hold more). */
export const TRAFFIC_LIMITS = Object.freeze({ idLength: 100, nameLength: 128, keyLength: 253, keys: 1024, links: 64 });
const SIG_BYTES = 64;
/** The signature covers this tag and the body, so no other signed message of the site can pass for a summary. */
const DOMAIN = Buffer.from('svcnet-traffic-v1\n');
const ROLES: ReadonlySet<string> = new Set<FlowRole>(['listener', 'connector', 'relay', 'local']);
/** The order of the counts in an `http` row. */
const CLASSES: readonly HttpStatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx', 'none'];

/** A summary read off the wire: the claimed origin's key, the signature, and what it covers. */
export interface WireSummary {
  summary: TrafficSummary;
  /** base64 raw Ed25519 public key the origin claims (its hash must be the origin's site id) */
  pub: string;
  sig: Buffer;
  /** the bytes the signature covers */
  signed: Buffer;
}

const round = (v: number, d = 1): number => Math.round(v * d) / d;

/**
 * The body of a summary as JSON text with positional rows (rates to whole bytes/s, latency to 0.1 ms).
 * HTTP requests by status class ride in their own field, `http` (rows `[key, 1xx, 2xx, 3xx, 4xx, 5xx,
 * none]`), present only when some were observed: a site from before it reads `v: 1` bodies and skips
 * fields it does not know, so both can read each other's summaries. Listener and connector readiness
 * rides the same way, in `ends` (rows `[key, listeners ready, listeners, connectors ready, connectors]`),
 * present when the site has any.
 */
export function summaryBody(s: TrafficSummary, pub: string): string {
  const keys = s.keys.map((r) => [r.key, r.role, r.peerSite, r.opened, r.active, r.failed, r.bytesToServer, r.bytesToClient,
    round(r.rateToServer), round(r.rateToClient), round(r.ttfbP50Ms, 10), round(r.ttfbP99Ms, 10)]);
  const links = s.links.map((l) => [l.name, l.direction === 'outbound' ? 'o' : 'i', l.peer, l.up ? 1 : 0, l.bytesIn, l.bytesOut, round(l.rateIn), round(l.rateOut)]);
  const http = s.http?.length ? { http: s.http.map((h) => [h.key, ...CLASSES.map((c) => h.requests[c])]) } : {};
  const ends = s.ends?.length ? { ends: s.ends.map((e) => [e.key, e.listenersReady, e.listeners, e.connectorsReady, e.connectors]) } : {};
  return JSON.stringify({ v: 1, id: s.origin, name: s.name, seq: s.seq, every: s.intervalMs, pub, keys, links, omit: s.omitted, ...http, ...ends });
}

/** Our own payloads stay this far under the receivers' bounds. */
const OWN_MARGIN = 1024;

/** The TRAFFIC payload of a body: signature, then the deflated body; `sign` returns a base64 Ed25519 signature (SiteIdentity.sign). */
export function sealBody(body: string, sign: (data: Buffer) => string): Buffer {
  const packed = deflateRawSync(Buffer.from(body, 'utf8'));
  const sig = Buffer.from(sign(Buffer.concat([DOMAIN, packed])), 'base64');
  return Buffer.concat([sig, packed]);
}

/**
 * Our own summary's payload, within the bounds: with too many rows for them, the quietest key rows
 * (rows come busiest first) are left out and counted in `omitted`; readiness rows (`ends`) go last,
 * once no key row is left (not counted: a site with that many keys is far past what we measured).
 * Changes `s` to what was encoded.
 */
export function encodeSummary(s: TrafficSummary, pub: string, sign: (data: Buffer) => string): Buffer {
  for (;;) {
    const body = summaryBody(s, pub);
    const payload = Buffer.byteLength(body) <= MAX_BODY_BYTES - OWN_MARGIN ? sealBody(body, sign) : undefined;
    if ((payload && payload.length <= MAX_TRAFFIC_BYTES - OWN_MARGIN) || (s.keys.length === 0 && !s.ends?.length)) return payload ?? sealBody(body, sign);
    if (s.keys.length === 0) { s.ends = s.ends!.slice(0, Math.floor(s.ends!.length * 0.8)); continue; }
    const keep = Math.floor(s.keys.length * 0.8);
    s.omitted += s.keys.length - keep;
    s.keys = s.keys.slice(0, keep);
    // HTTP counts go with their keys (those left have rows; the rest go too when no key row is left).
    if (s.http) s.http = s.keys.length ? s.http.filter((h) => s.keys.some((k) => k.key === h.key)) : [];
  }
}

const str = (v: unknown, max: number, empty = false): v is string => typeof v === 'string' && (empty || v.length > 0) && v.length <= max;
const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const amount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const latency = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= -1;

function keyRow(r: unknown): TrafficKeyRow | null {
  if (!Array.isArray(r) || r.length !== 12) return null;
  const [key, role, peerSite, opened, active, failed, bToS, bToC, rToS, rToC, p50, p99] = r;
  const L = TRAFFIC_LIMITS;
  if (!str(key, L.keyLength) || typeof role !== 'string' || !ROLES.has(role) || !str(peerSite, L.nameLength, true)) return null;
  if (![opened, active, failed, bToS, bToC].every(count) || !amount(rToS) || !amount(rToC) || !latency(p50) || !latency(p99)) return null;
  return { key, role: role as FlowRole, peerSite, opened, active, failed, bytesToServer: bToS, bytesToClient: bToC, rateToServer: rToS, rateToClient: rToC, ttfbP50Ms: p50, ttfbP99Ms: p99 };
}

function linkRow(r: unknown): TrafficLinkRow | null {
  if (!Array.isArray(r) || r.length !== 8) return null;
  const [name, dir, peer, up, bIn, bOut, rIn, rOut] = r;
  const L = TRAFFIC_LIMITS;
  if (!str(name, L.nameLength) || (dir !== 'o' && dir !== 'i') || !str(peer, L.nameLength, true) || (up !== 0 && up !== 1)) return null;
  if (!count(bIn) || !count(bOut) || !amount(rIn) || !amount(rOut)) return null;
  return { name, direction: dir === 'o' ? 'outbound' : 'inbound', peer, up: up === 1, bytesIn: bIn, bytesOut: bOut, rateIn: rIn, rateOut: rOut };
}

function httpRow(r: unknown): TrafficHttpRow | null {
  if (!Array.isArray(r) || r.length !== 1 + CLASSES.length || !str(r[0], TRAFFIC_LIMITS.keyLength)) return null;
  const counts = r.slice(1);
  if (!counts.every(count)) return null;
  return { key: r[0], requests: Object.fromEntries(CLASSES.map((c, i) => [c, counts[i]])) as Record<HttpStatusClass, number> };
}

function endRow(r: unknown): TrafficEndpointRow | null {
  if (!Array.isArray(r) || r.length !== 5 || !str(r[0], TRAFFIC_LIMITS.keyLength)) return null;
  const [key, lr, l, cr, c] = r as [string, unknown, unknown, unknown, unknown];
  if (![lr, l, cr, c].every(count) || (lr as number) > (l as number) || (cr as number) > (c as number)) return null;
  return { key, listenersReady: lr as number, listeners: l as number, connectorsReady: cr as number, connectors: c as number };
}

/** Parses a TRAFFIC payload; null when it is not a well-formed, bounded summary. The signature is checked by the caller (verify). */
export function decodeSummary(payload: Buffer): WireSummary | null {
  if (payload.length <= SIG_BYTES || payload.length > MAX_TRAFFIC_BYTES) return null;
  const packed = payload.subarray(SIG_BYTES);
  let raw: unknown;
  try { raw = JSON.parse(inflateRawSync(packed, { maxOutputLength: MAX_BODY_BYTES }).toString('utf8')); } catch { return null; }
  if (typeof raw !== 'object' || raw === null) return null;
  const o = raw as Record<string, unknown>;
  const L = TRAFFIC_LIMITS;
  if (o.v !== 1 || !str(o.id, L.idLength) || !str(o.name, L.nameLength) || !count(o.seq) || !count(o.every) || !count(o.omit) || !str(o.pub, 64)) return null;
  if (!Array.isArray(o.keys) || !Array.isArray(o.links) || o.keys.length > L.keys || o.links.length > L.links) return null;
  if (o.http !== undefined && (!Array.isArray(o.http) || o.http.length > L.keys)) return null;
  const keys = o.keys.map(keyRow);
  const links = o.links.map(linkRow);
  if (o.ends !== undefined && (!Array.isArray(o.ends) || o.ends.length > L.keys)) return null;
  const http = o.http === undefined ? undefined : (o.http as unknown[]).map(httpRow);
  const ends = o.ends === undefined ? undefined : (o.ends as unknown[]).map(endRow);
  if (keys.includes(null) || links.includes(null) || http?.includes(null) || ends?.includes(null)) return null;
  return {
    summary: { origin: o.id, name: o.name, seq: o.seq, intervalMs: o.every, keys: keys as TrafficKeyRow[], links: links as TrafficLinkRow[], omitted: o.omit, ...(http ? { http: http as TrafficHttpRow[] } : {}), ...(ends ? { ends: ends as TrafficEndpointRow[] } : {}) },
    pub: o.pub, sig: payload.subarray(0, SIG_BYTES), signed: Buffer.concat([DOMAIN, packed]),
  };
}
