// The console's edges as pure functions (issue 10 #10, #12): which Host headers it answers, and
// /metrics label values that come from peers (a linked site's name) escaped for the text format.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostAllowed } from '../../control/console/host-check.js';
import { SiteMetrics } from '../../control/console/metrics.js';
import type { RuntimeStatus } from '../../control/state/site-store.js';
import type { EngineStatus } from '../../dataplane/port/report.js';

test('issue 10 #12: only the console\'s own port on a loopback name (or its bound host) is answered', () => {
  const cases: [string | undefined, boolean][] = [
    ['127.0.0.1:8080', true], ['localhost:8080', true], ['LocalHost:8080', true], ['localhost.:8080', true], ['[::1]:8080', true],
    ['127.0.0.1', false], ['127.0.0.1:8081', false], ['evil.example:8080', false], ['evil.example', false], ['localhost.evil.example:8080', false],
    ['127.0.0.1.nip.io:8080', false], ['[::ffff:7f00:1]:8080', false], ['127.0.0.1:8080:80', false], ['user@127.0.0.1:8080', false], ['', false], [undefined, false],
  ];
  for (const [host, ok] of cases) assert.is(hostAllowed(host, 8080), ok, String(host));
  assert.ok(hostAllowed('localhost', 80), 'port 80 may be left out');
  assert.ok(hostAllowed('console.lan:8080', 8080, 'console.lan'));
  assert.not.ok(hostAllowed('console.lan:8080', 8080));
});

test('issue 10 #10: a peer name with a newline or quote cannot add lines to /metrics', async () => {
  const dp = { counters: { flowsOpened: 0, flowsFailed: 0, opensRefused: 0 }, streamsActive: 0, eventLoop: { stalls: 0, longestMs: 0 }, memory: { rss: 0, heapUsed: 0 } } as unknown as EngineStatus;
  const s = { pid: 1, updatedAt: '', site: { id: 'i', name: 'east' }, listeners: [], connectors: [], network: { sites: [] },
    links: [{ name: 'in', direction: 'inbound', status: 'ready', message: '', peer: 'x"} 1\nsvcnet_flows_opened_total 1e9\n#' }] } as unknown as RuntimeStatus;
  const text = await new SiteMetrics({ status: () => s, engine: () => dp }).text();
  assert.is(text.split('\n').filter((l) => l.startsWith('svcnet_flows_opened_total')).length, 1, text);
  assert.match(text, /^svcnet_link_up\{link="in",direction="inbound",peer_site="x\\"} 1\\nsvcnet_flows_opened_total 1e9\\n#"\} 1$/m);
});

test.run();
