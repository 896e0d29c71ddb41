// Issue 12 item 3 over a real running site: /api/events pushes the status when it changes (a
// listener created through the CLI arrives with no request from the client), refuses streams past
// its cap with 503, forgets a closed stream at once, answers only the console's own Host; and the
// page in a real browser (Debian chromium) shows a new listener without reload and without polling,
// and polls only when the stream is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import http from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { EVENT_LIMITS } from '../../control/console/status-events.js';
import { freePorts } from '../helpers/ports.js';
import { runSite, stopAll, svcnetOk, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const root = tempDir('svcnet-live-');
const S = `${root}/site`;
let ports: number[];
let consolePort: number;
let browser: Browser | undefined;

/** An open /api/events stream read by a plain HTTP client: the events so far, and how to close it. */
interface Stream { status: number; events: { event: string; data: string }[]; comments: number; close(): void }
function openEvents(host = `127.0.0.1:${consolePort}`): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: consolePort, path: '/api/events', headers: { host, accept: 'text/event-stream' }, agent: false, timeout: 10_000 }, (res) => {
      const s: Stream = { status: res.statusCode!, events: [], comments: 0, close: () => req.destroy() };
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          if (block.startsWith(':')) { s.comments++; continue; }
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = [...block.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join('\n');
          s.events.push({ event, data });
        }
      });
      res.on('error', () => {});
      resolve(s);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', reject);
    req.end();
  });
}
const eventStreams = async (): Promise<number> => ((await (await fetch(`http://127.0.0.1:${consolePort}/api/status`)).json()) as { console: { eventStreams: number } }).console.eventStreams;
const listenerIn = (data: string, name: string): boolean => (JSON.parse(data) as { listeners: { name: string }[] }).listeners.some((l) => l.name === name);

test.before(async () => {
  ports = await freePorts(4);
  consolePort = ports[0];
  await svcnetOk(['site', 'create', 'live', '--dir', S, '--console-port', String(consolePort)]);
  runSite(S);
  await waitFor('site running', () => runtimeStatus(S));
  await waitFor('console up', async () => (await fetch(`http://127.0.0.1:${consolePort}/healthz`)).ok);
});
test.after(async () => {
  await browser?.close();
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 12: a listener created through the CLI reaches an open event stream with no request from the client', async () => {
  const s = await openEvents();
  assert.is(s.status, 200);
  await waitFor('the first status event', () => s.events.length > 0, 5000);
  assert.is(s.events[0].event, 'status');
  assert.not.ok(listenerIn(s.events[0].data, 'pushed'));
  await svcnetOk(['listener', 'create', 'pushed', String(ports[1]), '--routing-key', 'pushed', '--host', '127.0.0.1', '--dir', S]);
  const e = await waitFor('a status event with the new listener', () => s.events.find((x) => x.event === 'status' && listenerIn(x.data, 'pushed')), 10_000);
  assert.is(JSON.parse(e.data).site.name, 'live');
  s.close();
});

test('issue 12: the stream count is capped (503 past it) and every closed stream is forgotten', async () => {
  await waitFor('no stream left from before', async () => (await eventStreams()) === 0, 5000);
  const streams: Stream[] = [];
  for (let i = 0; i < EVENT_LIMITS.maxClients; i++) streams.push(await openEvents());
  assert.ok(streams.every((s) => s.status === 200));
  assert.is(await eventStreams(), EVENT_LIMITS.maxClients);
  const refused = await openEvents();
  assert.is(refused.status, 503);
  refused.close();
  for (const s of streams) s.close();
  await waitFor('every stream forgotten after the clients hung up', async () => (await eventStreams()) === 0, 5000);
  const again = await openEvents();
  assert.is(again.status, 200, 'places are free again');
  again.close();
});

test('issue 12: the event stream answers only the console\'s own Host (DNS rebinding)', async () => {
  const s = await openEvents(`evil.example:${consolePort}`);
  assert.is(s.status, 403);
  s.close();
});

test('issue 12: the page shows a new listener without reload and makes no periodic request to /api/status', async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
  const page = await browser.newPage();
  const statusRequests: number[] = [];
  const failed: string[] = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/status') statusRequests.push(Date.now()); });
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
  await page.goto(`http://127.0.0.1:${consolePort}/`, { timeout: 10_000 });
  await page.waitForFunction(() => /pushed/.test(document.getElementById('services')?.textContent ?? ''), undefined, { timeout: 10_000 });
  await page.waitForTimeout(3000);
  assert.equal(statusRequests, [], 'no request to /api/status in 3 s: the page follows /api/events');
  await svcnetOk(['listener', 'create', 'arrived', String(ports[2]), '--routing-key', 'arrived', '--host', '127.0.0.1', '--dir', S]);
  await page.waitForFunction(() => /arrived/.test(document.getElementById('services')?.textContent ?? ''), undefined, { timeout: 10_000 });
  assert.match(await page.textContent('#updated') ?? '', /^updated /, 'not in the polling fallback');
  assert.equal([statusRequests, failed], [[], []]);
  await page.close();
  await waitFor('the page\'s stream forgotten once the tab closed', async () => (await eventStreams()) === 0, 5000);
});

test('issue 12: when the stream is refused (all places taken), the page falls back to polling and still shows the site', async () => {
  const streams: Stream[] = [];
  for (let i = 0; i < EVENT_LIMITS.maxClients; i++) streams.push(await openEvents());
  const page = await browser!.newPage();
  let polls = 0;
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/status') polls++; });
  await page.goto(`http://127.0.0.1:${consolePort}/`, { timeout: 10_000 });
  await page.waitForFunction(() => /\(polling\)/.test(document.getElementById('updated')?.textContent ?? '') && /site live/.test(document.getElementById('site')?.textContent ?? ''), undefined, { timeout: 10_000 });
  await page.waitForTimeout(2500);
  assert.ok(polls >= 2, `the page polls /api/status (${polls} requests)`);
  await page.close();
  for (const s of streams) s.close();
  await waitFor('every stream forgotten', async () => (await eventStreams()) === 0, 5000);
});

test.run();
