// Table-driven tests of the pure routing code: site-record parsing, the link-state database,
// Dijkstra over records (only links both ends report count) and target choice for new flows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shortestPaths } from '../../dataplane/routing/paths.js';
import { LinkStateDb } from '../../dataplane/routing/link-state.js';
import { buildRouteTable, pickTarget } from '../../dataplane/routing/route-table.js';
import { parseSiteRecord, type SiteRecord } from '../../dataplane/routing/site-record.js';

/** Compact topology notation: "a-b:1" is a link a→b and b→a with cost 1; "a>b:1" only a reports it. */
function net(spec: string, keys: Record<string, string[]> = {}): Map<string, SiteRecord> {
  const recs = new Map<string, SiteRecord>();
  const rec = (id: string) => {
    let r = recs.get(id);
    if (!r) recs.set(id, (r = { id, name: id.toUpperCase(), seq: 1, links: [], keys: keys[id] ?? [], pub: '', sig: '' }));
    return r;
  };
  for (const part of spec.split(/\s+/).filter(Boolean)) {
    const m = /^(\w+)([->])(\w+)(?::(\d+))?$/.exec(part);
    if (!m) {
      rec(part); // a lone site with no links
      continue;
    }
    const [, a, kind, b, c] = m;
    const cost = Number(c ?? 1);
    rec(a).links.push({ peer: b, cost });
    if (kind === '-') rec(b).links.push({ peer: a, cost });
    else rec(b);
  }
  for (const id of Object.keys(keys)) rec(id);
  return recs;
}

/** Paths from `self` as "site=cost/nextHop" sorted, easy to compare in a table. */
function show(self: string, records: ReadonlyMap<string, SiteRecord>): string {
  return [...shortestPaths(self, records)].map(([id, p]) => `${id}=${p.cost}/${p.nextHop}`).sort().join(' ');
}

const pathCases: { name: string; self: string; topo: string; want: string }[] = [
  { name: 'a lone site reaches only itself', self: 'a', topo: 'a', want: 'a=0/a' },
  { name: 'chain a-b-c: c through b at cost 2', self: 'a', topo: 'a-b b-c', want: 'a=0/a b=1/b c=2/b' },
  { name: 'chain seen from the middle', self: 'b', topo: 'a-b b-c', want: 'a=1/a b=0/b c=1/c' },
  { name: 'chain of five: the first hop is kept along the path', self: 'a', topo: 'a-b b-c c-d d-e', want: 'a=0/a b=1/b c=2/b d=3/b e=4/b' },
  { name: 'diamond with a cheaper side goes that way', self: 'a', topo: 'a-b a-c b-d c-d:2', want: 'a=0/a b=1/b c=1/c d=2/b' },
  { name: 'diamond: the other side when it is the cheaper one', self: 'a', topo: 'a-b a-c b-d:3 c-d', want: 'a=0/a b=1/b c=1/c d=2/c' },
  { name: 'two cheap hops beat one expensive link', self: 'a', topo: 'a-b:10 a-c c-b', want: 'a=0/a b=2/c c=1/c' },
  { name: 'one cheap link beats two hops', self: 'a', topo: 'a-b:2 a-c:2 c-b:2', want: 'a=0/a b=2/b c=2/c' },
  { name: 'a half link (only a reports it) is ignored', self: 'a', topo: 'a>b', want: 'a=0/a' },
  { name: 'a half link (only b reports it) is ignored', self: 'a', topo: 'b>a', want: 'a=0/a' },
  { name: 'a half link in the middle cuts off what lies behind it', self: 'a', topo: 'a-b b>c c-d', want: 'a=0/a b=1/b' },
  { name: 'a half link on one side of a diamond: traffic takes the other side', self: 'a', topo: 'a-b a-c b>d c-d:5', want: 'a=0/a b=1/b c=1/c d=6/c' },
  { name: 'a link to a site with no record is ignored', self: 'a', topo: 'a>ghost b-a', want: 'a=0/a b=1/b' },
  { name: 'a separate island is unreachable', self: 'a', topo: 'a-b x-y', want: 'a=0/a b=1/b' },
  { name: 'parallel paths of equal cost still give one cost', self: 'a', topo: 'a-b a-c b-d c-d', want: 'a=0/a b=1/b c=1/c d=2/b' },
];

for (const c of pathCases) {
  test(`shortestPaths: ${c.name}`, () => {
    assert.is(show(c.self, net(c.topo)), c.want);
  });
}

test('shortestPaths: no record for self means no paths at all', () => {
  assert.is(shortestPaths('zz', net('a-b')).size, 0);
});

test('shortestPaths: a tie is broken the same way whatever order the records arrived in', () => {
  const topo = net('a-b a-c b-d c-d a-e e-d');
  const want = show('a', topo);
  const ids = [...topo.keys()];
  // Every rotation of the arrival order, forwards and backwards.
  for (let i = 0; i < ids.length; i++) {
    const rotated = [...ids.slice(i), ...ids.slice(0, i)];
    for (const order of [rotated, [...rotated].reverse()]) {
      assert.is(show('a', new Map(order.map((id) => [id, topo.get(id)!]))), want);
    }
  }
  assert.match(want, /d=2\/[bce]/);
});

test('shortestPaths: removing one end of a link withdraws every path through it', () => {
  const topo = net('a-b b-c a-d:5 d-c:5');
  assert.is(show('a', topo), 'a=0/a b=1/b c=2/b d=5/d');
  // b stops reporting a (its end of the link died): a must route to c the long way round.
  topo.get('b')!.links = topo.get('b')!.links.filter((l) => l.peer !== 'a');
  assert.is(show('a', topo), 'a=0/a b=11/d c=10/d d=5/d');
});

// ---- LinkStateDb ------------------------------------------------------------------------

// Signatures are the subject of link-state-security.test.ts; here a record verifies when its sig says so.
const fakeCrypto = { pub: 'PUB', sign: () => 'ok', verify: (r: SiteRecord) => r.sig === 'ok' };
const db0 = (id: string, name = id) => new LinkStateDb(id, name, fakeCrypto);
/** Seqs are tied to the clock (ms * 1000); the cases count from now. */
const NOW = Date.now() * 1000;
const rec = (id: string, seq: number, links: SiteRecord['links'] = [], keys: string[] = []): SiteRecord => ({ id, name: id, seq: NOW + seq, links, keys, pub: 'PUB', sig: 'ok' });

test('LinkStateDb: starts with only its own record, empty', () => {
  const db = db0('me', 'Me');
  assert.is(db.all.size, 1);
  assert.equal({ ...db.self, seq: 0 }, { id: 'me', name: 'Me', seq: 0, links: [], keys: [], pub: 'PUB', sig: 'ok' });
});

const applyCases: { name: string; held?: number; incoming: number; id?: string; changed: boolean; keptSeq?: number }[] = [
  { name: 'a record for an unknown site is taken', incoming: 5, changed: true, keptSeq: 5 },
  { name: 'a newer record replaces the held one', held: 5, incoming: 6, changed: true, keptSeq: 6 },
  { name: 'the same seq again is not a change', held: 5, incoming: 5, changed: false, keptSeq: 5 },
  { name: 'an older record is ignored', held: 9, incoming: 3, changed: false, keptSeq: 9 },
  { name: 'a record about ourselves from a peer is ignored', id: 'me', incoming: 1e6, changed: false },
];

for (const c of applyCases) {
  test(`LinkStateDb.apply: ${c.name}`, () => {
    const db = db0('me');
    const id = c.id ?? 'peer';
    if (c.held !== undefined) assert.is(db.apply(rec(id, c.held, [], ['held'])), 'changed');
    const selfBefore = db.self;
    assert.is(db.apply(rec(id, c.incoming, [], ['incoming'])) === 'changed', c.changed);
    if (c.keptSeq !== undefined) assert.is(db.all.get(id)!.seq, NOW + c.keptSeq);
    if (id === 'me') assert.is(db.self, selfBefore);
  });
}

test('LinkStateDb.updateSelf: a change bumps seq; the same content in another order does not', () => {
  const db = db0('me');
  const s0 = db.self.seq;
  const r1 = db.updateSelf([{ peer: 'b', cost: 1 }, { peer: 'a', cost: 2 }], ['y', 'x', 'x']);
  assert.ok(r1);
  assert.ok(r1!.seq > s0);
  assert.equal(r1!.links, [{ peer: 'a', cost: 2 }, { peer: 'b', cost: 1 }]);
  assert.equal(r1!.keys, ['x', 'y']);
  assert.is(db.updateSelf([{ peer: 'a', cost: 2 }, { peer: 'b', cost: 1 }], ['x', 'y']), null);
  assert.is(db.self.seq, r1!.seq);
  const r2 = db.updateSelf([{ peer: 'a', cost: 3 }, { peer: 'b', cost: 1 }], ['x', 'y']);
  assert.ok(r2 && r2.seq > r1!.seq, 'a cost change is a change');
  const r3 = db.updateSelf([{ peer: 'a', cost: 3 }, { peer: 'b', cost: 1 }], ['x']);
  assert.ok(r3 && r3.seq > r2!.seq, 'a withdrawn key is a change');
  const r4 = db.updateSelf([], []);
  assert.ok(r4 && r4.seq > r3!.seq && r4.links.length === 0 && r4.keys.length === 0, 'everything gone is a change');
});

test('LinkStateDb: a restarted site (new db, same id) outranks the records of its previous run', async () => {
  const old = db0('s');
  for (let i = 0; i < 50; i++) old.updateSelf([{ peer: 'p', cost: 1 + (i % 2) }], []);
  await new Promise((r) => setTimeout(r, 5));
  const restarted = db0('s');
  const peer = db0('p');
  assert.is(peer.apply(old.self), 'changed');
  assert.is(peer.apply(restarted.self), 'changed', 'the first record of the new run must replace the last of the old');
  assert.is(peer.apply(old.self), 'stale', 'a late copy of the old record must not come back');
});

// ---- parseSiteRecord --------------------------------------------------------------------

const parseCases: { name: string; raw: unknown; ok: boolean }[] = [
  { name: 'a well-formed record', raw: { id: 'a', name: 'A', seq: 1, links: [{ peer: 'b', cost: 1 }], keys: ['k'], pub: 'P', sig: 'S' }, ok: true },
  { name: 'not an object', raw: 'a', ok: false },
  { name: 'null', raw: null, ok: false },
  { name: 'seq missing', raw: { id: 'a', name: 'A', links: [], keys: [], pub: 'P', sig: 'S' }, ok: false },
  { name: 'links not an array', raw: { id: 'a', name: 'A', seq: 1, links: {}, keys: [], pub: 'P', sig: 'S' }, ok: false },
  { name: 'cost zero', raw: { id: 'a', name: 'A', seq: 1, links: [{ peer: 'b', cost: 0 }], keys: [], pub: 'P', sig: 'S' }, ok: false },
  { name: 'negative cost', raw: { id: 'a', name: 'A', seq: 1, links: [{ peer: 'b', cost: -1 }], keys: [], pub: 'P', sig: 'S' }, ok: false },
  { name: 'cost not a number', raw: { id: 'a', name: 'A', seq: 1, links: [{ peer: 'b', cost: '1' }], keys: [], pub: 'P', sig: 'S' }, ok: false },
  { name: 'a key that is not a string', raw: { id: 'a', name: 'A', seq: 1, links: [], keys: [1], pub: 'P', sig: 'S' }, ok: false },
  { name: 'a link entry that is null', raw: { id: 'a', name: 'A', seq: 1, links: [null], keys: [], pub: 'P', sig: 'S' }, ok: false },
];

for (const c of parseCases) {
  test(`parseSiteRecord: ${c.name}`, () => {
    assert.is(parseSiteRecord(c.raw) !== null, c.ok);
  });
}

test('parseSiteRecord: extra fields are dropped, not carried into the database', () => {
  const r = parseSiteRecord({ id: 'a', name: 'A', seq: 1, links: [{ peer: 'b', cost: 2, evil: 1 }], keys: [], pub: 'P', sig: 'S', extra: true });
  assert.equal(r, { id: 'a', name: 'A', seq: 1, links: [{ peer: 'b', cost: 2 }], keys: [], pub: 'P', sig: 'S' });
});

// ---- buildRouteTable / pickTarget -------------------------------------------------------

test('buildRouteTable: targets per key, cheapest first, local at cost 0, unreachable left out', () => {
  const topo = net('a-b a-c:3 b-d x-y a>z', { a: ['local'], b: ['svc', 'local'], c: ['svc'], d: ['svc'], y: ['svc'], z: ['svc'] });
  const t = buildRouteTable('a', topo, 7);
  assert.is(t.version, 7);
  assert.is(t.self, 'a');
  const svc = t.keys.get('svc')!.map((r) => `${r.site}=${r.cost}/${r.nextHop}`);
  assert.equal(svc, ['b=1/b', 'd=2/b', 'c=3/c']);
  assert.equal(t.keys.get('local')!.map((r) => `${r.site}=${r.cost}/${r.nextHop}`), ['a=0/a', 'b=1/b']);
  assert.is(t.keys.get('local')![1].siteName, 'B');
  assert.not.ok(t.keys.has('nothing'));
});

test('buildRouteTable: a key served only behind a half link is not routable', () => {
  const t = buildRouteTable('a', net('a-b b>c', { c: ['svc'] }), 1);
  assert.not.ok(t.keys.has('svc'));
});

/** Route table for `topo` seen from a; flows is open flows per site. */
const pickCases: { name: string; topo: string; keys: Record<string, string[]>; flows: Record<string, number>; want: string | undefined }[] = [
  { name: 'no route for the key: nothing to pick', topo: 'a-b', keys: { b: ['other'] }, flows: {}, want: undefined },
  { name: 'the only target', topo: 'a-b', keys: { b: ['svc'] }, flows: { b: 100 }, want: 'b' },
  { name: 'a local connector wins over a remote one with fewer flows', topo: 'a-b', keys: { a: ['svc'], b: ['svc'] }, flows: { a: 50, b: 0 }, want: 'a' },
  { name: 'the cheapest wins even when busier', topo: 'a-b a-c:2', keys: { b: ['svc'], c: ['svc'] }, flows: { b: 10, c: 0 }, want: 'b' },
  { name: 'among equals the one with fewer flows', topo: 'a-b a-c', keys: { b: ['svc'], c: ['svc'] }, flows: { b: 3, c: 2 }, want: 'c' },
  { name: 'among equals the other way round', topo: 'a-b a-c', keys: { b: ['svc'], c: ['svc'] }, flows: { b: 2, c: 3 }, want: 'b' },
  { name: 'equals over different paths (one hop vs two of half cost)', topo: 'a-b:2 a-c b-d c-d', keys: { b: ['svc'], d: ['svc'] }, flows: { b: 1, d: 0 }, want: 'd' },
  { name: 'an idle but more expensive site is not chosen over busy equals', topo: 'a-b a-c a-d:2', keys: { b: ['svc'], c: ['svc'], d: ['svc'] }, flows: { b: 5, c: 4, d: 0 }, want: 'c' },
  { name: 'three equals: the least loaded', topo: 'a-b a-c a-d', keys: { b: ['svc'], c: ['svc'], d: ['svc'] }, flows: { b: 2, c: 2, d: 1 }, want: 'd' },
  { name: 'a target behind a half link is never picked', topo: 'a-b a>c', keys: { b: ['svc'], c: ['svc'] }, flows: { b: 9, c: 0 }, want: 'b' },
];

for (const c of pickCases) {
  test(`pickTarget: ${c.name}`, () => {
    const t = buildRouteTable('a', net(c.topo, c.keys), 1);
    assert.is(pickTarget(t, 'svc', (s) => c.flows[s] ?? 0)?.site, c.want);
  });
}

test('pickTarget: opening flows one after another spreads them evenly over equal targets', () => {
  const t = buildRouteTable('a', net('a-b a-c a-d a-e:2', { b: ['svc'], c: ['svc'], d: ['svc'], e: ['svc'] }), 1);
  const open: Record<string, number> = {};
  for (let i = 0; i < 30; i++) {
    const s = pickTarget(t, 'svc', (x) => open[x] ?? 0)!.site;
    open[s] = (open[s] ?? 0) + 1;
  }
  assert.equal(open, { b: 10, c: 10, d: 10 });
});

test('pickTarget: the route it returns carries the first hop to send through', () => {
  const t = buildRouteTable('a', net('a-b b-c', { c: ['svc'] }), 1);
  const r = pickTarget(t, 'svc', () => 0)!;
  assert.equal({ site: r.site, nextHop: r.nextHop, cost: r.cost, siteName: r.siteName }, { site: 'c', nextHop: 'b', cost: 2, siteName: 'C' });
});

test.run();
