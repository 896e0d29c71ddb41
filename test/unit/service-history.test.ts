// Issue 12 item 3: the per-service history behind the console's 15-minute charts — rates between
// samples of the network-wide totals, counter restarts, the window, and the bounds on keys and samples.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServiceHistory, HISTORY_WINDOW_MS, HISTORY_MAX_KEYS, HISTORY_MAX_SAMPLES } from '../../control/console/service-history.js';
import type { NetworkTraffic, ServiceTraffic } from '../../control/console/traffic-view.js';

const svc = (key: string, opened: number, bytes: number, o: Partial<ServiceTraffic> = {}): ServiceTraffic =>
  ({ key, sites: ['a'], opened, active: 0, failed: 0, bytesToServer: bytes, bytesToClient: 2 * bytes, rateToServer: 0, rateToClient: 0, ttfbP50Ms: 1.5, ttfbP99Ms: 9, stale: false, ...o });
const view = (...services: ServiceTraffic[]): NetworkTraffic => ({ at: '', staleIntervals: 3, sites: [], services });

test('issue 12: rates between samples; latency as summarised; a key needs two samples to be listed', () => {
  const h = new ServiceHistory();
  h.record(view(svc('db', 10, 1000)), 0);
  assert.equal(h.keys(), []);
  h.record(view(svc('db', 60, 11_000, { failed: 5, ttfbP99Ms: 12, stale: true })), 5000);
  assert.equal(h.keys(), ['db']);
  assert.equal(h.series('db').points, [{ t: 5000, flowsPerS: 10, failedPerS: 1, bytesToServerPerS: 2000, bytesToClientPerS: 4000, ttfbP50Ms: 1.5, ttfbP99Ms: 12, stale: true }]);
  assert.equal(h.series('nothing').points, []);
});

test('issue 12: totals that fall (a restarted engine) count from zero again, never as a negative rate', () => {
  const h = new ServiceHistory();
  h.record(view(svc('db', 1000, 1_000_000)), 0);
  h.record(view(svc('db', 20, 5000)), 10_000);
  const p = h.series('db').points[0];
  assert.is(p.flowsPerS, 2);
  assert.is(p.bytesToServerPerS, 500);
});

test('issue 12: samples older than 15 minutes go, and a key with none left is forgotten', () => {
  const h = new ServiceHistory();
  for (let t = 0; t <= HISTORY_WINDOW_MS + 60_000; t += 5000) h.record(view(svc('db', t / 1000, t)), t);
  const pts = h.series('db').points;
  assert.ok(pts[0].t >= 60_000, `oldest point at ${pts[0].t}`);
  h.record(view(svc('other', 1, 1)), 3 * HISTORY_WINDOW_MS);
  assert.equal(h.series('db').points, [], 'the key that stopped reporting is gone after the window');
});

test('issue 12: reports within a second of the last sample are skipped; samples and keys are bounded', () => {
  const h = new ServiceHistory();
  h.record(view(svc('db', 0, 0)), 0);
  h.record(view(svc('db', 5, 5)), 400);
  h.record(view(svc('db', 10, 10)), 1000);
  assert.is(h.series('db').points.length, 1);
  assert.is(h.series('db').points[0].flowsPerS, 10);
  const many = new ServiceHistory();
  for (let i = 0; i < HISTORY_MAX_SAMPLES + 50; i++) many.record(view(svc('db', i, i)), i * 1000);
  assert.is(many.series('db').points.length, HISTORY_MAX_SAMPLES - 1);
  const keys = new ServiceHistory();
  const name = (i: number) => `k${String(i).padStart(5, '0')}`;
  for (const t of [0, 2000]) keys.record(view(...Array.from({ length: HISTORY_MAX_KEYS + 20 }, (_, i) => svc(name(i), t, t))), t);
  assert.is(keys.keys().length, HISTORY_MAX_KEYS, 'the same keys kept each time, so each has a chart');
  assert.is(keys.keys()[0], name(0));
  // Keys that stop appearing give way to new ones.
  keys.record(view(svc('new-key', 0, 0)), 4000);
  keys.record(view(svc('new-key', 5, 5)), 6000);
  assert.ok(keys.keys().includes('new-key'));
  assert.ok(keys.keys().length <= HISTORY_MAX_KEYS);
});

test.run();
