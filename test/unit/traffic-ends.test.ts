// Issue 12: listener and connector readiness in the network-wide summaries — the engine's
// listeners and connectors counted per key, carried in a body field of their own (`ends`) that
// sites from before it skip (and whose summaries, without it, still read), malformed rows refused,
// bounded; the view lists each key's listener and connector sites with readiness, rate and failed
// flows; another site's page shows its shared readiness.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inflateRawSync } from 'node:zlib';
import { SiteIdentity } from '../../common/identity.js';
import { MAX_TRAFFIC_BYTES, decodeSummary, encodeSummary, sealBody, summaryBody } from '../../dataplane/traffic/summary-codec.js';
import { endpointRows } from '../../dataplane/traffic/endpoint-rows.js';
import { networkTraffic } from '../../control/console/traffic-view.js';
import { siteView } from '../../control/console/site-view.js';
import type { RuntimeStatus } from '../../control/state/site-store.js';
import type { TrafficEndpointRow, TrafficKeyRow, TrafficSummary } from '../../dataplane/port/traffic.js';

const alice = SiteIdentity.generate();
const bob = SiteIdentity.generate();
const carol = SiteIdentity.generate();
const T0 = 1_800_000_000_000;
const row = (o: Partial<TrafficKeyRow> = {}): TrafficKeyRow => ({
  key: 'hash', role: 'listener', peerSite: 'carol', opened: 3, active: 1, failed: 1, bytesToServer: 100, bytesToClient: 2000,
  rateToServer: 10, rateToClient: 200, ttfbP50Ms: 1.5, ttfbP99Ms: 9.5, ...o,
});
const end = (key: string, lr: number, l: number, cr: number, c: number): TrafficEndpointRow => ({ key, listenersReady: lr, listeners: l, connectorsReady: cr, connectors: c });
const names = new Map([[alice, 'alice'], [bob, 'bob'], [carol, 'carol']]);
const summary = (by: SiteIdentity, o: Partial<TrafficSummary> = {}): TrafficSummary => ({
  origin: by.id, name: names.get(by)!, seq: T0, intervalMs: 1000, keys: [], omitted: 0, links: [], ...o,
});
const seal = (body: string) => sealBody(body, (b) => alice.sign(b));

test('issue 12: the engine\'s listeners and connectors are counted per key, ready and in all', () => {
  assert.equal(endpointRows([{ key: 'web', ready: true }, { key: 'web', ready: false }, { key: 'db', ready: true }], [{ key: 'db', ready: false }, { key: 'api', ready: true }]), [
    end('api', 0, 0, 1, 1), end('db', 1, 1, 0, 1), end('web', 1, 2, 0, 0),
  ]);
  assert.is(endpointRows(Array.from({ length: 2000 }, (_, i) => ({ key: `k${i}`, ready: true })), []).length, 1024, 'no more rows than a receiver takes');
});

test('issue 12: readiness round-trips in a field of its own; a summary without it has none, and a decoder before it skips it', () => {
  const s = summary(alice, { keys: [row()], ends: [end('hash', 1, 1, 0, 0), end('web', 0, 2, 1, 1)] });
  const body = summaryBody(s, alice.pub);
  assert.equal(JSON.parse(body).ends, [['hash', 1, 1, 0, 0], ['web', 0, 2, 1, 1]]);
  assert.equal(decodeSummary(seal(body))!.summary, s);
  const plain = summary(alice, { keys: [row()] });
  assert.not.ok('ends' in JSON.parse(summaryBody(plain, alice.pub)));
  assert.not.ok('ends' in decodeSummary(seal(summaryBody(plain, alice.pub)))!.summary);
  // A decoder from before the field: the previous version's checks (v 1, fields it knows) pass and it never reads `ends`.
  const old = (payload: Buffer) => {
    const o = JSON.parse(inflateRawSync(payload.subarray(64)).toString('utf8'));
    return o.v === 1 && Array.isArray(o.keys) && o.keys.every((k: unknown[]) => k.length === 12) ? { keys: o.keys.length, links: o.links.length } : null;
  };
  assert.equal(old(encodeSummary({ ...s }, alice.pub, (b) => alice.sign(b))), { keys: 1, links: 0 });
});

test('issue 12: malformed readiness rows make the summary malformed', () => {
  const body = (ends: unknown) => summaryBody(summary(alice), alice.pub).replace(/}$/, `,"ends":${JSON.stringify(ends)}}`);
  assert.ok(decodeSummary(seal(body([['web', 1, 2, 0, 0]]))), 'a well-formed row');
  for (const bad of [{}, [['web', 1, 2, 0]], [['web', 3, 2, 0, 0]], [['web', 0, 0, 2, 1]], [['web', -1, 2, 0, 0]], [['web', 0.5, 2, 0, 0]], [[7, 0, 1, 0, 0]], [['', 0, 1, 0, 0]], [['x'.repeat(254), 0, 1, 0, 0]], Array(1025).fill(['w', 0, 0, 0, 0])]) {
    assert.is(decodeSummary(seal(body(bad))), null, JSON.stringify(bad).slice(0, 60));
  }
});

test('issue 12: our own summary stays within its bound with a thousand keys of readiness: key rows go first, readiness last', () => {
  const long = (i: number) => `k-${i}-${'x'.repeat(240)}`;
  const keys = Array.from({ length: 1000 }, (_, i) => row({ key: long(i), bytesToServer: i * 7919 % 1000003 }));
  const ends = keys.map((k, i) => end(k.key, i % 2, 1, 0, 1));
  const payload = encodeSummary(summary(alice, { keys, ends }), alice.pub, (b) => alice.sign(b));
  assert.ok(payload.length <= MAX_TRAFFIC_BYTES, `${payload.length}`);
  const back = decodeSummary(payload)!.summary;
  assert.ok(back.omitted > 0);
  assert.ok((back.ends?.length ?? 0) >= back.keys.length, 'readiness rows outlast key rows');
  // 200 keys of ordinary names fit whole, readiness and all.
  const few = summary(alice, { keys: keys.slice(0, 200).map((k, i) => ({ ...k, key: `service-${i}` })), ends: ends.slice(0, 200).map((e, i) => ({ ...e, key: `service-${i}` })) });
  const whole = decodeSummary(encodeSummary({ ...few }, alice.pub, (b) => alice.sign(b)))!.summary;
  assert.equal([whole.omitted, whole.ends!.length], [0, 200]);
});

test('issue 12: readiness of every one of 100 keys adds under 15% to a summary of one row per key', () => {
  let seed = 7;
  const rnd = (max: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor((seed / 2147483648) * max); };
  const keys = Array.from({ length: 100 }, (_, i) => row({ key: `service-${String(i).padStart(3, '0')}`, role: 'connector', opened: rnd(1e5), bytesToServer: rnd(1e12), bytesToClient: rnd(1e12), rateToServer: rnd(1e8), rateToClient: rnd(1e8) }));
  const ends = endpointRows(keys.map((k) => ({ key: k.key, ready: true })), keys.map((k, i) => ({ key: k.key, ready: i % 10 !== 0 })));
  const size = (s: TrafficSummary) => encodeSummary(s, alice.pub, (b) => alice.sign(b)).length;
  const [plain, withEnds] = [size(summary(alice, { keys })), size(summary(alice, { keys, ends }))];
  assert.ok(withEnds > plain && withEnds < plain * 1.15, `${plain} -> ${withEnds}`);
});

test('issue 12: the view lists each key\'s listener and connector sites with readiness, rate, failed flows and staleness', () => {
  const held = [
    { summary: summary(alice, { keys: [row(), row({ key: 'web', role: 'local', peerSite: 'alice' })], ends: [end('hash', 1, 1, 0, 0), end('web', 1, 1, 0, 1)] }), receivedAt: T0, reachable: true, self: true },
    { summary: summary(alice, { origin: `${alice.id}/worker-2`, name: 'alice/worker-2', keys: [row({ rateToServer: 1, rateToClient: 2, failed: 0 })], ends: [end('hash', 1, 1, 0, 0)] }), receivedAt: T0, reachable: true, self: false },
    { summary: summary(carol, { keys: [row({ role: 'connector', peerSite: 'alice', failed: 2 })], ends: [end('hash', 0, 0, 1, 1)] }), receivedAt: T0, reachable: true, self: false },
    // bob: stale, from before the field (listener rows only)
    { summary: summary(bob, { keys: [row({ peerSite: 'carol' })] }), receivedAt: T0 - 10_000, reachable: false, self: false },
  ];
  const v = networkTraffic([held], alice.id, T0 + 500);
  const hash = v.services.find((s) => s.key === 'hash')!;
  const brief = (e: { site: string; ready: number | null; total: number | null; rate: number; failed: number; stale: boolean }) => [e.site, e.ready, e.total, e.rate, e.failed, e.stale];
  assert.equal(hash.listeners!.map(brief).sort(), [['alice', 1, 1, 213, 1, false], ['bob', null, null, 0, 1, true]]);
  assert.equal(hash.connectors!.map(brief), [['carol', 1, 1, 210, 2, false]]);
  const web = v.services.find((s) => s.key === 'web')!;
  assert.equal(web.connectors!.map(brief), [['alice', 0, 1, 210, 1, false]], 'a local row counts at the connector end, readiness from ends');
  assert.equal(web.listeners!.map(brief), [['alice', 1, 1, 210, 1, false]]);
});

test('issue 12: another site\'s page shows its shared readiness (n/m ready); a stale one\'s not as ready', () => {
  const status = { pid: 1, updatedAt: '', site: { id: alice.id, name: 'alice' }, links: [], listeners: [], connectors: [],
    network: { sites: [{ id: carol.id, name: 'carol', cost: 1, links: [], keys: ['hash'] }] } } as unknown as RuntimeStatus;
  const held = (receivedAt: number) => [{ summary: summary(carol, { keys: [], ends: [end('hash', 0, 0, 1, 1), end('web', 1, 2, 0, 0)] }), receivedAt, reachable: true, self: false }];
  const v = siteView(status, networkTraffic([held(T0)], alice.id, T0 + 500), 'carol')!;
  assert.equal(v.endpoints.map((e) => [e.kind, e.key, e.ready, e.readyCount, e.total]), [['listener', 'web', false, 1, 2], ['connector', 'hash', true, 1, 1]]);
  const stale = siteView(status, networkTraffic([held(T0 - 60_000)], alice.id, T0), 'carol')!;
  assert.equal(stale.endpoints.map((e) => [e.key, e.ready, e.message]), [['web', false, 'as last shared'], ['hash', false, 'as last shared']]);
});

test.run();
