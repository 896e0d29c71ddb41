// Issue 12 item 2: traffic summaries — the signed wire form, the store's checks (forgery, size,
// per-peer budget, origin rate, seq window, unknown sites), this engine's tally (totals, rates,
// latency percentiles) and the control-side view (union by origin, staleness, per-key totals).
// Real Ed25519 identities, fake clocks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteIdentity, keyOwnsId, verifySignature } from '../../common/identity.js';
import { decodeSummary, encodeSummary, sealBody, summaryBody, MAX_TRAFFIC_BYTES, MAX_BODY_BYTES, type WireSummary } from '../../dataplane/traffic/summary-codec.js';
import { SummaryStore, type TrafficStoreOptions } from '../../dataplane/traffic/summary-store.js';
import { TrafficTally, quantile, TTFB_SAMPLES } from '../../dataplane/traffic/tally.js';
import { networkTraffic, uniteByOrigin, STALE_INTERVALS } from '../../control/console/traffic-view.js';
import type { TrafficKeyRow, TrafficSummary, HeldTraffic } from '../../dataplane/port/traffic.js';
import type { FlowRecord } from '../../dataplane/port/report.js';
import { validHello, helloProofBytes } from '../../dataplane/hello.js';
import * as P from '../../wasm/assembly/protocol.js';

const alice = SiteIdentity.generate();
const mallory = SiteIdentity.generate();
const me = SiteIdentity.generate();
const T0 = 1_800_000_000_000;

const row = (o: Partial<TrafficKeyRow> = {}): TrafficKeyRow => ({
  key: 'db', role: 'connector', peerSite: 'site-a', opened: 3, active: 1, failed: 0, bytesToServer: 100, bytesToClient: 2000,
  rateToServer: 10, rateToClient: 200, ttfbP50Ms: 1.5, ttfbP99Ms: 9.5, ...o,
});
const summary = (by: SiteIdentity, o: Partial<TrafficSummary> = {}): TrafficSummary => ({
  origin: by.id, name: 'alice', seq: T0, intervalMs: 5000, keys: [row()], omitted: 0,
  links: [{ name: 'to-b', direction: 'outbound', peer: 'site-b', up: true, bytesIn: 5, bytesOut: 7, rateIn: 1, rateOut: 2 }], ...o,
});
const wire = (s: TrafficSummary, signer = alice, pub = signer.pub) => sealBody(summaryBody(s, pub), (b) => signer.sign(b));
const verify = (w: WireSummary) => keyOwnsId(w.pub, w.summary.origin) && verifySignature(w.pub, w.signed, w.sig.toString('base64'));

function makeStore(o: Partial<TrafficStoreOptions> = {}, known = (_id: string) => true) {
  const clock = { t: T0 };
  const calls = { verify: 0 };
  const store = new SummaryStore({ selfId: me.id, known, now: () => clock.t, verify: (w) => { calls.verify++; return verify(w); } }, o);
  return { store, clock, calls };
}

test('issue 12: a summary round-trips through its signed wire form, and its signature covers the body', () => {
  const s = summary(alice);
  const w = decodeSummary(wire(s))!;
  assert.equal(w.summary, s);
  assert.ok(verify(w));
  // The same signature on another body (the key "db" made "xb"): well formed, but it no longer verifies.
  const other = sealBody(summaryBody(s, alice.pub).replace('"db"', '"xb"'), () => w.sig.toString('base64'));
  const t = decodeSummary(other)!;
  assert.is(t.summary.keys[0].key, 'xb');
  assert.not.ok(verify(t));
});

test('issue 12: our own summary stays within the bound by leaving out the quietest rows, and says how many', () => {
  const keys = Array.from({ length: 1000 }, (_, i) => row({ key: `k-${i}-${'x'.repeat(200)}`, bytesToServer: i * 7919 % 1000003, rateToServer: i * 104729 % 1299709 }));
  const s = summary(alice, { keys });
  const p = encodeSummary(s, alice.pub, (b) => alice.sign(b));
  assert.ok(p.length <= MAX_TRAFFIC_BYTES, `${p.length} bytes`);
  const back = decodeSummary(p)!.summary;
  assert.ok(back.omitted > 0 && back.omitted + back.keys.length === 1000, `omitted ${back.omitted}`);
  assert.is(back.keys[0].key, keys[0].key, 'the first (busiest) rows are kept');
});

test('issue 12: malformed and oversized payloads are refused by the decoder', () => {
  const good = summaryBody(summary(alice), alice.pub);
  const bad = (body: string) => decodeSummary(sealBody(body, (b) => alice.sign(b)));
  assert.ok(bad(good));
  assert.is(bad('not json'), null);
  assert.is(bad(good.replace('"connector"', '"boss"')), null, 'unknown role');
  assert.is(bad(good.replace('"v":1', '"v":2')), null, 'unknown version');
  assert.is(bad(good.replace('5,7,1,2]', '-5,7,1,2]')), null, 'negative bytes');
  assert.is(decodeSummary(Buffer.alloc(64)), null, 'signature only');
  assert.is(decodeSummary(Buffer.alloc(MAX_TRAFFIC_BYTES + 1, 0x20)), null, 'too large');
  assert.is(decodeSummary(Buffer.alloc(500, 0x20)), null, 'not deflated');
  // A deflate bomb: 4 MiB of spaces packs into a few KiB; inflation stops at the body bound.
  const bomb = sealBody(' '.repeat(4 << 20), (b) => alice.sign(b));
  assert.ok(bomb.length < MAX_TRAFFIC_BYTES && (4 << 20) > MAX_BODY_BYTES);
  assert.is(decodeSummary(bomb), null, 'deflate bomb');
});

test('issue 12: the store holds a newer genuine summary once and ignores echoes; checks the signature only when it would replace', () => {
  const { store, clock, calls } = makeStore();
  assert.is(store.take('peer', wire(summary(alice))).verdict, 'held');
  assert.is(store.take('peer', wire(summary(alice))).verdict, 'stale');
  assert.is(calls.verify, 1, 'an echo costs no signature check');
  clock.t += 5000;
  assert.is(store.take('peer', wire(summary(alice, { seq: T0 + 5000 }))).verdict, 'held');
  assert.is([...store.all()][0].summary.seq, T0 + 5000);
  assert.is(store.take('peer', wire(summary(me))).verdict, 'self', 'our own summary coming back');
});

test('issue 12: a site cannot overwrite another site\'s summary: a forgery is refused and nothing changes', () => {
  const { store } = makeStore();
  assert.is(store.take('peer', wire(summary(alice))).verdict, 'held');
  // Mallory claims alice's origin with a higher seq, signed with mallory's key (and with alice's key claimed).
  assert.is(store.take('mallory', wire(summary(alice, { seq: T0 + 1, keys: [] }), mallory, mallory.pub)).verdict, 'forged');
  assert.is(store.take('mallory', wire(summary(alice, { seq: T0 + 2, keys: [] }), mallory, alice.pub)).verdict, 'forged');
  const held = [...store.all()];
  assert.is(held.length, 1);
  assert.is(held[0].summary.seq, T0);
  assert.is(held[0].summary.keys.length, 1);
});

test('issue 12: size, per-peer byte budget and origin rate are bounded; over them summaries are dropped', () => {
  const { store, clock } = makeStore({ maxBytes: 4096, peerBytesBurst: 800, peerBytesPerSec: 1000, originBurst: 2, originPerMinute: 60 });
  assert.is(store.take('p', Buffer.alloc(5000)).verdict, 'too-large');
  const one = wire(summary(alice));
  assert.ok(one.length > 260 && one.length < 290, `summary is ${one.length} bytes`);
  assert.is(store.take('p', one).verdict, 'held');
  assert.is(store.take('p', wire(summary(alice, { seq: T0 + 1 }))).verdict, 'held');
  // Origin rate: 2 at once, then 1 a second.
  assert.is(store.take('q', wire(summary(alice, { seq: T0 + 2 }))).verdict, 'rate');
  // The peer's byte budget (800 at once) holds two such summaries.
  assert.is(store.take('p', wire(summary(alice, { seq: T0 + 3 }))).verdict, 'over-budget');
  clock.t += 1000;
  assert.is(store.take('q', wire(summary(alice, { seq: T0 + 4 }))).verdict, 'held', 'both refill with time');
});

test('issue 12: the seq window refuses far-future summaries and replays of origins not held; unknown sites are not held', () => {
  const { store } = makeStore({}, (id) => id !== mallory.id);
  assert.is(store.take('p', wire(summary(alice, { seq: T0 + 11 * 60_000 }))).verdict, 'seq-ahead');
  assert.is(store.take('p', wire(summary(alice, { seq: T0 - 21 * 60_000 }))).verdict, 'seq-old');
  assert.is(store.take('p', wire(summary(mallory, { name: 'm' }), mallory)).verdict, 'unknown-site');
  assert.is(store.take('p', wire(summary(alice, { seq: T0 - 60_000 }))).verdict, 'held');
});

test('issue 12: summaries not replaced for keepMs are forgotten; the store holds at most maxOrigins', () => {
  const { store, clock } = makeStore({ keepMs: 60_000, maxOrigins: 1 });
  assert.is(store.take('p', wire(summary(alice))).verdict, 'held');
  assert.is(store.take('p', wire(summary(mallory), mallory)).verdict, 'full');
  clock.t += 61_000;
  store.prune();
  assert.is([...store.all()].length, 0);
});

test('issue 12: bandwidth bound — a site\'s summary at 10 and 100 busy services costs at most 0.3 and 1.5 KB/s at the 5 s period', () => {
  let seed = 7;
  const rnd = (max: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor((seed / 2147483648) * max); };
  const perSecond = (services: number) => {
    const keys = Array.from({ length: services }, (_, i) => row({ key: `service-${i}`, peerSite: 'site-b', opened: rnd(1e5), active: rnd(50), bytesToServer: rnd(1e12), bytesToClient: rnd(1e12), rateToServer: rnd(1e8), rateToClient: rnd(1e8), ttfbP50Ms: rnd(1000) / 10, ttfbP99Ms: rnd(10000) / 10 }));
    const p = encodeSummary(summary(alice, { keys }), alice.pub, (b) => alice.sign(b));
    return (p.length + 12) / 5;
  };
  const [ten, hundred] = [perSecond(10), perSecond(100)];
  assert.ok(ten <= 300, `10 services: ${ten} B/s`);
  assert.ok(hundred <= 1500, `100 services: ${hundred} B/s`);
});

const rec = (o: Partial<FlowRecord>): FlowRecord => ({ id: 'f', role: 'connector', key: 'db', listenerSite: 'a', connectorSite: 'c', peerSite: 'a', endpoint: 'db', client: '', target: '', startedAt: T0, bytesToServer: 0, bytesToClient: 0, ...o });

test('issue 12: the tally sums batches per key, role and peer; counts open flows; rates per period; ttfb percentiles', () => {
  const t = new TrafficTally(T0);
  t.add({ ended: [{ key: 'db', role: 'connector', peerSite: 'a', outcome: 'closed', count: 3, seconds: [1, 1, 1], ttfbSeconds: [0.001, 0.002, 0.1] },
    { key: 'db', role: 'connector', peerSite: 'a', outcome: 'refused', count: 1, seconds: [0], ttfbSeconds: [] }],
  bytes: [{ key: 'db', role: 'connector', peerSite: 'a', toServer: 1000, toClient: 4000 }], overflow: 0 }, T0);
  const rows = t.keyRows([rec({}), rec({ key: 'web', peerSite: 'b' })], T0 + 2000);
  t.mark(T0 + 2000);
  const db = rows.find((r) => r.key === 'db')!;
  assert.equal({ opened: db.opened, active: db.active, failed: db.failed, toServer: db.bytesToServer, toClient: db.bytesToClient }, { opened: 5, active: 1, failed: 1, toServer: 1000, toClient: 4000 });
  assert.is(db.rateToServer, 500);
  assert.is(db.rateToClient, 2000);
  assert.is(db.ttfbP50Ms, 2);
  assert.is(db.ttfbP99Ms, 100);
  const web = rows.find((r) => r.key === 'web')!;
  assert.equal([web.opened, web.active, web.ttfbP50Ms], [1, 1, -1]);
  // Next period: nothing moved, so rates fall to 0 while totals stay.
  const again = t.keyRows([], T0 + 4000).find((r) => r.key === 'db')!;
  assert.equal([again.rateToServer, again.bytesToServer, again.active, again.opened], [0, 1000, 0, 4]);
});

test('issue 12: latency samples are a bounded ring; quantiles by nearest rank', () => {
  assert.is(quantile([], 0.5), -1);
  assert.is(quantile([5, 1, 3], 0.5), 3);
  assert.is(quantile(Array.from({ length: 100 }, (_, i) => i + 1), 0.99), 99);
  const t = new TrafficTally(T0);
  const many = Array.from({ length: 1000 }, () => 1);
  t.add({ ended: [{ key: 'k', role: 'listener', peerSite: 'c', outcome: 'closed', count: 1000, seconds: [], ttfbSeconds: many }], bytes: [], overflow: 0 }, T0);
  t.add({ ended: [{ key: 'k', role: 'listener', peerSite: 'c', outcome: 'closed', count: TTFB_SAMPLES, seconds: [], ttfbSeconds: Array(TTFB_SAMPLES).fill(0.004) }], bytes: [], overflow: 0 }, T0);
  assert.is(t.keyRows([], T0 + 1000)[0].ttfbP50Ms, 4, 'the oldest samples left the ring');
});

test('issue 12: link rows carry bytes and per-period rates each way', () => {
  const t = new TrafficTally(T0);
  const link = (i: number, o: number, status = 'ready') => [{ name: 'to-c', direction: 'outbound' as const, status, message: '', peer: 'site-c', bytesIn: i, bytesOut: o }];
  t.linkRows(link(100, 100), T0);
  t.mark(T0);
  const [r] = t.linkRows(link(5100, 1100, 'backoff'), T0 + 5000);
  assert.equal(r, { name: 'to-c', direction: 'outbound', peer: 'site-c', up: false, bytesIn: 5100, bytesOut: 1100, rateIn: 1000, rateOut: 200 });
});

const held = (s: TrafficSummary, receivedAt: number, reachable = true, self = false): HeldTraffic => ({ summary: s, receivedAt, reachable, self });

test('issue 12: the view marks a site stale when its summary is older than 3 periods or it is unreachable', () => {
  const c = SiteIdentity.generate();
  const lists = [[held(summary(me, { name: 'me' }), T0, true, true), held(summary(alice), T0), held(summary(c, { name: 'c', intervalMs: 1000 }), T0)]];
  const at = (now: number) => Object.fromEntries(networkTraffic(lists, me.id, now).sites.map((s) => [s.name, s.stale]));
  assert.equal(at(T0 + 1000), { me: false, alice: false, c: false });
  assert.equal(at(T0 + STALE_INTERVALS * 1000 + 1), { me: false, alice: false, c: true });
  // This site's own summary goes stale too when its engine stops making them.
  assert.equal(at(T0 + STALE_INTERVALS * 5000 + 1), { me: true, alice: true, c: true });
  const cut = networkTraffic([[held(summary(alice), T0, false)]], me.id, T0 + 10);
  assert.equal([cut.sites[0].stale, cut.sites[0].reachable, cut.sites[0].ageMs], [true, false, 10]);
  assert.is(networkTraffic(lists, me.id, T0).sites[0].name, 'me', 'this site first');
});

test('issue 12: engines\' views are united by origin (newest seq), and a site\'s worker nodes are grouped under it', () => {
  const w2 = `${alice.id}/worker-2`;
  const a1 = held(summary(alice, { seq: T0 }), T0, false);
  const a1new = held(summary(alice, { seq: T0 + 5 }), T0 + 5, true);
  const a2 = held(summary(alice, { origin: w2, name: 'alice/worker-2', keys: [row({ bytesToServer: 1 })] }), T0);
  assert.is(uniteByOrigin([[a1], [a1new]])[0].summary.seq, T0 + 5);
  const v = networkTraffic([[a1, a2], [a1new]], me.id, T0 + 10);
  assert.is(v.sites.length, 1);
  assert.is(v.sites[0].name, 'alice');
  assert.is(v.sites[0].keys.length, 2);
  assert.is(v.sites[0].keys[1].node, 'worker-2');
  assert.is(v.sites[0].links[1].node, 'worker-2');
  assert.equal([v.sites[0].stale, v.sites[0].staleNodes], [false, []]);
  // Engine 2 silent for 3 periods, engine 1 fresh: the site is not stale, its engine 2 is named, its rows marked.
  const later = networkTraffic([[held(summary(alice, { seq: T0 + 20_000 }), T0 + 20_000), a2]], me.id, T0 + 20_001);
  assert.equal([later.sites[0].stale, later.sites[0].staleNodes, later.sites[0].ageMs], [false, ['worker-2'], 1]);
  assert.equal(later.sites[0].keys.map((k) => k.stale === true), [false, true]);
  // Both silent: the site is stale.
  assert.ok(networkTraffic([[a1new, a2]], me.id, T0 + 60_000).sites[0].stale);
});

test('issue 12: per-key totals count connector ends across sites; rates only from fresh sites', () => {
  const c = SiteIdentity.generate();
  const lists = [[
    held(summary(alice, { keys: [row({ role: 'listener', bytesToServer: 999 }), row({ key: 'web', role: 'connector' })] }), T0),
    held(summary(c, { name: 'c', keys: [row({ bytesToServer: 50, ttfbP99Ms: 20 })] }), T0),
    held(summary(me, { name: 'me', keys: [row({ bytesToServer: 7, role: 'local' })] }), T0, false),
  ]];
  const v = networkTraffic(lists, me.id, T0 + 1);
  const db = v.services.find((s) => s.key === 'db')!;
  assert.equal([db.bytesToServer, db.rateToServer, db.ttfbP99Ms, db.stale, [...db.sites].sort()], [57, 10, 20, true, ['c', 'me']]);
  assert.equal(v.services.map((s) => s.key), ['db', 'web']);
});

test('issue 12: a HELLO says whether the peer takes TRAFFIC frames; an earlier peer\'s HELLO (no field) does not', () => {
  const binding = Buffer.alloc(32, 7);
  const raw = (extra: object) => ({ version: P.PROTOCOL_VERSION, siteId: alice.id, siteName: 'alice', window: 65536, cost: 1, pub: alice.pub, proof: alice.sign(helloProofBytes(alice.id, 'alice', binding)), ...extra });
  const traffic = (extra: object) => {
    const r = validHello(raw(extra), { selfId: me.id, binding, expect: {} });
    return 'hello' in r ? r.hello.traffic : r.reason;
  };
  assert.is(traffic({ traffic: true }), true);
  assert.is(traffic({}), false);
  assert.is(traffic({ traffic: 'yes' }), false);
});

test.run();
