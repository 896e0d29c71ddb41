// Issue 12 item 3: one site's page (control/console/site-view.ts) from this site's status and the
// network's traffic view — links from status or summaries with their rates, a link only a routing
// record lists, endpoints (this site's with states; another's from rows and its record's keys),
// totals per key and per peer with stale rows' rates left out, and unknown names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { siteView } from '../../control/console/site-view.js';
import { createConsoleApp } from '../../control/console/app.js';
import type { RuntimeStatus } from '../../control/state/site-store.js';
import type { NetworkTraffic, SiteTraffic } from '../../control/console/traffic-view.js';
import type { TrafficKeyRow } from '../../dataplane/port/traffic.js';

const row = (key: string, role: TrafficKeyRow['role'], peerSite: string, o: Partial<TrafficKeyRow & { stale: boolean; node: string }> = {}) =>
  ({ key, role, peerSite, opened: 10, active: 1, failed: 2, bytesToServer: 100, bytesToClient: 200, rateToServer: 5, rateToClient: 7, ttfbP50Ms: 1, ttfbP99Ms: 2, ...o });

const status = {
  pid: 1, updatedAt: '', site: { id: 'A', name: 'a' },
  links: [{ name: 'to-b', direction: 'outbound', status: 'ready', message: 'linked', peer: 'b', cost: 1 }, { name: 'to-d', direction: 'outbound', status: 'connecting', message: 'refused', cost: 1 }],
  listeners: [{ name: 'web', routingKey: 'web', port: 8080, status: 'ready', message: '', flowsActive: 1, flowsOpened: 10 }],
  connectors: [{ name: 'db', routingKey: 'db', host: '127.0.0.1', port: 5432, ready: false, message: 'connect refused', flowsActive: 0, flowsOpened: 4 }],
  network: { sites: [
    { id: 'A', name: 'a', cost: 0, links: [{ peer: 'B', cost: 1 }], keys: ['db'] },
    { id: 'B', name: 'b', cost: 1, links: [{ peer: 'A', cost: 1 }, { peer: 'C', cost: 2 }], keys: ['web'] },
    { id: 'C', name: 'c', cost: null, links: [{ peer: 'B', cost: 2 }], keys: ['old'] },
  ] },
} as unknown as RuntimeStatus;

const site = (o: Partial<SiteTraffic> & Pick<SiteTraffic, 'id' | 'name'>): SiteTraffic => ({ self: false, reachable: true, stale: false, staleNodes: [], ageMs: 500, intervalMs: 1000, omitted: 0, keys: [], links: [], ...o });
const traffic: NetworkTraffic = {
  at: '', staleIntervals: 3, services: [],
  sites: [
    site({ id: 'A', name: 'a', self: true, keys: [row('web', 'listener', 'b'), row('web', 'listener', 'b', { node: 'worker-2' })],
      http: [{ key: 'web', requests: { '1xx': 0, '2xx': 7, '3xx': 0, '4xx': 1, '5xx': 0, none: 0 } }, { key: 'web', node: 'worker-2', requests: { '1xx': 0, '2xx': 3, '3xx': 0, '4xx': 0, '5xx': 2, none: 0 } }],
      links: [{ name: 'to-b', direction: 'outbound', peer: 'b', up: true, bytesIn: 1, bytesOut: 2, rateIn: 3, rateOut: 4 }] }),
    site({ id: 'B', name: 'b', keys: [row('web', 'connector', 'a'), row('db', 'relay', 'c', { stale: true, node: 'worker-2' })],
      links: [{ name: 'a', direction: 'inbound', peer: 'a', up: true, bytesIn: 9, bytesOut: 8, rateIn: 7, rateOut: 6 }] }),
    site({ id: 'C', name: 'c', reachable: false, stale: true, ageMs: 9000, keys: [row('old', 'connector', 'b')],
      links: [{ name: 'to-b', direction: 'outbound', peer: 'b', up: true, bytesIn: 1, bytesOut: 1, rateIn: 1, rateOut: 1 }] }),
  ],
};

test('issue 12: this site\'s page: links with states and rates, listeners and connectors with theirs', () => {
  const v = siteView(status, traffic, 'a')!;
  assert.equal([v.self, v.cost, v.reachable, v.stale], [true, 0, true, false]);
  assert.equal(v.links.map((l) => [l.name, l.peer, l.up, l.status, l.rateIn, l.rateOut]), [['to-b', 'b', true, 'ready', 3, 4], ['to-d', '', false, 'connecting', null, null]]);
  const web = v.endpoints.find((e) => e.kind === 'listener')!;
  assert.equal([web.name, web.address, web.ready, web.opened, web.rateToServer], ['web', '8080', true, 10, 10], 'rates of both engines\' listener rows');
  const db = v.endpoints.find((e) => e.kind === 'connector')!;
  assert.equal([db.address, db.ready, db.message], ['127.0.0.1:5432', false, 'connect refused']);
  assert.equal(v.perKey.map((k) => [k.key, k.role, k.opened]), [['web', 'listener', 20]]);
  assert.equal(v.perKey[0].requests, { '1xx': 0, '2xx': 10, '3xx': 0, '4xx': 1, '5xx': 2, none: 0 }, 'both engines\' requests on the listener row');
  assert.equal(v.perPeer.map((p) => [p.peerSite, p.opened, p.bytesToClient]), [['b', 20, 400]]);
});

test('issue 12: another site\'s page: its links from its summary plus one only its record lists; endpoints from rows and keys; a stale row\'s rate left out', () => {
  const v = siteView(status, traffic, 'b')!;
  assert.equal([v.self, v.cost, v.stale, v.keys], [false, 1, false, ['web']]);
  assert.equal(v.links.map((l) => [l.peer, l.cost, l.up, l.rateIn]), [['a', 1, true, 7], ['c', 2, false, null]], 'B-C: only B\'s record lists it and C is unreachable');
  assert.equal(v.endpoints.map((e) => [e.kind, e.key, e.ready]), [['connector', 'web', true]]);
  const relay = v.perKey.find((k) => k.role === 'relay')!;
  assert.equal([relay.stale, relay.opened, relay.rateToServer], [true, 10, 0]);
  assert.equal(v.perPeer.map((p) => [p.peerSite, p.stale]), [['a', false], ['c', true]]);
});

test('issue 12: an unreachable site\'s page keeps its last figures, marked stale, its links down', () => {
  const v = siteView(status, traffic, 'c')!;
  assert.equal([v.reachable, v.cost, v.stale, v.ageMs], [false, null, true, 9000]);
  assert.equal(v.links.map((l) => [l.peer, l.up, l.stale]), [['b', false, true]]);
  assert.equal(v.endpoints.map((e) => [e.kind, e.key, e.ready]), [['connector', 'old', false]]);
  assert.equal(v.perKey.map((k) => [k.key, k.stale, k.opened, k.rateToClient]), [['old', true, 10, 0]]);
});

test('issue 12: a site only the routing records know has no figures; an unknown name has no page', () => {
  const v = siteView(status, { ...traffic, sites: [] }, 'b')!;
  assert.equal([v.stale, v.ageMs, v.perKey, v.perPeer], [null, null, [], []]);
  assert.equal(v.links.map((l) => [l.peer, l.rateIn]), [['a', null], ['c', null]]);
  assert.equal(v.endpoints.map((e) => [e.kind, e.key, e.ready]), [['connector', 'web', true]]);
  assert.is(siteView(status, traffic, 'nowhere'), undefined);
  assert.is(siteView(status, undefined, 'nowhere'), undefined);
});

test('issue 12: /api/sites/NAME serves the page as JSON; 404 for a name the network does not know, 400 for an overlong one', async () => {
  const app = createConsoleApp({ status: () => status, metrics: () => '', port: 9, traffic: () => traffic });
  const get = (name: string) => app.request(`/api/sites/${encodeURIComponent(name)}`, { headers: { host: '127.0.0.1:9' } });
  const ok = await get('b');
  assert.is(ok.status, 200);
  assert.equal(((await ok.json()) as { links: unknown[] }).links.length, 2);
  assert.is((await get('nowhere')).status, 404);
  assert.is((await get('x'.repeat(254))).status, 400);
});

test.run();
