// Issue 12 item 5, the console in a real browser (Debian chromium via playwright-core) over three
// real sites on loopback, a chain A - B - C: a client at A uses two services, `hash` (a TCP server at
// C, two hops) and `web` (an HTTP/1.1 server at B, an http1 listener). A's console must show the three
// sites and both links, the hash service's byte and flow counters rising while traffic flows, the
// flows with their sites and outcomes, and the B-C link down within 3 s of C being killed.
// Screenshots go to $SVCNET_ARTIFACTS, else test-artifacts/ at the repo root (ignored by git).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { svcnetOk, runSite, kill, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { hashServer, pacedFlow } from '../helpers/tcp.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = process.env.SVCNET_ARTIFACTS ?? path.resolve('test-artifacts');
const root = tempDir('svcnet-browser-');
const [A, B, C] = ['a', 'b', 'c'].map((n) => path.join(root, n));
const env = { SVCNET_TRAFFIC_INTERVAL_MS: '1000', SVCNET_ROUTE_REFRESH_MS: '1000' };
const MiB = 1 << 20;
let ports: number[];
let siteC: ChildProcess;
let hash: net.Server;
let web: http.Server;
let browser: Browser | undefined;
let page: Page;
const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `console-browser-${name}.png`), fullPage: true });

test.before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  ports = await freePorts(7);
  await svcnetOk(['site', 'create', 'site-a', '--dir', A, '--console-port', String(ports[2])]);
  await svcnetOk(['site', 'create', 'site-b', '--dir', B, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'site-c', '--dir', C]);
  runSite(A, { env });
  runSite(B, { env });
  siteC = runSite(C, { env });
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B) && runtimeStatus(C), 20_000);
  for (const [dir, token] of [[A, 'ba.token'], [C, 'bc.token']]) {
    await svcnetOk(['token', 'issue', path.join(root, token), '--dir', B]);
    await svcnetOk(['token', 'redeem', path.join(root, token), '--dir', dir]);
  }
  hash = await hashServer(ports[3]);
  // The web service answers by path, so requests of several status classes cross it.
  web = http.createServer((req, res) => { res.statusCode = req.url === '/missing' ? 404 : req.url === '/boom' ? 503 : 200; res.end('svcnet\n'); });
  await new Promise<void>((r) => web.listen(ports[4], '127.0.0.1', r));
  await svcnetOk(['connector', 'create', 'hash', String(ports[3]), '--routing-key', 'hash', '--dir', C]);
  await svcnetOk(['connector', 'create', 'web', String(ports[4]), '--routing-key', 'web', '--type', 'http1', '--dir', B]);
  await svcnetOk(['listener', 'create', 'hash', String(ports[5]), '--routing-key', 'hash', '--host', '127.0.0.1', '--dir', A]);
  await svcnetOk(['listener', 'create', 'web', String(ports[6]), '--routing-key', 'web', '--type', 'http1', '--host', '127.0.0.1', '--dir', A]);
  await waitFor('both listeners ready at A', () => runtimeStatus(A)?.listeners.filter((l) => l.status === 'ready').length === 2, 20_000);
});

test.after(async () => {
  await browser?.close();
  await stopAll();
  hash?.close();
  web?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** One GET through A's web listener (a connection each); the status code. */
function get(urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: ports[6], path: urlPath, agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode!)); }).on('error', reject);
  });
}

/** The graph as drawn: site names, and each link line's ends (from its tooltip) and state. */
const graph = () => page.evaluate(() => ({
  sites: [...document.querySelectorAll('#graph circle.site')].map((c) => c.querySelector('title')?.textContent?.split(':')[0] ?? ''),
  links: [...document.querySelectorAll('#graph line.link')].map((l) => ({ title: l.querySelector('title')?.textContent ?? '', down: l.classList.contains('down'), dashed: l.hasAttribute('stroke-dasharray') })),
}));

/** A service's network totals as the services table shows them: "N open, N flows, N failed, SIZE, RATE". */
async function serviceFigures(key: string): Promise<{ flows: number; bytes: number } | undefined> {
  const text = await page.evaluate((k) => [...document.querySelectorAll('#services tr')].find((tr) => tr.children[0]?.textContent === k)?.children[3]?.textContent ?? '', key);
  const m = /(\d+) open, (\d+) flows, (\d+) failed, ([\d.]+) (B|KiB|MiB|GiB)/.exec(text);
  if (!m) return undefined;
  const unit = { B: 1, KiB: 1024, MiB: MiB, GiB: 1024 * MiB }[m[5] as 'B'];
  return { flows: Number(m[2]), bytes: Number(m[4]) * unit };
}

test('issue 12: the graph shows the three sites and their two links, up', async () => {
  if (!fs.existsSync(CHROMIUM)) { assert.unreachable(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`); return; }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`http://127.0.0.1:${ports[2]}/`, { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelectorAll('#graph circle.site').length === 3 && document.querySelectorAll('#graph line.link.up').length === 2, undefined, { timeout: 15_000 });
  const g = await graph();
  assert.equal(g.sites.sort(), ['site-a', 'site-b', 'site-c']);
  const ends = g.links.map((l) => l.title.split(':')[0].split(' \u2013 ').sort().join('-')).sort();
  assert.equal(ends, ['site-a-site-b', 'site-b-site-c'], 'a chain: A-B and B-C, no A-C');
  assert.ok(g.links.every((l) => !l.down && !l.dashed));
});

test('issue 12: a service\'s byte and flow counters rise while traffic flows through two hops', async () => {
  const first = pacedFlow(ports[5], 4 * MiB, 5000);
  const before = await waitFor('hash counted at A while the first flow runs', () => serviceFigures('hash').then((f) => (f && f.bytes > 0 ? f : undefined)), 10_000, 100);
  const second = pacedFlow(ports[5], 2 * MiB, 3000);
  await page.waitForFunction(([flows, bytes]) => {
    const text = [...document.querySelectorAll('#services tr')].find((tr) => tr.children[0]?.textContent === 'hash')?.children[3]?.textContent ?? '';
    const m = /(\d+) open, (\d+) flows, (\d+) failed, ([\d.]+) (B|KiB|MiB|GiB)/.exec(text);
    const unit = { B: 1, KiB: 1024, MiB: 1 << 20, GiB: 1 << 30 }[m?.[5] as 'B'];
    return m !== null && Number(m[2]) > flows && Number(m[4]) * unit > bytes;
  }, [before.flows, before.bytes], { timeout: 10_000 });
  const during = (await serviceFigures('hash'))!;
  assert.ok(during.flows > before.flows && during.bytes > before.bytes, `${JSON.stringify(before)} -> ${JSON.stringify(during)}`);
  await shot('traffic');
  // Each end of it, as the summaries share it: its listener at site-a and its connector at site-c, ready.
  const ends = () => page.evaluate(() => { const tr = [...document.querySelectorAll('#services tr')].find((r) => r.children[0]?.textContent === 'hash'); return [1, 2].map((i) => [...(tr?.children[i]?.querySelectorAll('div.end') ?? [])].map((d) => d.textContent ?? '')); });
  await page.waitForFunction(() => {
    const tr = [...document.querySelectorAll('#services tr')].find((r) => r.children[0]?.textContent === 'hash');
    return [...(tr?.children[2]?.querySelectorAll('div.end') ?? [])].some((d) => /^site-c 1\/1 ready/.test(d.textContent ?? ''));
  }, undefined, { timeout: 10_000 }).catch(async (err: Error) => { throw new Error(`${err.message}; hash's ends: ${JSON.stringify(await ends())}`); });
  const [listeners, connectors] = await ends();
  assert.ok(listeners.some((t) => /^site-a 1\/1 ready/.test(t)), JSON.stringify(listeners));
  assert.ok(connectors.some((t) => /^site-c 1\/1 ready/.test(t)), JSON.stringify(connectors));
  assert.not.ok([...listeners, ...connectors].some((t) => /^site-b /.test(t)), 'B only relays hash');
  for (const r of await Promise.all([first, second])) assert.ok(r.ok, r.detail);
  // The web service: a request of each class through the http1 listener.
  assert.equal([await get('/'), await get('/missing'), await get('/boom')], [200, 404, 503]);
});

test('issue 12: the flows table lists the flows with the right sites and outcomes', async () => {
  // One more flow, reset by its client once it reached the server.
  await new Promise<void>((resolve, reject) => {
    const c = net.connect(ports[5], '127.0.0.1', () => { c.write('x'); setTimeout(() => { c.resetAndDestroy(); resolve(); }, 500); });
    c.on('error', reject);
  });
  const rows = () => page.evaluate(() => [...document.querySelectorAll('#flows tr')].slice(1).map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  // started, role, key, listener site, connector site, client, to server, to client, first byte, outcome
  await page.waitForFunction(() => {
    const text = [...document.querySelectorAll('#flows tr')].map((tr) => tr.textContent).join('\n');
    return text.includes('reset_by_client') && (text.match(/web/g) ?? []).length >= 3;
  }, undefined, { timeout: 10_000 });
  const all = await rows();
  const of = (key: string) => all.filter((r) => r[2] === key);
  assert.is(of('hash').length, 3, JSON.stringify(all));
  assert.is(of('web').length, 3, JSON.stringify(all));
  for (const r of of('hash')) assert.equal([r[1], r[3], r[4]], ['listener', 'site-a', 'site-c']);
  for (const r of of('web')) assert.equal([r[1], r[3], r[4], r[9]], ['listener', 'site-a', 'site-b', 'closed']);
  assert.equal(of('hash').map((r) => r[9]).sort(), ['closed', 'closed', 'reset_by_client']);
  assert.ok(of('hash').filter((r) => r[9] === 'closed').every((r) => /MiB/.test(r[6])), 'the paced flows carried MiBs to the server');
  await shot('flows');
});

test('issue 12: the web service\'s HTTP requests by status class: in the services table and its chart', async () => {
  await page.waitForFunction(() => /HTTP 2xx 1, 4xx 1, 5xx 1/.test([...document.querySelectorAll('#services tr')].find((tr) => tr.children[0]?.textContent === 'web')?.textContent ?? ''), undefined, { timeout: 10_000 })
    .catch(async (err: Error) => { throw new Error(`${err.message}; A's services: ${JSON.stringify(((await (await fetch(`http://127.0.0.1:${ports[2]}/api/traffic`)).json()) as { services: unknown }).services)}`); });
  await page.waitForFunction(() => [...document.querySelectorAll('#chart-key option')].some((o) => (o as HTMLOptionElement).value === 'web'), undefined, { timeout: 15_000 });
  await page.selectOption('#chart-key', 'web');
  // The chart's rates start with the key's history: requests made now show on it.
  assert.equal([await get('/'), await get('/'), await get('/missing'), await get('/boom')], [200, 200, 404, 503]);
  await page.waitForFunction(() => document.querySelectorAll('#chart-http polyline, #chart-http circle').length > 0, undefined, { timeout: 10_000 })
    .catch(async (err: Error) => { throw new Error(`${err.message}; A's history of web: ${JSON.stringify(await (await fetch(`http://127.0.0.1:${ports[2]}/api/history?key=web`)).json())} chart: ${await page.evaluate(() => document.getElementById('chart-http')?.outerHTML)} sel ${await page.evaluate(() => (document.getElementById('chart-key') as HTMLSelectElement).value)}`); });
  const colours = await page.evaluate(() => [...document.querySelectorAll('#chart-http polyline, #chart-http circle')].map((e) => e.getAttribute('stroke') ?? e.getAttribute('fill')));
  for (const c of ['#137333', '#e8710a', '#b3261e']) assert.ok(colours.includes(c), `a 2xx, 4xx and 5xx line: ${colours}`);
  await shot('http-chart');
});

/** A site page table's rows, as text. */
const spRows = (id: string) => page.evaluate((i) => [...document.querySelectorAll(`#${i} tr`)].slice(1).map((tr) => [...tr.children].map((td) => td.textContent ?? '')), id);

test('issue 12: a site in the graph opens its page: links each way, endpoints, traffic per key and per peer, its flows', async () => {
  await page.locator('#graph text.site').filter({ hasText: 'site-b' }).click();
  // Seven web flows by now (a request a connection: three, then four for the chart), all ended.
  await page.waitForFunction(() => location.hash === '#/site/site-b' && document.querySelectorAll('#sp-links tr').length === 3 && document.querySelectorAll('#sp-flows tr').length === 8
    && [...document.querySelectorAll('#sp-endpoints tr')].some((tr) => tr.children[2]?.textContent === 'web' && tr.children[5]?.textContent === '0' && tr.children[6]?.textContent === '7'), undefined, { timeout: 10_000 });
  assert.ok(await page.isHidden('#network-page'), 'the network page is hidden');
  // link, direction, peer site, cost, state, rate in / out, bytes in / out
  const links = await spRows('sp-links');
  assert.equal(links.map((l) => l[2]).sort(), ['site-a', 'site-c']);
  for (const l of links) { assert.match(l[4], /^up/); assert.match(l[5], /\/s \/ .*\/s$/); assert.match(l[6], /MiB/, 'the hash flows crossed both of B\'s links'); }
  // kind, name, key, address, ready, open, flows, rates: another site's connector is ready when its routing record lists its key
  const endpoints = await spRows('sp-endpoints');
  assert.ok(endpoints.some((e) => e[0] === 'connector' && e[2] === 'web' && e[4] === '1/1 ready' && e[6] === '7'), JSON.stringify(endpoints));
  const keys = await spRows('sp-keys');
  assert.equal(keys.map((k) => `${k[0]} ${k[1]} ${k[3]}`).sort(), ['hash relay 3', 'web connector 7'], 'per key and role, flows opened');
  // Requests are observed at the listener's site (A), so B's connector row has none.
  assert.equal(keys.find((k) => k[0] === 'web')![7], '-');
  const peers = await spRows('sp-peers');
  assert.equal(peers.map((p) => p[0]).sort(), ['site-a', 'site-c']);
  // This site's flow records to or from site-b: the web flows, not the hash ones (A to C through B).
  const flows = await spRows('sp-flows');
  assert.equal(flows.map((f) => [f[2], f[3], f[4], f[9]]), Array(7).fill(['web', 'site-a', 'site-b', 'closed']));
  await shot('site-b');
  // A peer's name leads to its page; "Network" back to the network page.
  await page.locator('#sp-links a', { hasText: 'site-c' }).click();
  await page.waitForFunction(() => location.hash === '#/site/site-c' && [...document.querySelectorAll('#sp-endpoints tr')].some((tr) => /connector.*hash.*ready/.test(tr.textContent ?? '')), undefined, { timeout: 5000 });
  // This site's own page (the header's link): its web listener's requests by status class.
  await page.locator('#site a').click();
  await page.waitForFunction(() => location.hash === '#/site/site-a' && [...document.querySelectorAll('#sp-keys tr')].some((tr) => tr.children[0]?.textContent === 'web' && tr.children[1]?.textContent === 'listener' && tr.children[7]?.textContent === '2xx 3, 4xx 2, 5xx 2'), undefined, { timeout: 5000 });
  await page.locator('#site-page h2 a', { hasText: 'Network' }).click();
  await page.waitForFunction(() => !(document.getElementById('network-page') as HTMLElement).hidden, undefined, { timeout: 5000 });
});

test('issue 12: C killed, the B-C link is drawn down within 3 s; A-B stays up', async () => {
  const t0 = Date.now();
  await kill(siteC, 'SIGKILL');
  // The issue's bound, as the assertion: the DOM shows the link down within 3 s of the kill. The graph is
  // read in the same evaluation: with this test's 1 s route refresh, C's record is dropped 2 s after C
  // became unreachable, and the link goes with it, so a later look (after a slow screenshot) may miss it.
  const seen = await page.waitForFunction(() => {
    const links = [...document.querySelectorAll('#graph line.link')].map((l) => ({ title: l.querySelector('title')?.textContent ?? '', down: l.classList.contains('down'), dashed: l.hasAttribute('stroke-dasharray') }));
    return links.some((l) => l.down && /site-b/.test(l.title) && /site-c/.test(l.title)) ? links : false;
  }, undefined, { timeout: Math.max(1, 3000 - (Date.now() - t0)) });
  const took = Date.now() - t0;
  const links = (await seen.jsonValue()) as { title: string; down: boolean; dashed: boolean }[];
  await shot('link-down');
  const bc = links.find((l) => /site-b/.test(l.title) && /site-c/.test(l.title))!;
  const ab = links.find((l) => /site-a/.test(l.title) && /site-b/.test(l.title))!;
  assert.ok(bc.down && bc.dashed && /down/.test(bc.title), `B-C ${JSON.stringify(bc)} after ${took} ms`);
  assert.ok(ab && !ab.down, `A-B ${JSON.stringify(ab)}`);
});

test('issue 12: the page of the killed site says it is unreachable and its figures stale, and keeps them', async () => {
  await page.evaluate(() => { location.hash = '#/site/site-c'; });
  await page.waitForFunction(() => /unreachable.*stale/.test(document.getElementById('sp-state')?.textContent ?? ''), undefined, { timeout: 10_000 });
  const keys = await spRows('sp-keys');
  assert.ok(keys.some((k) => k[0] === 'hash' && k[1] === 'connector stale' && k[3] === '3'), JSON.stringify(keys));
  await shot('site-c-stale');
});

test.run();
