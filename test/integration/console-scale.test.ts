// Issue 12 item 3 at scale, in a real headless browser (Debian chromium): a network of 50 sites with
// 63-character names and 200 services stays usable — at 1280 and 700 px no section overlaps or
// overflows, the graph's sites never overlap one another and each names itself in its tooltip, every
// service is listed, and the page draws it in bounded time. Screenshots go to $SVCNET_ARTIFACTS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import { createConsoleApp } from '../../control/console/app.js';
import { StatusEvents } from '../../control/console/status-events.js';
import type { RuntimeStatus } from '../../control/state/site-store.js';
import type { NetworkTraffic } from '../../control/console/traffic-view.js';
import { freePorts } from '../helpers/ports.js';
import { tempDir } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = process.env.SVCNET_ARTIFACTS ?? tempDir('svcnet-console-');
const SITES = 50;
const SERVICES = 200;
/** 63 characters, unique by its index. */
const long = (prefix: string, i: number) => `${prefix}-${i}-${'x'.repeat(63)}`.slice(0, 63);
const siteId = (i: number) => `site-${i}`;
const keyOf = (j: number) => long('service', j);

/** 50 sites on a ring with a few chords; service j is served by site j mod 50; this site is site 0. */
function status(): RuntimeStatus {
  const sites = Array.from({ length: SITES }, (_, i) => ({
    id: siteId(i), name: long('site', i), cost: i === 0 ? 0 : Math.min(i, SITES - i),
    links: [{ peer: siteId((i + 1) % SITES), cost: 1 }, { peer: siteId((i + SITES - 1) % SITES), cost: 1 }, ...(i % 10 === 0 ? [{ peer: siteId((i + 25) % SITES), cost: 5 }] : [])],
    keys: Array.from({ length: SERVICES / SITES }, (_, k) => keyOf(i + k * SITES)),
  }));
  return {
    pid: 1, updatedAt: new Date().toISOString(), site: { id: siteId(0), name: long('site', 0) },
    links: [{ name: long('link', 1), direction: 'outbound', status: 'ready', message: '', peer: long('site', 1), cost: 1 }],
    listeners: Array.from({ length: SERVICES }, (_, j) => ({ name: long('listener', j), routingKey: keyOf(j), port: 10000 + j, status: 'ready', message: '', flowsActive: 0, flowsOpened: j })),
    connectors: [],
    network: { sites },
  } as unknown as RuntimeStatus;
}

function traffic(): NetworkTraffic {
  return {
    at: new Date().toISOString(), staleIntervals: 3,
    sites: Array.from({ length: SITES }, (_, i) => ({
      id: siteId(i), name: long('site', i), self: i === 0, reachable: true, stale: i === 7, staleNodes: [], ageMs: i === 7 ? 20_000 : 1000, intervalMs: 5000, omitted: 0,
      keys: Array.from({ length: SERVICES / SITES }, (_, k) => ({ key: keyOf(i + k * SITES), role: 'connector' as const, peerSite: long('site', 0), opened: 10, active: 1, failed: 0, bytesToServer: 1 << 20, bytesToClient: 2 << 20, rateToServer: 1000, rateToClient: 2000, ttfbP50Ms: 1, ttfbP99Ms: 4 })),
      links: [{ name: long('link', i), direction: 'outbound' as const, peer: long('site', (i + 1) % SITES), up: true, bytesIn: 1 << 20, bytesOut: 1 << 20, rateIn: 1000, rateOut: 1000 }],
    })),
    services: Array.from({ length: SERVICES }, (_, j) => ({ key: keyOf(j), sites: [long('site', j % SITES)], opened: 10, active: 1, failed: 0, bytesToServer: 1 << 20, bytesToClient: 2 << 20, rateToServer: 1000, rateToClient: 2000, ttfbP50Ms: 1, ttfbP99Ms: 4, stale: j % SITES === 7,
      // Listeners at this site and two others, the connector at its serving site: four ends a key, each with a 63-character name.
      listeners: [0, 1, 2].map((d) => ({ site: long('site', (j + d * 17) % SITES), ready: 1, total: 1, active: 0, opened: 3, failed: d, rate: 1500, stale: (j + d * 17) % SITES === 7 })),
      connectors: [{ site: long('site', j % SITES), ready: 1, total: 2, active: 1, opened: 10, failed: 0, rate: 3000, stale: j % SITES === 7 }] })),
  };
}

let server: ServerType;
let port: number;
let browser: Browser | undefined;
const events = new StatusEvents(status);
const trafficEvents = new StatusEvents(traffic, {}, 'traffic');

test.before(async () => {
  [port] = await freePorts(1);
  const app = createConsoleApp({ status, metrics: () => '', flows: async () => [], port, events, traffic, trafficEvents });
  await new Promise<void>((resolve) => { server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve()); });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
});
test.after(async () => {
  events.close();
  trafficEvents.close();
  await browser?.close();
  await new Promise((r) => server.close(r));
});

for (const width of [1280, 700]) {
  test(`issue 12: 50 sites and 200 services with 63-character names stay usable at ${width} px`, async () => {
    const page = await browser!.newPage({ viewport: { width, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: 10_000 });
    // Bounded, not timed: the page must draw the whole network at all.
    await page.waitForFunction((n) => document.querySelectorAll('#graph circle.site').length === n && document.querySelectorAll('#services tr').length > 200, SITES, { timeout: 15_000 });
    const l = await page.evaluate(() => {
      const rects = [...document.querySelectorAll('main > section')].map((s) => s.getBoundingClientRect());
      const overlaps: string[] = [];
      rects.forEach((a, i) => rects.slice(i + 1).forEach((b, j) => {
        if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) overlaps.push(`${i}/${i + j + 1}`);
      }));
      const overflowing = [...document.querySelectorAll('main > section, header')].filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.querySelector('h2')?.textContent ?? s.tagName);
      // The drawn sites: their boxes on screen must not overlap one another.
      const nodes = [...document.querySelectorAll('#graph circle.site')].map((c) => c.getBoundingClientRect());
      let crowded = 0;
      nodes.forEach((a, i) => nodes.slice(i + 1).forEach((b) => { if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) crowded++; }));
      const titles = [...document.querySelectorAll('#graph circle.site > title')].map((t) => t.textContent ?? '');
      const graphBox = document.getElementById('graph')!.getBoundingClientRect();
      const sectionBox = document.getElementById('graph')!.parentElement!.getBoundingClientRect();
      return { overlaps, overflowing, crowded, titles, smallest: Math.min(...nodes.map((n) => n.width)), graphInside: graphBox.right <= sectionBox.right + 1, pageWidth: document.documentElement.scrollWidth, window: window.innerWidth, services: document.querySelectorAll('#services tr').length - 1, ends: document.querySelectorAll('#services div.end').length };
    });
    await page.screenshot({ path: path.join(ARTIFACTS, `console-scale-${width}.png`), fullPage: false });
    assert.equal(l.overlaps, [], 'overlapping sections');
    assert.equal(l.overflowing, [], 'sections wider than their box');
    assert.ok(l.pageWidth <= l.window, `the page is ${l.pageWidth} px wide in a ${l.window} px window`);
    assert.is(l.crowded, 0, 'sites drawn on top of one another');
    assert.ok(l.smallest >= 6, `a site is drawn ${l.smallest} px wide`);
    assert.ok(l.graphInside, 'the graph stays inside its section');
    assert.is(l.titles.length, SITES);
    for (const i of [0, 17, 49]) assert.ok(l.titles.some((t) => t.startsWith(long('site', i))), `site ${i} names itself`);
    assert.is(l.services, SERVICES);
    // Four ends a key, and this site's own listener of each key whose shared ends do not list this site yet.
    const hereOnly = Array.from({ length: SERVICES }, (_, j) => j).filter((j) => ![0, 1, 2].some((d) => (j + d * 17) % SITES === 0)).length;
    assert.is(l.ends, SERVICES * 4 + hereOnly, 'every listener and connector site of every key is listed');
    await page.close();
  });
}

test.run();
