// Issue 13, per-request balancing (`balance: request`) through real sites: one client keep-alive
// connection's requests are spread over two connectors (two at one remote site, at two sites, two
// local) and stay on one in connection mode; a target killed mid-run; a WebSocket-style Upgrade echo;
// nginx with curl reusing one connection. Each server says its name in the body, which is checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { svcnet, svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { startNginx, which, type App } from '../helpers/apps.js';

const root = tempDir();
const A = path.join(root, 'a');
const B = path.join(root, 'b');
const C = path.join(root, 'c');
let ports: number[];
const servers = new Map<string, http.Server>();
let nginx: App | undefined;
const HAVE_NGINX = which('nginx') !== undefined && which('curl') !== undefined;

/** 3 MiB of a pattern: several link windows' worth, so credit and backpressure take part. */
const BIG = Buffer.alloc(3 << 20, 'svcnet-');

/** An HTTP server that answers every request with its name (and the request's path and body length). */
function namedHttp(port: number, name: string): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    if (req.url === '/big') { res.end(BIG); return; }
    let n = 0;
    req.on('data', (c: Buffer) => { n += c.length; });
    req.on('end', () => res.end(`${name} ${req.url} ${n}`));
  });
  // A WebSocket-style upgrade: 101, then every byte echoed back.
  s.on('upgrade', (req, socket: net.Socket, head: Buffer) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nX-Server: ${name}\r\n\r\n`);
    if (head.length) socket.write(head);
    socket.pipe(socket);
  });
  return new Promise((resolve) => s.listen(port, '127.0.0.1', () => { servers.set(name, s); resolve(s); }));
}

/** Stops a server and every connection it holds; resolves when it is closed. */
function kill(name: string): Promise<void> {
  const s = servers.get(name)!;
  servers.delete(name);
  return new Promise((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
}

/** `n` GETs over one client keep-alive connection (an Agent with maxSockets 1); the bodies, and how many connections it made. */
async function getMany(port: number, n: number, onEach?: (i: number) => Promise<void>): Promise<{ bodies: string[]; connections: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let connections = 0;
  const bodies: string[] = [];
  try {
    for (let i = 0; i < n; i++) {
      await onEach?.(i);
      bodies.push(await new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: `/r${i}`, agent }, (res) => {
          let b = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => { b += c; });
          res.on('end', () => (res.statusCode === 200 ? resolve(b) : reject(new Error(`status ${res.statusCode}: ${b}`))));
        });
        req.on('socket', (s) => { if (!req.reusedSocket) connections++; void s; });
        req.on('error', reject);
      }));
    }
  } finally { agent.destroy(); }
  return { bodies, connections };
}

const names = (bodies: string[]) => bodies.reduce<Record<string, number>>((m, b) => { const k = b.split(' ')[0]; m[k] = (m[k] ?? 0) + 1; return m; }, {});

async function applyDoc(dir: string, kind: string, name: string, spec: object): Promise<void> {
  const f = path.join(root, `${kind}-${name}-${Date.now()}.json`);
  fs.writeFileSync(f, JSON.stringify({ apiVersion: 'svcnet.io/v1', kind, metadata: { name }, spec }));
  await svcnetOk(['apply', '-f', f, '--dir', dir]);
}

const listenerReady = (name: string) => waitFor(`listener ${name} ready`, () => runtimeStatus(B)?.listeners.find((l) => l.name === name && l.status === 'ready'), 20_000);
/** Waits until B sees `n` sites serving `key` at the cheapest cost (routes flooded). */
const keyAt = (key: string, sites: string[]) => waitFor(`${key} served by ${sites.join(', ')}`, () => {
  const s = runtimeStatus(B)?.network.sites ?? [];
  return sites.every((n) => s.find((x) => x.name === n)?.keys.includes(key)) || undefined;
}, 20_000);

test.before(async () => {
  ports = await freePorts(24);
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'gamma', '--dir', C, '--link-access', '--link-port', String(ports[2]), '--grant-port', String(ports[3])]);
  await svcnetOk(['site', 'create', 'beta', '--dir', B]);
  for (const d of [A, B, C]) runSite(d);
  for (const d of [A, B, C]) await waitFor(`${d} running`, () => runtimeStatus(d));
  for (const [from, name] of [[A, 'a'], [C, 'c']]) {
    const token = path.join(root, `token-${name}.yaml`);
    await svcnetOk(['token', 'issue', token, '--dir', from]);
    await svcnetOk(['token', 'redeem', token, '--dir', B]);
  }
  await namedHttp(ports[10], 's1');
  await namedHttp(ports[11], 's2');
  await namedHttp(ports[12], 's3');
  await namedHttp(ports[13], 's4');
  await namedHttp(ports[14], 's5');
});

test.after(async () => {
  await stopAll();
  await nginx?.stop();
  for (const s of servers.values()) { s.close(); s.closeAllConnections(); }
  fs.rmSync(root, { recursive: true, force: true });
});

test('two connectors at one remote site: request mode spreads one connection\'s 20 requests over both; connection mode keeps them on one', async () => {
  await applyDoc(A, 'Connector', 'one-1', { routingKey: 'one', host: '127.0.0.1', port: ports[10], type: 'http1' });
  await applyDoc(A, 'Connector', 'one-2', { routingKey: 'one', host: '127.0.0.1', port: ports[11], type: 'http1' });
  await applyDoc(B, 'Listener', 'one', { routingKey: 'one', host: '127.0.0.1', port: ports[4], type: 'http1', balance: 'request' });
  await listenerReady('one');
  const r = await getMany(ports[4], 20);
  assert.is(r.connections, 1, 'one client connection');
  assert.ok(r.bodies.every((b, i) => b === `s1 /r${i} 0` || b === `s2 /r${i} 0`), r.bodies.join('|'));
  const n = names(r.bodies);
  assert.ok(n.s1 >= 5 && n.s2 >= 5, `both servers answer: ${JSON.stringify(n)}`);
  // Bodies larger than a stream window pass whole each way (POST of 2 MiB, answer of 3 MiB).
  const post = await fetch(`http://127.0.0.1:${ports[4]}/up`, { method: 'POST', body: Buffer.alloc(2 << 20, 'x') });
  assert.match(await post.text(), /^s[12] \/up 2097152$/);
  const big = Buffer.from(await (await fetch(`http://127.0.0.1:${ports[4]}/big`)).arrayBuffer());
  assert.ok(big.equals(BIG), `3 MiB answer intact (${big.length} bytes)`);
  // The listener's status counts requests per target. run/status.json is a snapshot taken every 500 ms,
  // so it is read until it holds the 22 requests above (the listener became ready with `targets: []`).
  const targetsNow = () => (runtimeStatus(B)?.listeners.find((l) => l.name === 'one') as { targets?: { requests: number }[] } | undefined)?.targets ?? [];
  const total = (t: { requests: number }[]) => t.reduce((s, x) => s + x.requests, 0);
  let last: { requests: number }[] = [];
  const targets = await waitFor('the 22 requests counted per target in status', () => { last = targetsNow(); return total(last) >= 22 ? last : undefined; }, 10_000)
    .catch((err: Error) => { throw new Error(`${err.message}; last seen: ${JSON.stringify(last)}`); });
  // Both connectors are at alpha, so the targets are alpha's lanes (site/lane), each counted.
  assert.ok(targets.every((t) => (t as { site?: string }).site === 'alpha' && t.requests > 0), JSON.stringify(targets));

  // Through the CLI (the wire form carries `balance` both ways: update reads the stored spec back).
  await svcnetOk(['listener', 'update', 'one', '--balance', 'connection', '--dir', B]);
  assert.is(JSON.parse(await svcnetOk(['listener', 'status', 'one', '-o', 'json', '--dir', B]))[0].balance, 'connection');
  await waitFor('connection mode in place', async () => Object.keys(names((await getMany(ports[4], 4).catch(() => ({ bodies: ['x', 'y'] }))).bodies)).length === 1, 20_000);
  const c = await getMany(ports[4], 20);
  assert.is(Object.keys(names(c.bodies)).length, 1, `connection mode: one server answers all: ${JSON.stringify(names(c.bodies))}`);
});

test('connectors at two sites: both answer in request mode', async () => {
  await applyDoc(A, 'Connector', 'two-a', { routingKey: 'two', host: '127.0.0.1', port: ports[12], type: 'http1' });
  await applyDoc(C, 'Connector', 'two-c', { routingKey: 'two', host: '127.0.0.1', port: ports[13], type: 'http1' });
  await applyDoc(B, 'Listener', 'two', { routingKey: 'two', host: '127.0.0.1', port: ports[5], type: 'http1', balance: 'request' });
  await keyAt('two', ['alpha', 'gamma']);
  await listenerReady('two');
  const n = names((await getMany(ports[5], 20)).bodies);
  assert.ok(n.s3 >= 5 && n.s4 >= 5, `both sites answer: ${JSON.stringify(n)}`);
});

test('two local connectors: spread; one killed mid-run: later requests succeed on the other', async () => {
  await namedHttp(ports[15], 's6');
  await applyDoc(B, 'Connector', 'loc-1', { routingKey: 'loc', host: '127.0.0.1', port: ports[14], type: 'http1' });
  await applyDoc(B, 'Connector', 'loc-2', { routingKey: 'loc', host: '127.0.0.1', port: ports[15], type: 'http1' });
  await svcnetOk(['listener', 'create', 'loc', String(ports[6]), '--host', '127.0.0.1', '--type', 'http1', '--balance', 'request', '--dir', B]);
  await listenerReady('loc');
  const r = await getMany(ports[6], 20, async (i) => { if (i === 10) await kill('s6'); });
  assert.is(r.connections, 1);
  const first = names(r.bodies.slice(0, 10));
  assert.ok(first.s5 >= 3 && first.s6 >= 3, `spread before the kill: ${JSON.stringify(first)}`);
  assert.equal(names(r.bodies.slice(10)), { s5: 10 }, 'after the kill every request is answered by the other');
});

test('balance request without type http1 or http2 is refused with one line naming the flag, exit 2', async () => {
  const r = await svcnet(['listener', 'create', 'bad', String(ports[8]), '--balance', 'request', '--dir', B]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /--balance "request" request needs spec.type http1 or http2/);
});

test('an Upgrade pins the client connection to one target and carries raw bytes both ways after 101', async () => {
  const got = await new Promise<string>((resolve, reject) => {
    const s = net.connect({ port: ports[4], host: '127.0.0.1' });
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n') && !buf.includes('ping-1')) s.write('ping-1 ping-2');
      if (buf.includes('ping-1 ping-2')) { s.destroy(); resolve(buf); }
    });
    s.on('error', reject);
    s.write('GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n');
  });
  assert.match(got, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(got, /X-Server: s[12]\r\n/);
  assert.ok(got.endsWith('\r\n\r\nping-1 ping-2'), JSON.stringify(got));
});

test('pipelined requests and a chunked body are answered in order through request mode', async () => {
  await svcnetOk(['listener', 'update', 'one', '--balance', 'request', '--dir', B]);
  assert.is(JSON.parse(await svcnetOk(['listener', 'status', 'one', '-o', 'json', '--dir', B]))[0].type, 'http1', 'the type kept');
  await waitFor('request mode back', async () => Object.keys(names((await getMany(ports[4], 6).catch(() => ({ bodies: ['x'] }))).bodies)).length === 2, 20_000);
  const out = await new Promise<string>((resolve, reject) => {
    const s = net.connect({ port: ports[4], host: '127.0.0.1' });
    let buf = '';
    s.on('data', (d) => { buf += d.toString('latin1'); });
    s.on('end', () => resolve(buf));
    s.on('error', reject);
    s.write('GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /p2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET /p3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  });
  const bodies = [...out.matchAll(/\r\n\r\n(s[12] \/p\d \d+)/g)].map((m) => m[1].replace(/^s[12]/, 's'));
  assert.equal(bodies, ['s /p1 0', 's /p2 11', 's /p3 0'], out);
});

test('a server behind a remote connector killed mid-run: later requests are answered by the other connector of that site', async () => {
  const r = await getMany(ports[4], 20, async (i) => { if (i === 6) await kill('s2'); });
  assert.is(r.connections, 1);
  assert.ok(r.bodies.every((b, i) => b.endsWith(` /r${i} 0`)), r.bodies.join('|'));
  assert.equal(names(r.bodies.slice(6)), { s1: 14 }, 'after the kill every request is answered by s1');
});

test('nginx behind two connectors: curl\'s two requests on one connection are both answered with the file', async () => {
  if (!HAVE_NGINX) { console.log('  (skipped: nginx or curl not installed)'); return; }
  const www = path.join(root, 'www');
  fs.mkdirSync(www, { recursive: true });
  fs.writeFileSync(path.join(www, 'a.txt'), 'file a\n');
  fs.writeFileSync(path.join(www, 'b.txt'), 'file b\n');
  const nd = path.join(root, 'nginx');
  fs.mkdirSync(nd, { recursive: true });
  nginx = startNginx(ports[16], ports[17], nd, www);
  await waitFor('nginx up', () => new Promise<boolean>((res) => { const s = net.connect(ports[16], '127.0.0.1', () => { s.destroy(); res(true); }); s.on('error', () => res(false)); }));
  await applyDoc(A, 'Connector', 'web-a', { routingKey: 'web', host: '127.0.0.1', port: ports[16], type: 'http1' });
  await applyDoc(C, 'Connector', 'web-c', { routingKey: 'web', host: '127.0.0.1', port: ports[16], type: 'http1' });
  await applyDoc(B, 'Listener', 'web', { routingKey: 'web', host: '127.0.0.1', port: ports[7], type: 'http1', balance: 'request' });
  await keyAt('web', ['alpha', 'gamma']);
  await listenerReady('web');
  const out = await new Promise<string>((resolve, reject) => execFile('curl', ['-sS', '-w', '|%{num_connects}\n', `http://127.0.0.1:${ports[7]}/a.txt`, `http://127.0.0.1:${ports[7]}/b.txt`], { timeout: 20_000 }, (e, o) => (e ? reject(e) : resolve(o))));
  assert.is(out, 'file a\n|1\nfile b\n|0\n', 'both files, the second on the same connection');
});

test.run();
