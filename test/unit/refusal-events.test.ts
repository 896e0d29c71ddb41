// LINK_REFUSED Watch events (issue 15): one event per refusal seen in the engine's status, not one
// per status report; again after the link was up; a new code is a new event.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WatchHub } from '../../control/api/watch-hub.js';
import { RefusalEvents } from '../../control/api/refusal-events.js';
import type { Event } from '../../control/api/types.js';
import type { LinkStatus, LinkRefusalStatus } from '../../dataplane/port/report.js';

const refusal = (code: string, redial: 'held' | 'backoff' = 'held'): LinkRefusalStatus => ({ code, reason: `certificate ${code === 'SVCNET_ERR_CERT_REVOKED' ? 'revoked' : 'refused'}`, by: 'alpha', at: '2026-01-01T00:00:00.000Z', redial, ...(redial === 'backoff' ? { retryAt: '2026-01-01T00:00:02.000Z' } : {}) });
const link = (r?: LinkRefusalStatus, name = 'to-alpha'): LinkStatus => ({ name, direction: 'outbound', status: r ? 'refused' : 'ready', message: '', refusal: r });

test('each new refusal is one LINK_REFUSED event with its code; repeats and other types are not', () => {
  const hub = new WatchHub();
  const events: Event[] = [];
  hub.subscribe(['LINK_REFUSED'], (e) => { if (e.type !== 'SYNC') events.push(e); });
  const r = new RefusalEvents(hub);
  r.update([link()]);
  assert.is(events.length, 0, 'a ready link');
  r.update([link(refusal('SVCNET_ERR_CERT_REVOKED'))]);
  r.update([link(refusal('SVCNET_ERR_CERT_REVOKED'))]);
  assert.is(events.length, 1, 'one event for a refusal seen in two reports');
  assert.equal(events[0].link, { name: 'to-alpha', direction: 'outbound', peerSite: 'alpha', reason: 'certificate revoked; not redialed until its credentials change', code: 'SVCNET_ERR_CERT_REVOKED' });
  r.update([link(refusal('SVCNET_ERR_POLICY_DENIED', 'backoff'))]);
  assert.is(events.length, 2, 'a new code');
  assert.match(events[1].link!.reason, /redialed with backoff \(next at 2026-01-01T00:00:02\.000Z\)/);
  r.update([link()]);
  r.update([link(refusal('SVCNET_ERR_POLICY_DENIED', 'backoff'))]);
  assert.is(events.length, 3, 'refused again after the link was up');
  r.update([link(refusal('SVCNET_ERR_POLICY_DENIED', 'backoff')), link(refusal('SVCNET_ERR_CERT_REVOKED'), 'to-beta')]);
  assert.equal(events.map((e) => e.link!.name), ['to-alpha', 'to-alpha', 'to-alpha', 'to-beta']);
  assert.ok(events.every((e) => e.type === 'LINK_REFUSED'));
});

test('nobody watching: nothing is built', () => {
  const hub = new WatchHub();
  const r = new RefusalEvents(hub);
  r.update([link(refusal('SVCNET_ERR_CERT_REVOKED'))]);
  const events: Event[] = [];
  hub.subscribe([], (e) => events.push(e));
  r.update([link(refusal('SVCNET_ERR_CERT_REVOKED'))]);
  assert.equal(events.map((e) => e.type), ['SYNC'], 'the refusal was announced (to nobody) already');
});

test.run();
