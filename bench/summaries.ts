// Issue 12: how many bytes a site's traffic summary costs, at 10 and 100 services, in the wire form
// chosen (positional JSON, deflated, signed) against object and plain positional JSON, and with HTTP
// status classes on every key, and with listener and connector readiness on every key; and what
// signing and checking one costs. `npm run build --silent && node dist/bench/summaries.js` (bench/analysis/summaries.md).
import { SiteIdentity, keyOwnsId, verifySignature } from '../common/identity.js';
import { TrafficTally } from '../dataplane/traffic/tally.js';
import { decodeSummary, encodeSummary, summaryBody } from '../dataplane/traffic/summary-codec.js';
import { TRAFFIC_INTERVAL_MS } from '../dataplane/traffic/traffic-node.js';
import { endpointRows } from '../dataplane/traffic/endpoint-rows.js';
import type { FlowRole } from '../dataplane/port/report.js';
import type { TrafficSummary } from '../dataplane/port/traffic.js';

const id = SiteIdentity.generate();
const T0 = Date.now();
/** Deterministic pseudo-random figures, so deflate is not flattered by repeated numbers. */
let seed = 12345;
const rnd = (max: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor((seed / 2147483648) * max); };
/** A second sequence for the HTTP counts, so the other figures stay those of earlier runs. */
let httpSeed = 777;
const rndHttp = (max: number): number => { httpSeed = (httpSeed * 1103515245 + 12345) % 2147483648; return Math.floor((httpSeed / 2147483648) * max); };

/** A busy site's summary: `services` keys, each seen in `roles` roles toward `peers` peer sites, names of `nameLength`. */
function busySummary(services: number, roles: FlowRole[], peers: number, nameLength: number): TrafficSummary {
  const tally = new TrafficTally(T0);
  const name = (i: number) => `service-${String(i).padStart(3, '0')}`.padEnd(nameLength, 'x');
  const site = (p: number) => `site-${p}`.padEnd(Math.min(nameLength, 63), 'y');
  const ended = [];
  const bytes = [];
  for (let i = 0; i < services; i++) for (const role of roles) for (let p = 0; p < peers; p++) {
    ended.push({ key: name(i), role, peerSite: site(p), outcome: 'closed' as const, count: rnd(100_000), seconds: [], ttfbSeconds: Array.from({ length: 50 }, () => rnd(200_000) / 1e6) });
    bytes.push({ key: name(i), role, peerSite: site(p), toServer: rnd(1e12), toClient: rnd(1e12) });
  }
  tally.add({ ended, bytes, overflow: 0 }, T0);
  const links = Array.from({ length: 3 }, (_, k) => ({ name: `link-${site(k)}`, direction: 'outbound' as const, status: 'ready', message: '', peer: site(k), bytesIn: 1e10 + k, bytesOut: 2e10 + k }));
  tally.linkRows(links, T0);
  const now = T0 + TRAFFIC_INTERVAL_MS;
  // A period's worth of movement, so rates are not all zero.
  tally.add({ ended: [], bytes: bytes.map((b) => ({ ...b, toServer: rnd(5e8), toClient: rnd(5e8) })), overflow: 0 }, now);
  const s: TrafficSummary = { origin: id.id, name: site(99), seq: now, intervalMs: TRAFFIC_INTERVAL_MS, keys: tally.keyRows([], now), links: tally.linkRows(links.map((l) => ({ ...l, bytesIn: l.bytesIn + rnd(5e8) })), now), omitted: 0 };
  // Every key an HTTP service with requests of all six classes (the most the `http` field carries).
  const http = [];
  for (let i = 0; i < services; i++) for (const [statusClass, max] of [['1xx', 3], ['2xx', 1e6], ['3xx', 1e4], ['4xx', 1e4], ['5xx', 1e3], ['none', 100]] as const) http.push({ key: name(i), method: 'GET', statusClass, count: 1 + rndHttp(max), buckets: [], sumSeconds: 0 });
  tally.add({ ended: [], bytes: [], overflow: 0, http }, now);
  return { ...s, http: tally.httpRows() };
}

/** The same summary with named fields (the rejected alternative). */
function objectJson(s: TrafficSummary): string { return JSON.stringify({ ...s, pub: id.pub }); }

function timeUs(n: number, f: () => void): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t) / 1000 / n;
}

const rows: string[] = [];
rows.push('| services | rows (roles × peers) | name length | object JSON B | positional JSON B, signed | deflated positional, signed (chosen) B | bytes/s per site at 5 s | with HTTP status classes B | bytes/s with them | with readiness B | bytes/s with it | sign µs | check µs |');
rows.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const [services, roles, peers, nameLength] of [[10, ['connector'], 1, 10], [10, ['listener', 'connector'], 2, 10], [100, ['connector'], 1, 10], [100, ['listener', 'connector'], 2, 10], [100, ['connector'], 1, 63]] as [number, FlowRole[], number, number][]) {
  const withHttp = busySummary(services, roles, peers, nameLength);
  const s = { ...withHttp, http: undefined };
  const all = s.keys.length;
  const httpPayload = encodeSummary({ ...withHttp }, id.pub, (b) => id.sign(b)).length;
  // Readiness of every key: one listener and one or two connectors each (every tenth one not ready), no HTTP counts.
  const keyNames = [...new Set(s.keys.map((k) => k.key))];
  const ends = endpointRows(keyNames.map((key) => ({ key, ready: true })), keyNames.flatMap((key, i) => (i % 3 ? [{ key, ready: true }] : [{ key, ready: true }, { key, ready: i % 10 !== 0 }])));
  const endsPayload = encodeSummary({ ...s, ends }, id.pub, (b) => id.sign(b)).length;
  const object = Buffer.byteLength(objectJson(s));
  const plain = Buffer.byteLength(summaryBody(s, id.pub)) + 64;
  const payload = encodeSummary(s, id.pub, (b) => id.sign(b));
  const sign = timeUs(200, () => encodeSummary({ ...s }, id.pub, (b) => id.sign(b)));
  const check = timeUs(200, () => { const w = decodeSummary(payload)!; keyOwnsId(w.pub, w.summary.origin); verifySignature(w.pub, w.signed, w.sig.toString('base64')); });
  rows.push(`| ${services} | ${all} (${roles.length} × ${peers})${s.omitted ? `, ${s.omitted} left out` : ''} | ${nameLength} | ${object} | ${plain} | ${payload.length} | ${Math.round((payload.length + 12) / (TRAFFIC_INTERVAL_MS / 1000))} | ${httpPayload} | ${Math.round((httpPayload + 12) / (TRAFFIC_INTERVAL_MS / 1000))} | ${endsPayload} | ${Math.round((endsPayload + 12) / (TRAFFIC_INTERVAL_MS / 1000))} | ${sign.toFixed(0)} | ${check.toFixed(0)} |`);
}
process.stdout.write(`${rows.join('\n')}\n`);
