// Issue 13, the request-balanced listener's proxy in process: a RequestBalancer with upstreams that
// dial local HTTP servers directly (no sites), driven by a client over one keep-alive connection.
// Checks the spread, the retry of a request that never reached a server, no retry of one that may
// have, and the validation of `spec.balance` on a Listener.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import net from 'node:net';
import { RequestBalancer } from '../../dataplane/http-balance/request-balancer.js';
import { validateListener } from '../../control/resources/listener.js';
import { localBalancer, listen } from '../helpers/local-balancer.js';

/** A balancer over local "connectors" named by port; `ports[name]` says where each one's server is. */
const balancer = (ports: Record<string, number>) => localBalancer('http1', ports, (spec, deps) => new RequestBalancer(spec, deps));

const named = (name: string, hits: string[]) => http.createServer((req, res) => { hits.push(`${name} ${req.method}`); req.resume(); req.on('end', () => res.end(name)); });

async function send(agent: http.Agent, port: number, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: '/x', agent }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { b += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('one keep-alive connection: requests alternate over two servers, each recorded with its target', async () => {
  const hits: string[] = [];
  const s1 = named('s1', hits), s2 = named('s2', hits);
  const p = await balancer({ a: await listen(s1), b: await listen(s2) });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const bodies: string[] = [];
  for (let i = 0; i < 6; i++) bodies.push((await send(agent, p.port)).body);
  assert.equal(bodies, ['s1', 's2', 's1', 's2', 's1', 's2']);
  assert.equal(p.seen.map((q) => q.target), ['here/a', 'here/b', 'here/a', 'here/b', 'here/a', 'here/b']);
  assert.equal(p.b.status().map((t) => [t.target, t.requests, t.failed]), [['k@local/a', 3, 0], ['k@local/b', 3, 0]]);
  agent.destroy(); p.close(); s1.close(); s2.close();
});

test('a target that refuses connections: the request (even a POST) goes to the other; counted failed and retried', async () => {
  const hits: string[] = [];
  const s2 = named('s2', hits);
  const dead = net.createServer();
  const deadPort = await listen(dead);
  await new Promise((r) => dead.close(r)); // nothing listens there now
  const p = await balancer({ a: deadPort, b: await listen(s2) });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const r = await send(agent, p.port, 'POST', 'payload');
  assert.equal(r, { status: 200, body: 's2' });
  assert.equal(hits, ['s2 POST']);
  const st = Object.fromEntries(p.b.status().map((t) => [t.target, t]));
  assert.is(st['k@local/a'].failed, 1);
  assert.is(st['k@local/b'].retried, 1);
  agent.destroy(); p.close(); s2.close();
});

test('a server that took the request and closed without answering: a POST is not sent again (502); nothing reaches the other', async () => {
  const hits: string[] = [];
  const rude = net.createServer((c) => c.once('data', () => { hits.push('rude'); c.destroy(); }));
  const s2 = named('s2', hits);
  const p = await balancer({ a: await listen(rude), b: await listen(s2) });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const r = await send(agent, p.port, 'POST', 'once only');
  assert.is(r.status, 502);
  assert.match(r.body, /svcnet: upstream failed/);
  assert.equal(hits, ['rude'], 'the POST reached one server, once');
  agent.destroy(); p.close(); rude.close(); s2.close();
});

test('1xx pass back: Expect: 100-continue gets the server\'s 100 before the body is sent; 103 Early Hints arrive before the answer', async () => {
  const srv = http.createServer((req, res) => {
    if (req.url === '/hints') { res.writeEarlyHints({ link: '</a.css>; rel=preload' }); res.end('hinted'); return; }
    let n = 0;
    req.on('data', (c: Buffer) => { n += c.length; });
    req.on('end', () => res.end(`got ${n}`));
  });
  const p = await balancer({ a: await listen(srv) });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const seen: number[] = [];
  const body = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: p.port, method: 'PUT', path: '/up', agent, headers: { expect: '100-continue', 'content-length': 5 } }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => { b += c; });
      res.on('end', () => resolve(b));
    });
    req.on('information', (i) => seen.push(i.statusCode));
    req.on('continue', () => req.end('hello'));
    req.on('error', reject);
  });
  assert.is(body, 'got 5');
  assert.equal(seen, [100]);
  const hints = await new Promise<{ codes: number[]; link: unknown; body: string }>((resolve, reject) => {
    const codes: number[] = [];
    let link: unknown;
    const req = http.get({ host: '127.0.0.1', port: p.port, path: '/hints', agent }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => { b += c; });
      res.on('end', () => resolve({ codes, link, body: b }));
    });
    req.on('information', (i) => { codes.push(i.statusCode); link = i.headers.link; });
    req.on('error', reject);
  });
  assert.equal(hints, { codes: [103], link: '</a.css>; rel=preload', body: 'hinted' });
  agent.destroy(); p.close(); srv.close();
});

test('bad input: garbage gets 400, a head over 64 KiB 431, each counted on the record; no server sees either', async () => {
  const hits: string[] = [];
  const s1 = named('s1', hits);
  const p = await balancer({ a: await listen(s1) });
  const raw = (bytes: string) => new Promise<string>((resolve, reject) => {
    const c = net.connect({ port: p.port, host: '127.0.0.1' });
    let got = '';
    c.on('data', (d) => { got += d.toString('latin1'); });
    c.on('close', () => resolve(got));
    c.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(got) : reject(e)));
    c.write(bytes);
  });
  assert.match(await raw('\x16\x03\x01 not http at all\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(await raw(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`), /^HTTP\/1\.1 431 /);
  assert.equal(p.malformed, ['malformed_request', 'head_too_large']);
  assert.equal(hits, []);
  p.close(); s1.close();
});

test('close (site shutdown): an idle kept-alive client connection is closed', async () => {
  const hits: string[] = [];
  const s1 = named('s1', hits);
  const p = await balancer({ a: await listen(s1) });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  assert.is((await send(agent, p.port)).body, 's1');
  const sock = (agent.freeSockets[Object.keys(agent.freeSockets)[0]] ?? [])[0];
  assert.ok(sock, 'the client keeps its connection');
  const closed = new Promise((r) => sock!.once('close', () => r('closed')));
  let timer: NodeJS.Timeout | undefined;
  try {
    p.b.close();
    // By close() itself, not by the 60 s client idle timeout (Node's closeAllConnections did nothing here).
    const by = await Promise.race([closed, new Promise((r) => { timer = setTimeout(r, 10_000, 'still open after 10 s'); })]);
    assert.is(by, 'closed');
  } finally { clearTimeout(timer); agent.destroy(); sock!.destroy(); p.close(); s1.close(); }
});

test('Listener validation: balance request needs type http1 or http2 and no affinity; connection is the default', () => {
  const doc = (spec: object) => ({ apiVersion: 'svcnet.io/v1', kind: 'Listener', metadata: { name: 'web' }, spec: { port: 8080, ...spec } });
  assert.is(validateListener(doc({ type: 'http1', balance: 'request' })).spec.balance, 'request');
  assert.is(validateListener(doc({})).spec.balance, undefined);
  assert.is(validateListener(doc({ type: 'http2', balance: 'request' })).spec.balance, 'request');
  assert.throws(() => validateListener(doc({ balance: 'request' })), /spec\.balance.*needs spec\.type http1 or http2/);
  assert.throws(() => validateListener(doc({ type: 'tcp', balance: 'request' })), /needs spec\.type http1 or http2/);
  assert.throws(() => validateListener(doc({ type: 'http1', balance: 'request', affinity: true })), /cannot be combined with spec\.affinity/);
  assert.throws(() => validateListener(doc({ type: 'http1', balance: 'stream' })), /spec\.balance.*must be connection or request/);
});

test.run();
