// /metrics text: refusals by code and event-loop stalls are exported next to the flow counters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMetrics } from '../../control/console/metrics.js';
import type { RuntimeStatus } from '../../control/state/site-store.js';
import type { EngineStatus } from '../../dataplane/port/report.js';

const dp = { counters: { flowsOpened: 7, flowsFailed: 2, opensRefused: 5 }, streamsActive: 3, eventLoop: { stalls: 0, longestMs: 0 }, memory: { rss: 0, heapUsed: 0 } } as unknown as EngineStatus;
const status = (extra: Partial<RuntimeStatus>): RuntimeStatus => ({
  pid: 1, updatedAt: '', site: { id: 'i', name: 'east' }, links: [{ name: 'to-west', direction: 'outbound', status: 'ready', peer: 'west' }],
  listeners: [], connectors: [], network: { sites: [] }, ...extra,
} as unknown as RuntimeStatus);

test('refusals by code, stalls and flows are exported in Prometheus text', () => {
  const text = renderMetrics(status({ security: { refused: { SVCNET_ERR_CERT_REVOKED: 4, SVCNET_ERR_TOKEN_USED: 1 } }, eventLoop: { stalls: 2, longestMs: 930 } }), dp);
  assert.match(text, /^svcnet_refused_total\{code="SVCNET_ERR_CERT_REVOKED"\} 4$/m);
  assert.match(text, /^svcnet_refused_total\{code="SVCNET_ERR_TOKEN_USED"\} 1$/m);
  assert.match(text, /^svcnet_event_loop_stalls_total 2$/m);
  assert.match(text, /^svcnet_event_loop_longest_stall_ms 930$/m);
  assert.match(text, /^svcnet_flows_opened_total 7$/m);
  assert.match(text, /^svcnet_opens_refused_total 5$/m);
  assert.match(text, /^svcnet_link_ready\{link="to-west",direction="outbound",peer="west"\} 1$/m);
});

test('a site with nothing refused and no stalls still exports both families, at zero', () => {
  const text = renderMetrics(status({}), dp);
  assert.match(text, /# TYPE svcnet_refused_total counter/);
  assert.match(text, /^svcnet_event_loop_stalls_total 0$/m);
});

test.run();
