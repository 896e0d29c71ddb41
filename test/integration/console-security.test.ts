// Issue 10 #10 and #12 in a real headless browser: a status full of markup (a peer's name, a string
// cost from a HELLO, routing keys, link messages) is shown as text and runs no script; a request
// whose Host is not the console's own address (DNS rebinding) gets 403, in the browser and raw.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import http from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import { createConsoleApp } from '../../control/console/app.js';
import type { RuntimeStatus } from '../../control/state/site-store.js';
import { freePorts } from '../helpers/ports.js';

const CHROMIUM = '/usr/bin/chromium';
const X = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1;alert(1)">';
const S = '<svg onload="window.__pwned=(window.__pwned||0)+1">';

// What a hostile peer can put into this site's status: names, keys, messages, and a cost that is a string.
function hostileStatus(): RuntimeStatus {
  return {
    pid: process.pid, updatedAt: new Date().toISOString(),
    site: { id: 'me', name: `east${X}` },
    links: [
      { name: `in${X}`, direction: 'inbound', status: `ready${X}`, message: `msg${S}`, peer: `peer${X}`, cost: X as unknown as number },
      { name: 'nan', direction: 'outbound', status: 'ready', message: '', cost: Number.NaN },
    ],
    listeners: [{ name: `l${X}`, routingKey: `key${X}`, port: X as unknown as number, status: X, message: '', flowsActive: X as unknown as number, flowsOpened: 1 }],
    connectors: [{ name: `c${X}`, routingKey: `key${X}`, host: X, port: 1, ready: true, message: X, flowsActive: 0, flowsOpened: X as unknown as number }],
    network: { sites: [
      { id: 'me', name: `east${X}`, cost: 0, links: [{ peer: 'zz', cost: X as unknown as number }], keys: [`key${X}`] },
      { id: 'zz', name: `mallory${X}`, cost: X as unknown as number, links: [{ peer: 'me', cost: X as unknown as number }], keys: [S] },
    ] },
  };
}

let server: ServerType;
let port: number;
let otherPort: number;
let browser: Browser | undefined;

test.before(async () => {
  [port, otherPort] = await freePorts(2);
  const app = createConsoleApp({ status: hostileStatus, metrics: () => '# nothing\n', port });
  await new Promise<void>((resolve) => { server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve()); });
});
test.after(async () => {
  await browser?.close();
  await new Promise((r) => server.close(r));
});

/** A raw GET with exactly this Host header (fetch will not let a caller set Host). */
function get(pathName: string, host: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathName, headers: { host }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test('issue 10 #12: the console answers only Host headers naming its own address and port (DNS rebinding)', async () => {
  for (const p of ['/', '/console.js', '/api/status', '/metrics', '/healthz']) {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${otherPort}`, `localhost.evil.example:${port}`, '127.0.0.1', `127.0.0.2:${port}`]) {
      const r = await get(p, host);
      assert.is(r.status, 403, `${p} with Host ${host}`);
      assert.not.match(r.body, /east|mallory/, 'no data in the refusal');
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) assert.is((await get(p, host)).status, 200, `${p} with Host ${host}`);
  }
  const page = await get('/', `127.0.0.1:${port}`);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.not.match(page.body, /<script>/, 'no inline script for the CSP to allow');
});

test('issue 10 #10: hostile names, keys, messages and a string cost are shown as text in a real browser, and no script runs', async () => {
  if (!fs.existsSync(CHROMIUM)) { assert.unreachable(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`); return; }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--host-resolver-rules=MAP evil.example 127.0.0.1'], timeout: 30_000 });
  const page = await browser.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/`, { timeout: 10_000 });
  await page.waitForFunction(() => (document.getElementById('links')?.textContent ?? '').includes('onerror'), undefined, { timeout: 10_000 });
  // A second poll of the status redraws everything: wait for it too, so both renderings are checked.
  const first = await page.evaluate(() => document.getElementById('updated')!.textContent);
  await page.waitForFunction((t) => document.getElementById('updated')!.textContent !== t || performance.now() > 2500, first, { timeout: 10_000 });
  const seen = await page.evaluate(() => ({
    pwned: (window as unknown as { __pwned?: number }).__pwned,
    imgs: document.querySelectorAll('img').length,
    nestedSvg: document.querySelectorAll('svg svg').length,
    site: document.getElementById('site')!.textContent,
    links: document.getElementById('links')!.textContent,
    services: document.getElementById('services')!.textContent,
    traffic: document.getElementById('traffic')!.textContent,
    graph: document.getElementById('graph')!.textContent,
  }));
  assert.is(seen.pwned, undefined, 'no injected handler ran');
  assert.equal(dialogs, [], 'no alert');
  assert.equal(errors, [], 'the page itself works');
  assert.is(seen.imgs, 0, 'no <img> element was made from data');
  assert.is(seen.nestedSvg, 0, 'no <svg> element was made from data');
  assert.is(seen.site, `site east${X}`);
  for (const t of [`in${X}`, `peer${X}`, `ready${X}`, `msg${S}`]) assert.ok(seen.links!.includes(t), `links show ${t} as text`);
  assert.ok(!seen.links!.includes('NaN'), 'a cost that is not a finite number is not shown');
  assert.ok(seen.services!.includes(`key${X}`) && seen.services!.includes(`mallory${X} (cost -)`), seen.services!);
  assert.ok(seen.traffic!.includes(`c${X}`), seen.traffic!);
  assert.ok(seen.graph!.includes(`mallory${X}`) && seen.graph!.includes(S), seen.graph!);
  // DNS rebinding, as a browser does it: evil.example now resolves to 127.0.0.1.
  const rebound = await browser.newPage();
  const res = await rebound.goto(`http://evil.example:${port}/`, { timeout: 10_000 });
  assert.is(res?.status(), 403);
  const leaked = await rebound.evaluate(async () => (await fetch('/api/status')).status);
  assert.is(leaked, 403);
});

test.run();
