// Issue 12, the console bugs, in a real headless browser (Debian chromium via playwright-core): a
// listener and a connector with the same name each show their own flow rate; 63-character names
// stay inside the page; at 700 px wide the sections do not overlap; /favicon.ico is served, so
// loading the page asks for nothing that fails. Screenshots go to $SVCNET_ARTIFACTS (or a temp dir).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createConsoleApp } from '../../control/console/app.js';
import { StatusEvents } from '../../control/console/status-events.js';
import type { RuntimeStatus } from '../../control/state/site-store.js';
import type { FlowQuery, FlowRecord } from '../../dataplane/port/report.js';
import type { NetworkTraffic } from '../../control/console/traffic-view.js';
import { ServiceHistory } from '../../control/console/service-history.js';
import { freePorts } from '../helpers/ports.js';
import { tempDir } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = process.env.SVCNET_ARTIFACTS ?? tempDir('svcnet-console-');
/** 63 characters: the longest DNS label, and the longest resource name svcnet accepts. */
const long = (prefix: string) => (prefix + '-' + 'x'.repeat(63)).slice(0, 63);

let calls = 0;
/** Every status read (a poll or an event): one second later, the listener "db" opened 10 more flows, the connector "db" none. */
function status(): RuntimeStatus {
  calls++;
  const site = long('site-with-a-long-name');
  return {
    pid: 1, updatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, calls)).toISOString(),
    site: { id: 'me', name: site },
    links: [{ name: long('link'), direction: 'outbound', status: 'ready', message: long('message'), peer: long('peer-site'), cost: 1 }],
    listeners: [
      { name: 'db', routingKey: 'db', port: 5432, status: 'ready', message: '', flowsActive: 1, flowsOpened: 10 * calls },
      { name: long('listener'), routingKey: long('routing-key'), port: 8080, status: 'ready', message: '', flowsActive: 0, flowsOpened: 0 },
    ],
    connectors: [
      { name: 'db', routingKey: 'db', host: '127.0.0.1', port: 5432, ready: true, message: '', flowsActive: 0, flowsOpened: 0 },
      { name: long('connector'), routingKey: long('routing-key'), host: long('host'), port: 80, ready: true, message: long('message'), flowsActive: 0, flowsOpened: 0 },
    ],
    network: { sites: [
      { id: 'me', name: site, cost: 0, links: [{ peer: 'p', cost: 1 }], keys: ['db', long('routing-key')] },
      { id: 'p', name: long('peer-site'), cost: 1, links: [{ peer: 'me', cost: 1 }], keys: [long('another-key')] },
    ] },
  } as RuntimeStatus;
}

/** The flow records the fake engine holds, and the queries the console asked. */
const queries: FlowQuery[] = [];
const RECORDS: FlowRecord[] = [
  { id: 'a1', role: 'listener', key: long('routing-key'), listenerSite: long('site-with-a-long-name'), connectorSite: long('peer-site'), peerSite: long('peer-site'), endpoint: long('listener'), client: '127.0.0.1:40000', target: '', startedAt: Date.UTC(2026, 0, 1), endedAt: Date.UTC(2026, 0, 1, 0, 0, 1), bytesToServer: 2048, bytesToClient: 3 * 1048576, ttfbMs: 4.25, outcome: 'closed' },
  { id: 'b2', role: 'listener', key: 'db', listenerSite: 'me', connectorSite: 'west', peerSite: 'west', endpoint: 'db', client: '127.0.0.1:40001', target: '', startedAt: Date.UTC(2026, 0, 1), endedAt: Date.UTC(2026, 0, 1), bytesToServer: 0, bytesToClient: 0, outcome: 'refused', error: 'connect ECONNREFUSED' },
];
async function flowRecords(q: FlowQuery): Promise<FlowRecord[]> {
  queries.push(q);
  return RECORDS.filter((r) => !q.outcome || r.outcome === q.outcome);
}

/** The network's traffic (issue 12 item 2): this site fresh with a busy link to the peer, the peer stale. */
function trafficView(): NetworkTraffic {
  const keyRow = { key: long('routing-key'), role: 'connector' as const, peerSite: long('peer-site'), opened: 40, active: 2, failed: 1, bytesToServer: 3 << 20, bytesToClient: 5 << 20, rateToServer: 2048, rateToClient: 4096, ttfbP50Ms: 1.5, ttfbP99Ms: 12.25 };
  const link = { name: long('link'), direction: 'outbound' as const, peer: long('peer-site'), up: true, bytesIn: 1 << 30, bytesOut: 2 << 20, rateIn: 3 << 20, rateOut: 1024 };
  return {
    at: new Date().toISOString(), staleIntervals: 3,
    sites: [
      { id: 'me', name: long('site-with-a-long-name'), self: true, reachable: true, stale: false, staleNodes: [], ageMs: 100, intervalMs: 5000, omitted: 0, keys: [keyRow], links: [link] },
      { id: 'p', name: long('peer-site'), self: false, reachable: false, stale: true, staleNodes: [], ageMs: 16_000, intervalMs: 5000, omitted: 0, keys: [{ ...keyRow, key: long('another-key'), peerSite: long('site-with-a-long-name') }], links: [] },
    ],
    services: [{ key: long('routing-key'), sites: [long('site-with-a-long-name')], opened: 40, active: 2, failed: 1, bytesToServer: 3 << 20, bytesToClient: 5 << 20, rateToServer: 2048, rateToClient: 4096, ttfbP50Ms: 1.5, ttfbP99Ms: 12.25, stale: false,
      listeners: [{ site: long('peer-site'), ready: 1, total: 2, active: 1, opened: 5, failed: 3, rate: 1024, stale: true }],
      connectors: [{ site: long('site-with-a-long-name'), ready: 1, total: 1, active: 2, opened: 40, failed: 1, rate: 6144, stale: false }] }],
  };
}

let server: ServerType;
let port: number;
/** the page follows /api/events: the fake site publishes its status every 500 ms, as a site does */
const events = new StatusEvents(status);
const trafficEvents = new StatusEvents(trafficView, {}, 'traffic');
const history = new ServiceHistory();
const publishing = setInterval(() => events.changed(), 500);
let browser: Browser | undefined;

test.before(async () => {
  [port] = await freePorts(1);
  // Two reports 10 s apart: the network's totals of the long key grew (the charts' data).
  const t = Date.now();
  const grown = (n: number) => { const v = trafficView(); v.services = v.services.map((x) => ({ ...x, opened: x.opened + 50 * n, failed: x.failed + 10 * n, bytesToServer: x.bytesToServer + 10_000_000 * n, bytesToClient: x.bytesToClient + 20_000_000 * n })); return v; };
  history.record(grown(0), t - 20_000);
  history.record(grown(1), t - 10_000);
  history.record(grown(2), t);
  const app = createConsoleApp({ status, metrics: () => '', flows: flowRecords, port, events, traffic: trafficView, trafficEvents, history });
  await new Promise<void>((resolve) => { server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve()); });
});
test.after(async () => {
  clearInterval(publishing);
  events.close();
  trafficEvents.close();
  await browser?.close();
  await new Promise((r) => server.close(r));
});

/** A page at `width` px, loaded and drawn twice (so rates exist); every failed response is kept. */
async function open(width: number): Promise<{ page: Page; failed: string[] }> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const failed: string[] = [];
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
  page.on('requestfailed', (r) => failed.push(`failed ${r.url()}`));
  await page.goto(`http://127.0.0.1:${port}/`, { timeout: 10_000 });
  await page.waitForFunction(() => /\d+\.\d/.test(document.getElementById('traffic')?.textContent ?? ''), undefined, { timeout: 10_000 });
  await page.waitForTimeout(300); // the favicon request follows the load
  return { page, failed };
}

/** Sections that overlap each other, and anything wider than the window. */
async function layout(page: Page) {
  return page.evaluate(() => {
    const rects = [...document.querySelectorAll('main > section')].map((s) => s.getBoundingClientRect());
    const overlaps: string[] = [];
    rects.forEach((a, i) => rects.slice(i + 1).forEach((b, j) => {
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) overlaps.push(`${i}/${i + j + 1}`);
    }));
    const overflowing = [...document.querySelectorAll('main > section, header')].filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.querySelector('h2')?.textContent ?? s.tagName);
    return { overlaps, overflowing, pageWidth: document.documentElement.scrollWidth, window: window.innerWidth };
  });
}

test('issue 12: /favicon.ico is an icon, and loading the page asks for nothing that fails', async () => {
  const r = await fetch(`http://127.0.0.1:${port}/favicon.ico`);
  assert.is(r.status, 200);
  assert.is(r.headers.get('content-type'), 'image/x-icon');
  const body = Buffer.from(await r.arrayBuffer());
  assert.equal([...body.subarray(0, 4)], [0, 0, 1, 0], 'an ICO header');
  if (!fs.existsSync(CHROMIUM)) { assert.unreachable(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`); return; }
  const { page, failed } = await open(1280);
  assert.equal(failed, []);
  await page.close();
});

test('issue 12: a listener and a connector named alike each show their own flow rate', async () => {
  const { page } = await open(1280);
  const rows = await page.evaluate(() => [...document.querySelectorAll('#traffic tr')].map((tr) => [...tr.children].map((td) => td.textContent)));
  const listener = rows.find((r) => r[0]?.startsWith('db ') && r[1] === 'listener')!;
  const connector = rows.find((r) => r[0]?.startsWith('db ') && r[1] === 'connector')!;
  assert.is(listener[4], '10.0', 'the listener opened 10 flows a second');
  assert.is(connector[4], '0.0', 'the connector opened none');
  await page.close();
});

test('issue 12: the flows table shows the records and asks for the outcome chosen in its filter', async () => {
  const { page } = await open(1280);
  await page.waitForFunction(() => (document.getElementById('flows')?.textContent ?? '').includes('refused'), undefined, { timeout: 5000 });
  const rows = async () => page.evaluate(() => [...document.querySelectorAll('#flows tr')].slice(1).map((tr) => [...tr.children].map((td) => td.textContent)));
  const all = await rows();
  assert.is(all.length, 2);
  assert.equal(all[0].slice(1), ['listener', long('routing-key'), long('site-with-a-long-name'), long('peer-site'), '127.0.0.1:40000', '2.0 KiB', '3.0 MiB', '4.3 ms', 'closed']);
  await page.selectOption('#f-outcome', 'refused');
  await page.waitForFunction(() => document.querySelectorAll('#flows tr').length === 2, undefined, { timeout: 5000 });
  assert.equal((await rows()).map((r) => r[9]), ['refused']);
  assert.is(queries.at(-1)!.outcome, 'refused', 'the filter reaches the query');
  await page.close();
});

test('issue 12: the graph draws the link\'s rate from the traffic view; services show network totals; every site\'s rows are listed, stale marked', async () => {
  const { page } = await open(1280);
  await page.waitForFunction(() => (document.getElementById('network-traffic')?.textContent ?? '').includes('stale'), undefined, { timeout: 10_000 });
  const graph = await page.evaluate(() => document.getElementById('graph')?.textContent ?? '');
  assert.match(graph, /1 \u00b7 3\.0 MiB\/s/, 'the link between this site and its peer is labelled with its rate');
  const services = await page.evaluate(() => document.getElementById('services')?.textContent ?? '');
  assert.match(services, /2 open, 40 flows, 1 failed, 8\.0 MiB, 6\.0 KiB\/s/);
  // Each key's listener and connector sites: readiness, rate, failed flows, stale marked, linked to their pages.
  const ends = await page.evaluate((k) => { const tr = [...document.querySelectorAll('#services tr')].find((r) => r.children[0]?.textContent === k)!; return [1, 2].map((i) => [...tr.children[i].querySelectorAll('div.end')].map((d) => [d.textContent, d.querySelector('a')?.getAttribute('href')])); }, long('routing-key'));
  assert.equal(ends, [
    [[`${long('site-with-a-long-name')} ${long('listener')}:8080 ready`, `#/site/${long('site-with-a-long-name')}`], [`${long('peer-site')} 1/2 ready \u00b7 1.0 KiB/s, 3 failed stale`, `#/site/${long('peer-site')}`]],
    [[`${long('site-with-a-long-name')} 1/1 ready (cost 0) \u00b7 6.0 KiB/s, 1 failed`, `#/site/${long('site-with-a-long-name')}`]],
  ]);
  const rows = await page.evaluate(() => [...document.querySelectorAll('#network-traffic tr')].slice(1).map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.ok(rows.some((r) => r[0]!.includes('stale 16 s, unreachable') && r[1] === long('another-key')), JSON.stringify(rows));
  assert.ok(rows.some((r) => r[1] === `link ${long('link')}` && r[9] === '3.0 MiB/s'));
  assert.is(rows.filter((r) => r[0]!.endsWith('fresh')).length, 2, 'each of this site\'s rows says it is fresh');
  await page.close();
});

for (const width of [1280, 700]) {
  test(`issue 12: at ${width} px, 63-character names stay inside their sections and no section overlaps another`, async () => {
    const { page } = await open(width);
    const l = await layout(page);
    await page.screenshot({ path: path.join(ARTIFACTS, `console-${width}.png`), fullPage: true });
    assert.equal(l.overlaps, [], 'overlapping sections');
    assert.equal(l.overflowing, [], 'sections wider than their box');
    assert.ok(l.pageWidth <= l.window, `the page is ${l.pageWidth} px wide in a ${l.window} px window`);
    const text = await page.evaluate(() => document.body.textContent ?? '');
    for (const n of [long('listener'), long('connector'), long('peer-site')]) assert.ok(text.includes(n), `${n} is shown whole`);
    await page.close();
  });
}

for (const width of [1280, 700]) {
  test(`issue 12: site pages at ${width} px with 63-character names: inside the window, no section overlaps another`, async () => {
    const { page } = await open(width);
    for (const [name, tag] of [[long('site-with-a-long-name'), 'self'], [long('peer-site'), 'peer']]) {
      await page.evaluate((n) => { location.hash = '#/site/' + encodeURIComponent(n); }, name);
      await page.waitForFunction((n) => document.getElementById('sp-name')?.textContent === n && document.querySelectorAll('#sp-links tr').length > 1 && document.querySelectorAll('#sp-flows tr').length > 1, name, { timeout: 5000 });
      const l = await layout(page);
      await page.screenshot({ path: path.join(ARTIFACTS, `console-site-${tag}-${width}.png`), fullPage: true });
      assert.equal(l.overlaps, [], 'overlapping sections');
      assert.equal(l.overflowing, [], 'sections wider than their box');
      assert.ok(l.pageWidth <= l.window, `the page is ${l.pageWidth} px wide in a ${l.window} px window`);
      const text = await page.evaluate(() => document.getElementById('site-page')?.textContent ?? '');
      for (const n of [name, long('peer-site'), long('site-with-a-long-name')]) assert.ok(text.includes(n), `${n} is shown whole`);
    }
    await page.close();
  });
}

test('issue 12: a service\'s last 15 minutes are charted: flows/s with failures, bytes/s each way, time to first byte', async () => {
  const { page } = await open(1280);
  await page.waitForFunction(() => document.querySelectorAll('#chart-flows polyline').length === 2, undefined, { timeout: 10_000 });
  const c = await page.evaluate(() => ({
    keys: [...document.querySelectorAll('#chart-key option')].map((o) => (o as HTMLOptionElement).value),
    lines: ['chart-flows', 'chart-bytes', 'chart-ttfb'].map((id) => document.querySelectorAll(`#${id} polyline`).length),
    flowsMax: document.querySelector('#chart-flows text')?.textContent,
    bytesMax: document.querySelector('#chart-bytes text')?.textContent,
  }));
  assert.equal(c.keys, [long('routing-key')]);
  assert.equal(c.lines, [2, 2, 2]);
  assert.is(c.flowsMax, 'max 5.00', '50 flows in 10 s');
  assert.is(c.bytesMax, 'max 1.9 MiB/s', '20,000,000 bytes to the client in 10 s');
  await page.screenshot({ path: path.join(ARTIFACTS, 'console-charts.png'), fullPage: true });
  await page.close();
});

test.run();
