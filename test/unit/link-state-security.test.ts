// Issue 10 #1 #2 #7: the link-state database takes only records signed by the site they name,
// bounds seq by the clock, ages records out, caps its size; the per-peer ROUTES budget. Real
// Ed25519 identities, a fake clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LinkStateDb, type LinkStateOptions } from '../../dataplane/routing/link-state.js';
import { recordBytes, type SiteRecord } from '../../dataplane/routing/site-record.js';
import { TokenBucket, RoutesBudget } from '../../dataplane/routing/routes-budget.js';
import { verifyRecord, routesFrames, RoutesIntake } from '../../dataplane/routes-intake.js';
import { MAX_CONTROL_FRAME } from '../../wasm/assembly/protocol.js';
import pino from 'pino';
import { SiteIdentity } from '../../common/identity.js';

const alice = SiteIdentity.generate();
const mallory = SiteIdentity.generate();
const me = SiteIdentity.generate();
const T0 = 1_800_000_000_000;

function clock() {
  const c = { t: T0, now: () => c.t };
  return c;
}

/** A database of `me` counting its signature checks. */
function makeDb(now: () => number, o: Partial<LinkStateOptions> = {}) {
  const calls = { verify: 0 };
  const db = new LinkStateDb(me.id, 'me', { pub: me.pub, sign: (b) => me.sign(b), verify: (r) => { calls.verify++; return verifyRecord(r); } },
    { maxSites: 1024, maxAheadMs: 600_000, maxAgeMs: 120_000, unreachableGraceMs: 60_000, now, ...o });
  return { db, calls };
}

/** A record of `id` signed by `by`. */
function signed(by: SiteIdentity, f: { id?: string; seq: number; keys?: string[]; links?: SiteRecord['links']; name?: string }): SiteRecord {
  const u = { id: f.id ?? by.id, name: f.name ?? 'x', seq: f.seq, links: f.links ?? [], keys: f.keys ?? [], pub: by.pub };
  return { ...u, sig: by.sign(recordBytes(u)) };
}

const S = T0 * 1000; // seq of "now"

const cases: { name: string; rec: () => SiteRecord; want: string }[] = [
  { name: 'a record signed by the site it names is taken', rec: () => signed(alice, { seq: S }), want: 'changed' },
  { name: 'a router replica (site/name) signed with its site\'s key is taken', rec: () => signed(alice, { id: `${alice.id}/r1`, seq: S }), want: 'changed' },
  { name: '#1: another site\'s id with the forger\'s own key is forged', rec: () => signed(mallory, { id: alice.id, seq: S, keys: ['db'] }), want: 'forged' },
  { name: '#1: another site\'s id and public key, signed by the forger, is forged', rec: () => ({ ...signed(mallory, { id: alice.id, seq: S, keys: ['db'] }), pub: alice.pub }), want: 'forged' },
  { name: '#1: a genuine record with a key added after signing is forged', rec: () => ({ ...signed(alice, { seq: S }), keys: ['stolen'] }), want: 'forged' },
  { name: '#1: a replica id of another site is forged', rec: () => signed(mallory, { id: `${alice.id}/r1`, seq: S }), want: 'forged' },
  { name: '#1: an id that is not a site id is forged', rec: () => signed(mallory, { id: 'alpha', seq: S }), want: 'forged' },
  { name: '#2: seq 9e15 (end of time), even genuinely signed, is refused', rec: () => signed(alice, { seq: 9e15 }), want: 'seq-ahead' },
  { name: '#2: a forged record with seq 9e15 is forged (its sender is reset, not just dropped)', rec: () => ({ ...signed(mallory, { id: alice.id, seq: 9e15 }), pub: alice.pub }), want: 'forged' },
  { name: '#2: seq 11 minutes ahead is refused', rec: () => signed(alice, { seq: S + 11 * 60_000_000 }), want: 'seq-ahead' },
  { name: 'seq 9 minutes ahead (clock skew) is taken', rec: () => signed(alice, { seq: S + 9 * 60_000_000 }), want: 'changed' },
  { name: 'a record older than anything still held (a replay) is refused', rec: () => signed(alice, { seq: S - 13 * 60_000_000 }), want: 'seq-old' },
  { name: 'our own id is never taken from a peer', rec: () => signed(me, { seq: S + 1000 }), want: 'self' },
];

for (const c of cases) {
  test(`issue 10 LinkStateDb.apply: ${c.name}`, () => {
    const { db } = makeDb(clock().now);
    assert.is(db.apply(c.rec()), c.want);
    assert.is(db.all.size, c.want === 'changed' ? 2 : 1);
  });
}

test('issue 10 #2: after a forged high seq is refused, the real site\'s next record still wins', () => {
  const { db } = makeDb(clock().now);
  assert.is(db.apply(signed(alice, { seq: S, keys: ['db'] })), 'changed');
  assert.is(db.apply(signed(mallory, { id: alice.id, seq: 9e15 })), 'forged');
  assert.is(db.apply(signed(alice, { seq: 9e15 })), 'seq-ahead', 'alice with a broken clock');
  assert.is(db.apply({ ...signed(alice, { seq: S + 5 }), sig: mallory.sign(Buffer.from('x')) }), 'forged');
  assert.is(db.apply(signed(alice, { seq: S + 10, keys: ['db', 'web'] })), 'changed');
  assert.equal(db.all.get(alice.id)!.keys, ['db', 'web']);
});

test('issue 10 #7: a record that would change nothing costs no signature check', () => {
  const { db, calls } = makeDb(clock().now);
  const r = signed(alice, { seq: S });
  assert.is(db.apply(r), 'changed');
  assert.is(calls.verify, 1);
  for (let i = 0; i < 100; i++) assert.is(db.apply({ ...r, sig: 'AAAA' }), 'stale');
  assert.is(calls.verify, 1);
});

test('issue 10 #7: the database holds at most maxSites; a full one refuses new sites but updates known ones', () => {
  const { db, calls } = makeDb(clock().now, { maxSites: 3 });
  const ids = [SiteIdentity.generate(), SiteIdentity.generate(), SiteIdentity.generate()];
  assert.is(db.apply(signed(ids[0], { seq: S })), 'changed');
  assert.is(db.apply(signed(ids[1], { seq: S })), 'changed');
  const before = calls.verify;
  assert.is(db.apply(signed(ids[2], { seq: S })), 'full');
  assert.is(calls.verify, before, 'refused before the signature check');
  assert.is(db.apply(signed(ids[0], { seq: S + 1, keys: ['k'] })), 'changed');
  assert.is(db.all.size, 3);
});

test('issue 10 #2 #7: records age out unless refreshed; unreachable sites go after the grace', () => {
  const c = clock();
  const { db } = makeDb(c.now);
  assert.is(db.apply(signed(alice, { seq: S })), 'changed');
  const bob = SiteIdentity.generate();
  assert.is(db.apply(signed(bob, { seq: S })), 'changed');
  const reachable = new Set([me.id, alice.id, bob.id]);
  c.t += 100_000;
  assert.equal(db.expire(reachable), []);
  // alice refreshes, bob does not.
  assert.is(db.apply(signed(alice, { seq: c.t * 1000 })), 'changed');
  c.t += 21_000; // bob last heard 121 s ago > maxAge 120 s
  assert.equal(db.expire(reachable), [bob.id]);
  assert.ok(!db.has(bob.id) && db.has(alice.id) && db.has(me.id));
  // alice keeps refreshing but becomes unreachable: dropped once unreachable for > 60 s.
  const unreachable = new Set([me.id]);
  for (let i = 0; i < 4; i++) { // first seen unreachable at round 0; 75 s later at round 3
    c.t += 25_000;
    assert.is(db.apply(signed(alice, { seq: c.t * 1000 })), 'changed');
    assert.equal(db.expire(unreachable), i < 3 ? [] : [alice.id], `round ${i}`);
  }
  assert.equal([...db.all.keys()], [me.id]);
  // Our own record never ages out, and refresh() re-signs it with a higher seq.
  const s0 = db.self.seq;
  const r = db.refresh();
  assert.ok(r.seq > s0 && verifyRecord(r));
});

test('issue 10 #2: our own seq follows the clock and never goes back', () => {
  const c = clock();
  const { db } = makeDb(c.now);
  const s0 = db.self.seq;
  assert.is(s0, S);
  c.t -= 5000; // the clock stepped back
  const r = db.refresh();
  assert.is(r.seq, s0 + 1);
  c.t += 60_000;
  assert.is(db.refresh().seq, c.t * 1000);
});

test('issue 10 #7: token buckets: a burst, then the refill rate', () => {
  const c = clock();
  const b = new TokenBucket(3, 60, c.now); // one a second
  assert.ok(b.take() && b.take() && b.take());
  assert.not.ok(b.take());
  c.t += 999;
  assert.not.ok(b.take());
  c.t += 1;
  assert.ok(b.take());
  assert.not.ok(b.take());
  c.t += 3_600_000;
  assert.ok(b.take(3), 'refill is capped at the burst');
  assert.not.ok(b.take());
  const r = new RoutesBudget({ bytesBurst: 100, bytesPerMinute: 60, sitesBurst: 2, sitesPerMinute: 1, dropsBurst: 3, dropsPerMinute: 1 }, c.now);
  assert.ok(r.takeBytes(100));
  assert.not.ok(r.takeBytes(1));
  assert.equal([1, 2, 3, 4, 5, 6].map(() => r.takeSite()), ['take', 'take', 'drop', 'drop', 'drop', 'reset']);
  c.t += 60_000;
  assert.is(r.takeSite(), 'take', 'the budget refills');
});

const quiet = pino({ level: 'silent' });
const sender = { siteId: 'peer', siteName: 'peer', link: 'l' };
const payload = (recs: unknown[]) => Buffer.from(JSON.stringify(recs));

test('issue 10 #1 #7 RoutesIntake: genuine records before a forgery are kept and returned; the forgery is a fault', () => {
  const { db } = makeDb(Date.now);
  const intake = new RoutesIntake(db, me.id, quiet);
  const now = Date.now() * 1000;
  const bob = SiteIdentity.generate();
  const r = intake.take(sender, payload([signed(alice, { seq: now }), { junk: true }, signed(mallory, { id: bob.id, seq: now }), signed(bob, { seq: now })]));
  assert.equal(r.changed.map((x) => x.id), [alice.id]);
  assert.is(r.fault?.name, 'SVCNET_ERR_ROUTES_FORGED');
  assert.not.ok(db.has(bob.id), 'nothing after the forgery is taken');
  assert.equal(intake.refusals, { SVCNET_ERR_ROUTES_MALFORMED: 1, SVCNET_ERR_ROUTES_FORGED: 1 });
});

test('issue 10 #7 RoutesIntake: new sites past the budget are dropped, then the peer is reset; bytes have a budget too', () => {
  const { db, calls } = makeDb(Date.now);
  const intake = new RoutesIntake(db, me.id, quiet, { bytesBurst: 1 << 20, bytesPerMinute: 1, sitesBurst: 3, sitesPerMinute: 1, dropsBurst: 2, dropsPerMinute: 1 });
  const now = Date.now() * 1000;
  const ids = Array.from({ length: 10 }, () => SiteIdentity.generate());
  const r = intake.take(sender, payload(ids.map((k) => signed(k, { seq: now }))));
  assert.is(r.changed.length, 3);
  assert.is(r.fault?.name, 'SVCNET_ERR_ROUTES_BUDGET');
  assert.is(calls.verify, 3, 'dropped records cost no signature check');
  assert.is(intake.refusals.SVCNET_ERR_ROUTES_OVER_BUDGET, 2);
  assert.is(db.all.size, 4);
  // Known sites are not new: their updates pass whatever the site budget.
  const update = intake.take(sender, payload([signed(ids[0], { seq: now + 1, keys: ['k'] })]));
  assert.is(update.changed.length, 1);
  const big = intake.take(sender, Buffer.alloc(1 << 20, 0x20));
  assert.is(big.fault?.name, 'SVCNET_ERR_ROUTES_BUDGET');
  assert.match(big.fault!.reason, /byte budget/);
});

test('issue 10 #7 routesFrames: a large database is split into frames that each fit a control frame', () => {
  const now = Date.now() * 1000;
  const keys = Array.from({ length: 100 }, (_, i) => `service-number-${i}`);
  const recs = Array.from({ length: 300 }, () => signed(SiteIdentity.generate(), { seq: now, keys }));
  const frames = routesFrames(recs);
  assert.ok(frames.length > 1);
  for (const f of frames) assert.ok(f.length <= MAX_CONTROL_FRAME, `${f.length}`);
  assert.equal(frames.flatMap((f) => (JSON.parse(f.toString()) as SiteRecord[]).map((r) => r.id)), recs.map((r) => r.id));
});

test('issue 10 review C RoutesIntake: an origin\'s record versions are taken at most 10 at once then 2/s; the excess is not flooded, the newest wins in the end', () => {
  const c = clock();
  const { db } = makeDb(c.now);
  const intake = new RoutesIntake(db, me.id, quiet, undefined, c.now);
  let flooded = 0;
  for (let i = 0; i < 100; i++) flooded += intake.take(sender, payload([signed(alice, { seq: S + i, keys: [`k${i}`] })])).changed.length;
  assert.is(flooded, 10, 'the burst, and nothing more, is taken and flooded');
  assert.is(intake.refusals.SVCNET_ERR_ROUTES_RATE, 90);
  assert.is(db.all.get(alice.id)!.seq, S + 9);
  assert.ok(intake.hasPending);
  assert.equal(intake.drainPending(), [], 'no token yet');
  c.t += 500; // one token
  const drained = intake.drainPending();
  assert.equal(drained.map((r) => r.seq), [S + 99], 'only the newest held-back version is applied');
  assert.equal(db.all.get(alice.id)!.keys, ['k99']);
  assert.not.ok(intake.hasPending);
  // A held-back record overtaken by a newer one (the origin's refresh) is forgotten.
  for (let i = 0; i < 5; i++) intake.take(sender, payload([signed(alice, { seq: S + 200 + i })]));
  assert.ok(intake.hasPending);
  c.t += 500;
  assert.is(intake.take(sender, payload([signed(alice, { seq: S + 300, keys: ['latest'] })])).changed.length, 1);
  assert.equal(intake.drainPending(), []);
  assert.not.ok(intake.hasPending);
  assert.equal(db.all.get(alice.id)!.keys, ['latest']);
  // A forgery over the rate still resets its sender.
  const forged = intake.take(sender, payload([{ ...signed(mallory, { id: alice.id, seq: S + 400 }), pub: alice.pub }]));
  assert.is(forged.fault?.name, 'SVCNET_ERR_ROUTES_FORGED');
});

test('issue 10 review D RoutesIntake: reconnecting under a router-replica suffix (id/a, id/b) does not refresh the ROUTES budget', () => {
  const { db } = makeDb(Date.now);
  const intake = new RoutesIntake(db, me.id, quiet, { bytesBurst: 1000, bytesPerMinute: 1, sitesBurst: 2, sitesPerMinute: 1, dropsBurst: 1000, dropsPerMinute: 1 });
  const now = Date.now() * 1000;
  const as = (suffix: string) => ({ siteId: `${mallory.id}${suffix}`, siteName: 'mallory', link: 'l' });
  assert.not.ok(intake.take(as(''), Buffer.from('[]'.padEnd(990, ' '))).fault);
  for (const suffix of ['/a', '/b', '/router']) assert.is(intake.take(as(suffix), Buffer.from('[]'.padEnd(100, ' '))).fault?.name, 'SVCNET_ERR_ROUTES_BUDGET', suffix);
  // The site budget is shared too: two new sites, then drops, whatever the suffix.
  const intake2 = new RoutesIntake(db, me.id, quiet, { bytesBurst: 1 << 20, bytesPerMinute: 1, sitesBurst: 2, sitesPerMinute: 1, dropsBurst: 1000, dropsPerMinute: 1 });
  const fresh = () => signed(SiteIdentity.generate(), { seq: now });
  assert.is(intake2.take(as('/a'), payload([fresh(), fresh()])).changed.length, 2);
  assert.is(intake2.take(as('/b'), payload([fresh()])).changed.length, 0);
  assert.is(intake2.take(as('/c'), payload([fresh()])).changed.length, 0);
  assert.is(intake2.refusals.SVCNET_ERR_ROUTES_OVER_BUDGET, 2);
});

test('issue 10 review D LinkStateDb: a full database is shared by introducing neighbour; the one holding the most is refused, its records make room for others; expiry releases', () => {
  const c = clock();
  const { db } = makeDb(c.now, { maxSites: 5 }); // me + 4
  const gen = Array.from({ length: 6 }, () => SiteIdentity.generate());
  for (const g of gen.slice(0, 4)) assert.is(db.apply(signed(g, { seq: S }), 'M'), 'changed');
  assert.is(db.introducedBy('M'), 4);
  assert.is(db.apply(signed(gen[4], { seq: S }), 'M'), 'full', 'the neighbour holding the most adds no more');
  c.t += 1000;
  const legit = Array.from({ length: 3 }, () => SiteIdentity.generate());
  assert.is(db.apply(signed(legit[0], { seq: S }), 'H'), 'changed', 'another neighbour still gets in');
  assert.is(db.apply(signed(legit[1], { seq: S }), 'H'), 'changed');
  assert.is(db.all.size, 5);
  assert.equal([db.introducedBy('M'), db.introducedBy('H')], [2, 2]);
  assert.is(db.apply(signed(legit[2], { seq: S }), 'H'), 'full', 'an even share: H now holds as many as M');
  assert.is(db.apply(signed(gen[5], { seq: S }), 'M'), 'full');
  // M's records re-sent (refreshed) keep their introducer and take no new room.
  assert.is(db.apply(signed(gen[2], { seq: S + 1 }), 'H'), 'changed');
  assert.equal([db.introducedBy('M'), db.introducedBy('H')], [2, 2]);
  // A forgery never evicts anyone.
  assert.is(db.apply({ ...signed(mallory, { id: legit[2].id, seq: S }), pub: legit[2].pub }, 'X'), 'forged');
  assert.is(db.all.size, 5);
  // Records that age out release their neighbour's share.
  c.t += 121_000;
  db.expire(new Set(db.all.keys()));
  assert.equal([db.introducedBy('M'), db.introducedBy('H')], [0, 0]);
  assert.is(db.all.size, 1);
});

test('issue 10 review D RoutesIntake: generated sites from one neighbour cannot lock another neighbour\'s new sites out of a full database', () => {
  const { db } = makeDb(Date.now, { maxSites: 9 });
  const intake = new RoutesIntake(db, me.id, quiet);
  const now = Date.now() * 1000;
  const m = { siteId: `${mallory.id}/x`, siteName: 'mallory', link: 'lm' };
  const h = { siteId: alice.id, siteName: 'alice', link: 'lh' };
  intake.take(m, payload(Array.from({ length: 20 }, () => signed(SiteIdentity.generate(), { seq: now }))));
  assert.is(db.all.size, 9);
  assert.is(db.introducedBy(mallory.id), 8, 'kept under the base id');
  const hs = Array.from({ length: 3 }, () => signed(SiteIdentity.generate(), { seq: now }));
  assert.equal(intake.take(h, payload(hs)).changed.length, 3);
  for (const r of hs) assert.ok(db.has(r.id));
  assert.equal([db.introducedBy(mallory.id), db.introducedBy(alice.id)], [5, 3]);
});

test.run();
