// Issue 12: HTTP requests by status class in the network-wide summaries and the service charts —
// the tally counts the HTTP observer's groups per key, the codec carries them in a field of their
// own that sites from before it skip (and reads their summaries without it), malformed rows are
// refused, the view sums them per service, the history turns them into rates; and what they cost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteIdentity } from '../../common/identity.js';
import { decodeSummary, encodeSummary, sealBody, summaryBody } from '../../dataplane/traffic/summary-codec.js';
import { TrafficTally } from '../../dataplane/traffic/tally.js';
import { networkTraffic } from '../../control/console/traffic-view.js';
import { ServiceHistory } from '../../control/console/service-history.js';
import type { HttpStatusClass, TrafficKeyRow, TrafficSummary } from '../../dataplane/port/traffic.js';
import type { HttpRequestGroup } from '../../dataplane/port/report.js';

const alice = SiteIdentity.generate();
const bob = SiteIdentity.generate();
const T0 = 1_800_000_000_000;
const req = (o: Partial<Record<HttpStatusClass, number>> = {}): Record<HttpStatusClass, number> => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, none: 0, ...o });
const row = (o: Partial<TrafficKeyRow> = {}): TrafficKeyRow => ({
  key: 'web', role: 'listener', peerSite: 'site-b', opened: 3, active: 1, failed: 0, bytesToServer: 100, bytesToClient: 2000,
  rateToServer: 10, rateToClient: 200, ttfbP50Ms: 1.5, ttfbP99Ms: 9.5, ...o,
});
const summary = (by: SiteIdentity, o: Partial<TrafficSummary> = {}): TrafficSummary => ({
  origin: by.id, name: by === alice ? 'alice' : 'bob', seq: T0, intervalMs: 5000, keys: [row()], omitted: 0, links: [], ...o,
});
const seal = (body: string) => sealBody(body, (b) => alice.sign(b));
const group = (key: string, statusClass: string, count: number): HttpRequestGroup => ({ key, method: 'GET', statusClass, count, buckets: [], sumSeconds: 0 });

test('issue 12: status-class counts round-trip in a field of their own; key and link rows keep their shape', () => {
  const s = summary(alice, { http: [{ key: 'web', requests: req({ '2xx': 40, '4xx': 3, '5xx': 1, none: 2 }) }] });
  const body = summaryBody(s, alice.pub);
  const parsed = JSON.parse(body);
  assert.equal(parsed.http, [['web', 0, 40, 0, 3, 1, 2]]);
  assert.is(parsed.keys[0].length, 12, 'a site from before reads key rows of 12 fields and skips `http`');
  assert.is(parsed.v, 1);
  assert.equal(decodeSummary(seal(body))!.summary, s);
});

test('issue 12: a summary without requests has no `http` field, and one from a site before it decodes without one', () => {
  const plain = summary(alice);
  assert.not.ok('http' in JSON.parse(summaryBody(plain, alice.pub)));
  assert.not.ok('http' in decodeSummary(seal(summaryBody(plain, alice.pub)))!.summary);
  // Fields a later version adds are skipped in turn.
  const later = summaryBody(plain, alice.pub).replace(/}$/, ',"future":[1,2,3]}');
  assert.equal(decodeSummary(seal(later))!.summary, plain);
});

test('issue 12: malformed status-class rows make the summary malformed', () => {
  const body = (http: unknown) => summaryBody(summary(alice), alice.pub).replace(/}$/, `,"http":${JSON.stringify(http)}}`);
  assert.ok(decodeSummary(seal(body([['web', 0, 1, 0, 0, 0, 0]]))), 'a well-formed row');
  for (const bad of [{}, [['web', 0, 1, 0, 0, 0]], [['web', 0, -1, 0, 0, 0, 0]], [['web', 0, 1.5, 0, 0, 0, 0]], [[7, 0, 1, 0, 0, 0, 0]], [['', 0, 1, 0, 0, 0, 0]], [['x'.repeat(254), 0, 1, 0, 0, 0, 0]], Array(1025).fill(['w', 0, 0, 0, 0, 0, 0])]) {
    assert.is(decodeSummary(seal(body(bad))), null, JSON.stringify(bad).slice(0, 60));
  }
});

test('issue 12: our own summary, trimmed to its bound, keeps the status classes of the keys it keeps', () => {
  const keys = Array.from({ length: 1000 }, (_, i) => row({ key: `k-${i}-${'x'.repeat(200)}`, bytesToServer: i * 7919 % 1000003 }));
  const http = keys.map((k, i) => ({ key: k.key, requests: req({ '2xx': i }) }));
  const back = decodeSummary(encodeSummary(summary(alice, { keys, http }), alice.pub, (b) => alice.sign(b)))!.summary;
  assert.ok(back.omitted > 0);
  assert.is(back.http!.length, back.keys.length);
  assert.ok(back.http!.every((h) => back.keys.some((k) => k.key === h.key)));
});

test('issue 12: the tally counts the observer\'s groups per key and class; an unknown class is skipped', () => {
  const t = new TrafficTally(T0);
  assert.equal(t.httpRows(), []);
  t.add({ ended: [], bytes: [], overflow: 0, http: [group('web', '2xx', 5), group('web', '5xx', 1), group('api', '4xx', 1), group('web', '9xx', 4)] }, T0);
  t.add({ ended: [], bytes: [], overflow: 0, http: [group('web', '2xx', 2), group('web', 'none', 1)] }, T0 + 500);
  assert.equal(t.httpRows(), [{ key: 'web', requests: req({ '2xx': 7, '5xx': 1, none: 1 }) }, { key: 'api', requests: req({ '4xx': 1 }) }]);
});

test('issue 12: the view sums each key\'s classes over the sites that observed them (listeners at two sites)', () => {
  const a = summary(alice, { http: [{ key: 'web', requests: req({ '2xx': 10, '5xx': 2 }) }] });
  const b = summary(bob, { keys: [row({ role: 'connector', peerSite: 'alice' })], http: [{ key: 'web', requests: req({ '2xx': 5, '4xx': 1 }) }, { key: 'api', requests: req({ '3xx': 1 }) }] });
  const v = networkTraffic([[{ summary: a, receivedAt: T0, reachable: true, self: true }, { summary: b, receivedAt: T0, reachable: true, self: false }]], alice.id, T0 + 1000);
  assert.equal(v.services.find((s) => s.key === 'web')!.requests, req({ '2xx': 15, '4xx': 1, '5xx': 2 }));
  assert.equal(v.services.find((s) => s.key === 'api')!.requests, req({ '3xx': 1 }), 'a key known only by its requests is listed');
  assert.equal(v.sites.find((s) => s.name === 'bob')!.http!.length, 2);
});

test('issue 12: the charts\' points carry requests per second by class; a total that falls counts from zero', () => {
  const h = new ServiceHistory();
  const view = (requests: Record<HttpStatusClass, number> | undefined) => ({ at: '', staleIntervals: 3, sites: [], services: [{ key: 'web', sites: ['b'], opened: 1, active: 0, failed: 0, bytesToServer: 0, bytesToClient: 0, rateToServer: 0, rateToClient: 0, ttfbP50Ms: -1, ttfbP99Ms: -1, stale: false, ...(requests ? { requests } : {}) }] });
  h.record(view(undefined), 0);
  h.record(view(req({ '2xx': 50, '5xx': 10 })), 10_000);
  h.record(view(req({ '2xx': 150, '5xx': 10 })), 20_000);
  h.record(view(req({ '2xx': 20 })), 30_000);
  assert.equal(h.series('web').points.map((p) => p.requestsPerS), [req({ '2xx': 5, '5xx': 1 }), req({ '2xx': 10 }), req({ '2xx': 2 })]);
});

test('issue 12: the status classes cost at most 45% more bytes per summary at 10 and 100 HTTP services', () => {
  let seed = 7;
  const rnd = (max: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor((seed / 2147483648) * max); };
  const sizes = (services: number) => {
    const keys = Array.from({ length: services }, (_, i) => row({ key: `service-${i}`, opened: rnd(1e5), active: rnd(50), bytesToServer: rnd(1e12), bytesToClient: rnd(1e12), rateToServer: rnd(1e8), rateToClient: rnd(1e8), ttfbP50Ms: rnd(1000) / 10, ttfbP99Ms: rnd(10000) / 10 }));
    const http = keys.map((k) => ({ key: k.key, requests: req({ '1xx': rnd(3), '2xx': rnd(1e6), '3xx': rnd(1e4), '4xx': rnd(1e4), '5xx': rnd(1e3), none: rnd(100) }) }));
    const size = (s: TrafficSummary) => encodeSummary(s, alice.pub, (b) => alice.sign(b)).length;
    return [size(summary(alice, { keys })), size(summary(alice, { keys, http }))];
  };
  for (const n of [10, 100]) {
    const [without, withHttp] = sizes(n);
    assert.ok(withHttp <= without * 1.45, `${n} services: ${without} B without, ${withHttp} B with status classes`);
  }
});

test.run();
