// Issue 14 item 2, the console's Measure button in a real browser (Debian chromium via
// playwright-core) over two real loopback sites, A (with the console) linked to B: on B's page a
// click runs a 5 s bench from A to B and the panel shows the throughput and the path, within a
// 700 px wide window; A's own page offers B; Stop (or leaving the page) cancels a run and A's engine
// closes its flows; a page of another origin cannot start one.
// Screenshots go to $SVCNET_ARTIFACTS, else test-artifacts/ at the repo root (ignored by git).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { unixClient } from '../../control/api/client.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = process.env.SVCNET_ARTIFACTS ?? path.resolve('test-artifacts');
const root = tempDir('svcnet-cbench-');
const [A, B] = ['a', 'b'].map((n) => path.join(root, n));
let consolePort: number;
let otherPort: number;
let browser: Browser | undefined;
let page: Page;
const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `console-bench-${name}.png`), fullPage: true });

test.before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const ports = await freePorts(4);
  consolePort = ports[2];
  otherPort = ports[3];
  await svcnetOk(['site', 'create', 'site-a', '--dir', A, '--console-port', String(consolePort)]);
  await svcnetOk(['site', 'create', 'site-b', '--dir', B, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  runSite(A);
  runSite(B);
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B), 20_000);
  await svcnetOk(['token', 'issue', path.join(root, 'b.token'), '--dir', B]);
  await svcnetOk(['token', 'redeem', path.join(root, 'b.token'), '--dir', A]);
  await waitFor('A sees B', () => runtimeStatus(A)?.network.sites.find((s) => s.name === 'site-b' && s.cost !== null), 20_000);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
  page = await browser.newPage({ viewport: { width: 700, height: 900 } });
});

test.after(async () => {
  await browser?.close();
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Streams (bench flows among them) open in A's engine. */
async function streamsAtA(): Promise<number> {
  const c = unixClient(A);
  try { return (await c.getMetrics()).streamsActive; } finally { c.close(); }
}

test('Measure on the peer\'s page shows the throughput and the path, within 700 px', async () => {
  await page.goto(`http://127.0.0.1:${consolePort}/#/site/site-b`, { timeout: 10_000 });
  const button = page.locator('#bench-buttons button', { hasText: 'Measure to site-b' });
  await button.waitFor({ timeout: 10_000 });
  await button.click();
  // Progress first (the throughput phase reports about twice a second), then the figures.
  await page.waitForFunction(() => /phase/.test(document.querySelector('#bench-status')?.textContent ?? ''), undefined, { timeout: 15_000 });
  assert.ok(await button.isDisabled(), 'one run at a time from the page');
  await page.waitForFunction(() => document.querySelectorAll('#bench-result tr').length > 1 || /SVCNET_ERR/.test(document.querySelector('#bench-status')?.textContent ?? ''), undefined, { timeout: 45_000 });
  const rows = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#bench-result tr')].slice(1).map((tr) => [tr.children[0].textContent, tr.children[1].textContent])));
  await shot('result');
  assert.match(rows.throughput ?? '', /^\d+\.\d\d Gbit\/s over 1 flow/, JSON.stringify(rows));
  assert.ok(Number(/^([\d.]+)/.exec(rows.throughput)![1]) > 0, 'bytes were measured');
  assert.match(rows.path ?? '', /^site-a \u2192 site-b \(1 hop: site-a-site-b cost 1\)$/, rows.path);
  assert.match(rows.latency ?? '', /^p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms/);
  assert.match(rows['new flows'] ?? '', /^\d+\/s/);
  assert.not.ok(await button.isDisabled(), 'free again');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 700, `the page is ${width} px wide at a 700 px window`);
});

test('A\'s own page offers its peer; Stop cancels the run and A closes every flow of it', async () => {
  await page.goto(`http://127.0.0.1:${consolePort}/#/site/site-a`, { timeout: 10_000 });
  const button = page.locator('#bench-buttons button', { hasText: 'Measure to site-b' });
  await button.waitFor({ timeout: 10_000 });
  await waitFor('no bench streams at A before', async () => (await streamsAtA()) === 0, 10_000);
  // These runs would last a minute: flows that close within seconds were closed by the cancel.
  await page.route('**/api/bench', (r) => r.continue({ postData: JSON.stringify({ to: 'site-b', durationMs: 60_000 }) }));
  await button.click();
  await page.waitForFunction(() => /throughput phase/.test(document.querySelector('#bench-status')?.textContent ?? ''), undefined, { timeout: 15_000 });
  assert.ok((await streamsAtA()) > 0, 'the run has streams open');
  await page.locator('#bench-stop button', { hasText: 'Stop' }).click();
  await page.waitForFunction(() => /stopped/.test(document.querySelector('#bench-status')?.textContent ?? ''), undefined, { timeout: 5_000 });
  await waitFor('A closed the run\'s flows', async () => (await streamsAtA()) === 0, 10_000);
  // The console is free again: a new run starts (and is left by leaving the page, which cancels it too).
  await button.click();
  await page.waitForFunction(() => /phase/.test(document.querySelector('#bench-status')?.textContent ?? ''), undefined, { timeout: 15_000 });
  await page.goto('about:blank');
  await waitFor('leaving the page cancelled the run', async () => (await streamsAtA()) === 0, 10_000);
  await page.unroute('**/api/bench');
});

test('a cross-origin page cannot start a bench (no preflight answered, the form-like post refused)', async () => {
  // Another origin (another port of loopback, so no private-network rule stands in for the console's own checks).
  const other = http.createServer((_req, res) => res.end('<!doctype html><title>another origin</title>'));
  await new Promise<void>((r) => other.listen(otherPort, '127.0.0.1', r));
  await page.goto(`http://127.0.0.1:${otherPort}/`, { timeout: 10_000 });
  const target = `http://127.0.0.1:${consolePort}/api/bench`;
  const tries = await page.evaluate(async (url) => {
    const body = JSON.stringify({ to: 'site-b' });
    const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => `status ${r.status}`, (e) => `failed: ${(e as Error).name}`);
    const simple = await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body }).then((r) => r.type, (e) => `failed: ${(e as Error).name}`);
    return { json, simple };
  }, target);
  assert.is(tries.json, 'failed: TypeError', 'the JSON post needs a CORS preflight the console never answers');
  assert.is(tries.simple, 'opaque', 'the simple post reached the console (and was refused: below)');
  other.close();
  // Had either started a run, the console would refuse the next one (one run at a time): it starts.
  await page.goto(`http://127.0.0.1:${consolePort}/`, { timeout: 10_000 });
  const status = await page.evaluate(async () => {
    const ctl = new AbortController();
    const r = await fetch('/api/bench', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'site-b' }), signal: ctl.signal });
    ctl.abort();
    return r.status;
  });
  assert.is(status, 200, 'no cross-origin run was running');
  await waitFor('the aborted run\'s flows closed', async () => (await streamsAtA()) === 0, 10_000);
});

test.run();
