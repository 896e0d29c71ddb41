// /metrics (prom-client registry, control/console/metrics.ts): refusals by code and event-loop
// stalls next to the flow counters; issue 12: flow families from the engine's batches, stall units
// in seconds, a link's peer label kept while it is down, capped label values, and the exposition
// checked by `promtool check metrics` (Debian package prometheus) when it is installed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { SiteMetrics } from '../../control/console/metrics.js';
import { LABEL_VALUES_MAX, OTHER } from '../../control/console/flow-metrics.js';
import type { RuntimeStatus } from '../../control/state/site-store.js';
import type { EngineStatus, FlowEndGroup } from '../../dataplane/port/report.js';
import { emptyRequestBuckets, requestBucket } from '../../common/request-seconds.js';

const dp = { counters: { flowsOpened: 7, flowsFailed: 2, opensRefused: 5, illegalTransitions: 3 }, streamsActive: 3, eventLoop: { stalls: 1, longestMs: 450 }, memory: { rss: 0, heapUsed: 0 } } as unknown as EngineStatus;
const status = (extra: Partial<RuntimeStatus>): RuntimeStatus => ({
  pid: 1, updatedAt: '', site: { id: 'i', name: 'east' }, links: [{ name: 'to-west', direction: 'outbound', status: 'ready', peer: 'west' }],
  listeners: [], connectors: [], network: { sites: [] }, ...extra,
} as unknown as RuntimeStatus);
const metricsOf = (s: RuntimeStatus, e: EngineStatus | undefined = dp) => new SiteMetrics({ status: () => s, engine: () => e });

const ended = (g: Partial<FlowEndGroup>): FlowEndGroup => ({ key: 'db', role: 'listener', peerSite: 'west', outcome: 'closed', count: 1, seconds: [0.25], ttfbSeconds: [], ...g });

/** Durations counted as the engine counts them (flow-records.ts): buckets and their sum. */
const counted = (seconds: number[]) => {
  const buckets = emptyRequestBuckets();
  for (const x of seconds) buckets[requestBucket(x)]++;
  return { buckets, sumSeconds: seconds.reduce((a, b) => a + b, 0) };
};
const PROMTOOL = spawnSync('which', ['promtool']).status === 0;

/** promtool's verdict on an exposition (lint problems are reported on stdout/stderr, exit 1). */
function promtoolCheck(text: string): string {
  try { execFileSync('promtool', ['check', 'metrics'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] }); return ''; } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    return `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`.trim() || 'promtool failed';
  }
}

test('refusals by code, stalls and flows are exported in Prometheus text', async () => {
  const text = await metricsOf(status({ security: { refused: { SVCNET_ERR_CERT_REVOKED: 4, SVCNET_ERR_TOKEN_USED: 1 } }, eventLoop: { stalls: 2, longestMs: 930 } } as Partial<RuntimeStatus>)).text();
  assert.match(text, /^svcnet_refused_total\{code="SVCNET_ERR_CERT_REVOKED"\} 4$/m);
  assert.match(text, /^svcnet_refused_total\{code="SVCNET_ERR_TOKEN_USED"\} 1$/m);
  assert.match(text, /^svcnet_event_loop_stalls_total\{process="control"\} 2$/m);
  assert.match(text, /^svcnet_event_loop_stalls_total\{process="engine"\} 1$/m);
  assert.match(text, /^svcnet_flows_opened_total 7$/m);
  assert.match(text, /^svcnet_opens_refused_total 5$/m);
  assert.match(text, /^svcnet_illegal_transitions_total 3$/m, 'issue 11: illegal state moves are counted');
  assert.match(text, /^svcnet_link_up\{link="to-west",direction="outbound",peer_site="west"\} 1$/m);
});

test('issue 12: stalls are in seconds', async () => {
  const text = await metricsOf(status({ eventLoop: { stalls: 2, longestMs: 930 } } as Partial<RuntimeStatus>)).text();
  assert.match(text, /^svcnet_event_loop_longest_stall_seconds\{process="control"\} 0\.93$/m);
  assert.match(text, /^svcnet_event_loop_longest_stall_seconds\{process="engine"\} 0\.45$/m);
  assert.not.match(text, /_ms[{ ]/, 'no family in milliseconds');
});

test('a site with nothing refused and no stalls still exports both families, at zero', async () => {
  const text = await metricsOf(status({})).text();
  assert.match(text, /# TYPE svcnet_refused_total counter/);
  assert.match(text, /^svcnet_event_loop_stalls_total\{process="control"\} 0$/m);
});

test('issue 12: a link that goes down keeps its peer_site label (an alert on svcnet_link_up == 0 can fire)', async () => {
  let s = status({});
  const m = new SiteMetrics({ status: () => s, engine: () => dp });
  assert.match(await m.text(), /^svcnet_link_up\{link="to-west",direction="outbound",peer_site="west"\} 1$/m);
  s = status({ links: [{ name: 'to-west', direction: 'outbound', status: 'backoff', message: 'refused' }] } as Partial<RuntimeStatus>);
  const down = await m.text();
  assert.match(down, /^svcnet_link_up\{link="to-west",direction="outbound",peer_site="west"\} 0$/m);
  assert.is(down.split('\n').filter((l) => l.startsWith('svcnet_link_up{')).length, 1, 'one series, not a new one');
});

test('issue 12: svcnet_link_bytes_total per link and direction, from the engine\'s link status', async () => {
  const text = await metricsOf(status({ links: [{ name: 'to-west', direction: 'outbound', status: 'ready', message: '', peer: 'west', bytesIn: 500, bytesOut: 12 }] } as Partial<RuntimeStatus>)).text();
  assert.match(text, /^svcnet_link_bytes_total\{link="to-west",direction="in"\} 500$/m);
  assert.match(text, /^svcnet_link_bytes_total\{link="to-west",direction="out"\} 12$/m);
});

test('issue 12: flow batches feed svcnet_flows_total, svcnet_bytes_total and the duration and first-byte histograms', async () => {
  const m = metricsOf(status({}));
  m.flows.add({ ended: [ended({ ttfbSeconds: [0.003] }), ended({ outcome: 'no_route', role: 'connector', peerSite: 'north', seconds: [0] })], bytes: [{ key: 'db', role: 'listener', peerSite: 'west', toServer: 10, toClient: 20 }], overflow: 0 });
  m.flows.add({ ended: [], bytes: [{ key: 'db', role: 'listener', peerSite: 'west', toServer: 5, toClient: 0 }], overflow: 2 });
  const text = await m.text();
  assert.match(text, /^svcnet_flows_total\{routing_key="db",role="listener",peer_site="west",outcome="closed"\} 1$/m);
  assert.match(text, /^svcnet_flows_total\{routing_key="db",role="connector",peer_site="north",outcome="no_route"\} 1$/m);
  assert.match(text, /^svcnet_bytes_total\{routing_key="db",role="listener",peer_site="west",direction="to_server"\} 15$/m);
  assert.match(text, /^svcnet_bytes_total\{routing_key="db",role="listener",peer_site="west",direction="to_client"\} 20$/m);
  assert.match(text, /^svcnet_flow_duration_seconds_sum\{routing_key="db",role="listener"\} 0\.25$/m);
  assert.match(text, /^svcnet_flow_duration_seconds_bucket\{le="0\.5",routing_key="db",role="listener"\} 1$/m);
  assert.match(text, /^svcnet_flow_first_byte_seconds_count\{routing_key="db",role="listener"\} 1$/m);
  assert.match(text, /^svcnet_flow_samples_overflow_total 2$/m);
});

test('issue 13: observed HTTP requests feed svcnet_http_requests_total, svcnet_http_request_duration_seconds and the fallback counter', async () => {
  const m = metricsOf(status({}));
  m.flows.add({ ended: [], bytes: [], overflow: 0, http: [{ key: 'web', method: 'GET', statusClass: '2xx', count: 3, ...counted([0.002, 0.004, 0.3]) }, { key: 'web', method: 'POST', statusClass: 'none', count: 1, ...counted([1]) }] });
  m.flows.add({ ended: [], bytes: [], overflow: 0, http: [{ key: 'web', method: 'GET', statusClass: '2xx', count: 1, ...counted([0.01]) }], httpErrors: [{ key: 'web', reason: 'malformed_request', count: 2 }] });
  const text = await m.text();
  assert.match(text, /^svcnet_http_requests_total\{routing_key="web",method="GET",status_class="2xx"\} 4$/m);
  assert.match(text, /^svcnet_http_requests_total\{routing_key="web",method="POST",status_class="none"\} 1$/m);
  assert.match(text, /^svcnet_http_request_duration_seconds_count\{routing_key="web",method="GET",status_class="2xx"\} 4$/m);
  assert.match(text, /^svcnet_http_request_duration_seconds_bucket\{le="0\.005",routing_key="web",method="GET",status_class="2xx"\} 2$/m);
  assert.match(text, /^svcnet_http_request_duration_seconds_bucket\{le="0\.01",routing_key="web",method="GET",status_class="2xx"\} 3$/m, 'buckets are cumulative, over both batches');
  assert.match(text, /^svcnet_http_request_duration_seconds_bucket\{le="0\.25",routing_key="web",method="GET",status_class="2xx"\} 3$/m);
  assert.match(text, /^svcnet_http_request_duration_seconds_bucket\{le="\+Inf",routing_key="web",method="GET",status_class="2xx"\} 4$/m);
  assert.match(text, /^svcnet_http_request_duration_seconds_sum\{routing_key="web",method="GET",status_class="2xx"\} 0\.316$/m);
  assert.match(text, /^svcnet_http_request_duration_seconds_bucket\{le="0\.5",routing_key="web",method="POST",status_class="none"\} 0$/m);
  assert.match(text, /^svcnet_http_request_duration_seconds_bucket\{le="1",routing_key="web",method="POST",status_class="none"\} 1$/m, 'a bound is inclusive (le)');
  assert.match(text, /^svcnet_http_observer_fallbacks_total\{routing_key="web",reason="malformed_request"\} 2$/m);
});

test('issue 12: routing keys chosen by peers get at most LABEL_VALUES_MAX label values', async () => {
  const m = metricsOf(status({}));
  m.flows.add({ ended: Array.from({ length: LABEL_VALUES_MAX + 50 }, (_, i) => ended({ key: `k${i}`, outcome: 'no_route' })), bytes: [], overflow: 0 });
  const text = await m.text();
  const keys = new Set([...text.matchAll(/^svcnet_flows_total\{routing_key="([^"]*)"/gm)].map((x) => x[1]));
  assert.is(keys.size, LABEL_VALUES_MAX + 1);
  assert.match(text, new RegExp(`^svcnet_flows_total\\{routing_key="${OTHER}",role="listener",peer_site="west",outcome="no_route"\\} 50$`, 'm'));
});

test('issue 12: the exposition passes promtool check metrics (process metrics and flow families included)', async () => {
  const m = new SiteMetrics({ status: () => status({ security: { refused: { SVCNET_ERR_CERT_REVOKED: 1 } } } as Partial<RuntimeStatus>), engine: () => dp }, { processMetrics: true });
  m.flows.add({ ended: [ended({ ttfbSeconds: [0.002] })], bytes: [{ key: 'db', role: 'listener', peerSite: 'west', toServer: 1, toClient: 1 }], overflow: 0,
    http: [{ key: 'web', method: 'GET', statusClass: '2xx', count: 1, ...counted([0.01]) }], httpErrors: [{ key: 'web', reason: 'malformed_request', count: 1 }] });
  const text = await m.text();
  assert.match(text, /^svcnet_http_requests_total\{/m, 'issue 13: the HTTP families are in the checked exposition');
  assert.match(text, /^process_cpu_user_seconds_total /m);
  assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  if (!PROMTOOL) { console.log('# promtool not installed (apt-get install prometheus; .ci/run does): exposition parsed only'); }
  else assert.is(promtoolCheck(text), '');
  // Parsed either way: every sample line is NAME{labels} VALUE of a family with a TYPE.
  const typed = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((x) => x[1]));
  for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
    const mm = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/i.exec(line);
    assert.ok(mm, `a sample line: ${line}`);
    const base = mm![1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(typed.has(mm![1]) || typed.has(base), `${mm![1]} has a TYPE`);
  }
});

test('issue 12: promtool flags what the check is for (a counter without _total), so the check can fail', () => {
  if (!PROMTOOL) return;
  assert.match(promtoolCheck('# HELP bad_counter x\n# TYPE bad_counter counter\nbad_counter 1\n'), /_total/);
});

test.run();
