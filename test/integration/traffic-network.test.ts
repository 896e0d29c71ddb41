// Issue 12 item 2: the network-wide traffic view on a chain of three sites (A - B - C, A and C not
// linked). A client at A uses a service on C; A's /api/traffic shows C's bytes for that key and the
// B-C link's rate (from summaries flooded over two hops), its event stream pushes them, and C is
// marked stale soon after it stops. A runs two engines: its view unites both engines' summaries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { svcnetOk, runSite, kill, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { hashServer, pacedFlow } from '../helpers/tcp.js';
import { unixClient } from '../../control/api/client.js';

const root = tempDir();
const [A, B, C] = ['a', 'b', 'c'].map((n) => path.join(root, n));
const INTERVAL = 1000;
const env = { SVCNET_TRAFFIC_INTERVAL_MS: String(INTERVAL), SVCNET_ROUTE_REFRESH_MS: '1000' };
const MiB = 1 << 20;
let ports: number[];
let siteC: ChildProcess;
let server: net.Server;

interface KeyRow { key: string; role: string; peerSite: string; bytesToServer: number; bytesToClient: number; active: number; opened: number }
interface LinkRow { name: string; peer: string; up: boolean; rateIn: number; rateOut: number; bytesIn: number; node?: string }
interface Traffic {
  sites: { name: string; self: boolean; stale: boolean; reachable: boolean; ageMs: number; keys: KeyRow[]; links: LinkRow[] }[];
  services: { key: string; sites: string[]; bytesToServer: number; opened: number }[];
}
const consoleUrl = () => `http://127.0.0.1:${ports[2]}`;
const traffic = async (): Promise<Traffic> => (await fetch(`${consoleUrl()}/api/traffic`)).json() as Promise<Traffic>;
const site = (t: Traffic, name: string) => t.sites.find((s) => s.name === name);

test.before(async () => {
  ports = await freePorts(6);
  await svcnetOk(['site', 'create', 'site-a', '--dir', A, '--console-port', String(ports[2])]);
  await svcnetOk(['site', 'create', 'site-b', '--dir', B, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'site-c', '--dir', C]);
  runSite(A, { env, args: ['--dataplane-workers', '2'] });
  runSite(B, { env });
  siteC = runSite(C, { env });
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B) && runtimeStatus(C), 20_000);
  for (const [dir, token] of [[A, 'ba.token'], [C, 'bc.token']]) {
    await svcnetOk(['token', 'issue', path.join(root, token), '--dir', B]);
    await svcnetOk(['token', 'redeem', path.join(root, token), '--dir', dir]);
  }
  server = await hashServer(ports[3]);
  await svcnetOk(['connector', 'create', 'db', String(ports[3]), '--routing-key', 'db', '--dir', C]);
  await svcnetOk(['listener', 'create', 'db', String(ports[4]), '--routing-key', 'db', '--host', '127.0.0.1', '--dir', A]);
  await waitFor('listener db ready at A', () => runtimeStatus(A)?.listeners.find((l) => l.name === 'db' && l.status === 'ready'), 20_000);
});

test.after(async () => {
  await stopAll();
  server?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 12: A\'s /api/traffic shows C\'s bytes for the key and the B-C link\'s rate while traffic crosses B', async () => {
  const flow = pacedFlow(ports[4], 6 * MiB, 4000);
  let last: Traffic | undefined;
  const during = await waitFor('C\'s row and B-C rate at A', async () => {
    const t = (last = await traffic());
    const c = site(t, 'site-c');
    // The listener end is one of A's engines: site-a, or site-a/worker-2 (a node's name).
    const row = c?.keys.find((k) => k.key === 'db' && k.role === 'connector' && /^site-a(\/worker-2)?$/.test(k.peerSite) && k.bytesToServer > 0);
    const bc = site(t, 'site-b')?.links.find((l) => l.peer === 'site-c' && l.up && l.rateIn + l.rateOut > 100_000);
    return row && bc && !c!.stale ? { row, bc } : undefined;
  }, 10_000, 200).catch((err: Error) => { throw new Error(`${err.message}; A's view: ${JSON.stringify(last)}`); });
  // Toward the server: B sends on its link to C.
  assert.ok(during.bc.rateOut > 100_000, `B-C rate out of B ${during.bc.rateOut} B/s`);
  const r = await flow;
  assert.ok(r.ok, r.detail);
  const after = await waitFor('all of the flow counted at C', async () => {
    const t = await traffic();
    const row = site(t, 'site-c')?.keys.find((k) => k.key === 'db' && k.role === 'connector');
    return row && row.bytesToServer >= 6 * MiB && row.active === 0 ? t : undefined;
  }, 10_000, 200);
  const db = after.services.find((s) => s.key === 'db')!;
  assert.equal(db.sites, ['site-c']);
  assert.ok(db.bytesToServer >= 6 * MiB && db.opened >= 1, JSON.stringify(db));
  // A's own row: the listener end, toward site-c.
  assert.ok(site(after, 'site-a')?.keys.find((k) => k.key === 'db' && k.role === 'listener' && k.peerSite === 'site-c' && k.bytesToServer >= 6 * MiB));
  assert.ok(after.sites.every((s) => !s.stale), 'every site fresh');
  // Two engines at A, one site in the view: engine 2's summary (node worker-2, its own link to B) is grouped under site-a.
  assert.equal(after.sites.map((s) => s.name).sort(), ['site-a', 'site-b', 'site-c']);
  const aLinks = site(after, 'site-a')!.links;
  assert.ok(aLinks.some((l) => l.node === undefined && l.peer === 'site-b') && aLinks.some((l) => l.node === 'worker-2' && l.peer === 'site-b'), JSON.stringify(aLinks));
});

test('issue 12: GetMetrics carries the same traffic view as JSON (gRPC)', async () => {
  const api = unixClient(A);
  try {
    const viaApi = JSON.parse((await api.getMetrics()).trafficJson) as Traffic;
    assert.ok(site(viaApi, 'site-c')?.keys.some((k) => k.key === 'db' && k.bytesToServer >= 6 * MiB), 'C\'s row for db');
    assert.ok(viaApi.services.some((x) => x.key === 'db'));
  } finally { api.close(); }
});

test('issue 12: the console\'s event stream pushes traffic events', async () => {
  const ac = new AbortController();
  const res = await fetch(`${consoleUrl()}/api/events`, { signal: ac.signal });
  const reader = res.body!.getReader();
  let text = '';
  const deadline = Date.now() + 5000;
  while (!/event: traffic\ndata: \{.*"site-c"/.test(text) && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
  ac.abort();
  assert.match(text, /event: traffic\ndata: \{.*"site-c"/);
});

test('issue 12: C stopped is marked stale at A within 3 intervals and 2 s', async () => {
  const t0 = Date.now();
  await kill(siteC);
  const stale = await waitFor('C stale at A', async () => {
    const c = site(await traffic(), 'site-c');
    return c?.stale ? c : undefined;
  }, 3 * INTERVAL + 2000, 100);
  const took = Date.now() - t0;
  assert.ok(took <= 3 * INTERVAL + 2000, `stale after ${took} ms`);
  // C's last figures stay visible, marked stale (with their age), while B and A stay fresh.
  assert.ok(stale.keys.some((k) => k.key === 'db' && k.bytesToServer >= 6 * MiB));
  const t = await traffic();
  assert.not.ok(site(t, 'site-b')!.stale);
  assert.not.ok(site(t, 'site-a')!.stale);
});

test.run();
