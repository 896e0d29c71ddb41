// Issue 13, "real applications, unmodified": Debian's nginx behind two connectors of one key (two
// server blocks on two loopback ports, each serving its own name), an http1 listener with
// `balance: request`: curl's keep-alive requests on one connection and autocannon's bounded load are
// spread over both servers (bodies checked, nginx's access logs agree); in connection mode one
// keep-alive connection stays on one server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { svcnetOk, stopAll, tempDir, waitFor } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { which, type App } from '../helpers/apps.js';
import { linkedPair, applyDoc, listenerReady, run, startNginxServers, accessLog, flows, type Pair } from '../helpers/http-sites.js';

const root = tempDir();
const ngx = path.join(root, 'nginx');
let ports: number[];
let sites: Pair;
let nginx: App | undefined;
const HAVE = which('nginx') !== undefined && which('curl') !== undefined;
const BODIES = ['nginx-one\n', 'nginx-two\n'];

/** curl fetches `n` URLs over one connection: the bodies, and how many connections it opened. */
async function curlMany(n: number): Promise<{ bodies: string[]; connects: number }> {
  const urls = Array.from({ length: n }, (_, i) => `http://127.0.0.1:${ports[5]}/who.txt?i=${i}`);
  const out = await run('curl', ['-sS', '-w', '|%{num_connects}\\n', ...urls]);
  const parts = out.split('\n').filter(Boolean);
  // Each body is one line ending in "\n", followed by "|N" on its own line.
  const bodies: string[] = [];
  let connects = 0;
  for (let i = 0; i < parts.length; i += 2) { bodies.push(`${parts[i]}\n`); connects += Number(parts[i + 1].slice(1)); }
  return { bodies, connects };
}

const tally = (bodies: string[]) => bodies.reduce<Record<string, number>>((m, b) => { m[b.trim()] = (m[b.trim()] ?? 0) + 1; return m; }, {});

/** autocannon (as a library: its own HTTP/1.1 client) for `amount` GETs over `connections` connections; bodies tallied. */
interface LoadResult { '2xx': number; non2xx: number; errors: number; timeouts: number; mismatches: number }
async function load(amount: number, connections: number): Promise<{ r: LoadResult; seen: Record<string, number> }> {
  // autocannon ships no types; this is the one call made (as bench/scenarios/http.ts does).
  const autocannon = ((await import('autocannon' as string)) as { default: (o: object) => Promise<LoadResult> }).default;
  const seen: Record<string, number> = {};
  const r = await autocannon({
    url: `http://127.0.0.1:${ports[5]}`, amount, connections, timeout: 20,
    requests: [{ method: 'GET', path: '/who.txt', onResponse: (_s: number, body: string) => { seen[body.trim()] = (seen[body.trim()] ?? 0) + 1; } }],
    verifyBody: (b: string) => BODIES.includes(b),
  });
  return { r, seen };
}

if (!HAVE) {
  test('nginx behind two connectors (SKIPPED)', () => { console.log('  SKIP: nginx or curl not installed; .ci/run installs them'); });
} else {
  test.before(async () => {
    ports = await freePorts(8);
    sites = await linkedPair(root, ports);
    for (const [i, name] of ['one', 'two'].entries()) {
      fs.mkdirSync(path.join(ngx, name), { recursive: true });
      fs.writeFileSync(path.join(ngx, name, 'who.txt'), BODIES[i]);
    }
    nginx = startNginxServers(ngx, [{ name: 'one', port: ports[3], root: path.join(ngx, 'one') }, { name: 'two', port: ports[4], root: path.join(ngx, 'two') }]);
    for (const p of [ports[3], ports[4]]) await waitFor(`nginx on ${p}`, () => run('curl', ['-sf', `http://127.0.0.1:${p}/who.txt`]).then(() => true));
    await applyDoc(sites.A, 'Connector', 'web-1', { routingKey: 'web', host: '127.0.0.1', port: ports[3], type: 'http1' });
    await applyDoc(sites.A, 'Connector', 'web-2', { routingKey: 'web', host: '127.0.0.1', port: ports[4], type: 'http1' });
    await applyDoc(sites.B, 'Listener', 'web', { routingKey: 'web', host: '127.0.0.1', port: ports[5], type: 'http1', balance: 'request' });
    await listenerReady(sites.B, 'web');
  });

  test.after(async () => {
    await stopAll();
    await nginx?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('request mode: curl\'s 12 requests on one keep-alive connection are answered by both nginx servers, the logs agree', async () => {
    const before = [accessLog(ngx, 'one').length, accessLog(ngx, 'two').length];
    const { bodies, connects } = await curlMany(12);
    assert.is(connects, 1, 'one client connection');
    assert.is(bodies.length, 12);
    assert.ok(bodies.every((b) => BODIES.includes(b)), JSON.stringify(bodies));
    const t = tally(bodies);
    assert.ok(t['nginx-one'] >= 3 && t['nginx-two'] >= 3, `both answer: ${JSON.stringify(t)}`);
    assert.equal([accessLog(ngx, 'one').length - before[0], accessLog(ngx, 'two').length - before[1]], [t['nginx-one'], t['nginx-two']], 'each server logged what it answered');
    const rec = await waitFor('the flow record', async () => (await flows(sites.B, '--routing-key', 'web', '--recent')).find((f) => f.requestCount === 12));
    assert.ok(rec.requests.every((q) => q.method === 'GET' && q.path === 'who.txt' && q.status === 200), 'each request observed');
    // Both connectors are at alpha: targets are alpha's lanes (docs/observability.md), not its connectors.
    assert.ok(rec.requests.every((q) => /^alpha#\d+$/.test(q.target ?? '')), 'each request names its target');
  });

  test('request mode: autocannon, 2000 GETs over 2 connections: all 2xx, every body one of the two, both servers answer', async () => {
    const { r, seen } = await load(2000, 2);
    assert.is(r['2xx'], 2000, `2xx ${r['2xx']}, non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}`);
    assert.is(r.errors + r.timeouts + r.mismatches, 0);
    assert.is((seen['nginx-one'] ?? 0) + (seen['nginx-two'] ?? 0), 2000, JSON.stringify(seen));
    assert.ok(seen['nginx-one'] >= 200 && seen['nginx-two'] >= 200, `spread: ${JSON.stringify(seen)}`);
    console.log(`  autocannon -a 2000 -c 2, request mode: ${JSON.stringify(seen)}, ${r['2xx']} 2xx`);
  });

  test('connection mode: one keep-alive connection (curl, then autocannon with one connection) stays on one server', async () => {
    await svcnetOk(['listener', 'update', 'web', '--balance', 'connection', '--dir', sites.B]);
    // The update is in place once a connection's requests all meet one server.
    await waitFor('connection mode in place', async () => Object.keys(tally((await curlMany(4).catch(() => ({ bodies: ['a', 'b'] }))).bodies)).length === 1, 20_000);
    for (let i = 0; i < 3; i++) {
      const { bodies, connects } = await curlMany(10);
      assert.is(connects, 1);
      assert.is(Object.keys(tally(bodies)).length, 1, `one server: ${JSON.stringify(tally(bodies))}`);
    }
    const { r, seen } = await load(500, 1);
    assert.is(r['2xx'], 500);
    assert.is(r.errors + r.timeouts + r.mismatches, 0);
    assert.is(Object.keys(seen).length, 1, `one server for one connection: ${JSON.stringify(seen)}`);
  });
}

test.run();
