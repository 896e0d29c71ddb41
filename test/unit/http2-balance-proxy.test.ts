// Issue 13, the stream-balanced (HTTP/2) listener's proxy in process: a StreamBalancer whose
// upstreams dial local h2c servers directly (no sites), driven by one client session. Checks the
// spread of one connection's streams, trailers both ways, a trailers-only answer, RST_STREAM both
// ways, the retry of a stream whose target refused the connection, and new streams after a GOAWAY.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http2 from 'node:http2';
import net from 'node:net';
import { StreamBalancer } from '../../dataplane/http-balance/stream-balancer.js';
import { localBalancer, listen } from '../helpers/local-balancer.js';

/** A balancer over local "connectors" named by port; `ports[name]` says where each one's server is. */
async function balancer(ports: Record<string, number>) {
  const p = await localBalancer('http2', ports, (spec, deps) => new StreamBalancer(spec, deps));
  return { ...p, close: () => { p.close(); p.b.close(); } };
}

/** An h2c server answering with its name, the path and the request body's length; trailers echo the request's `x-in` trailer. */
function named(name: string, hits: string[]): http2.Http2Server {
  const s = http2.createServer();
  s.on('stream', (st, h) => {
    hits.push(name);
    let n = 0;
    let inTrailer = '';
    st.on('error', () => {});
    st.on('data', (c: Buffer) => { n += c.length; });
    st.on('trailers', (t) => { inTrailer = String(t['x-in'] ?? ''); });
    st.on('end', () => {
      if (h[':path'] === '/fail') { st.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'not here' }, { endStream: true }); return; }
      if (h[':path'] === '/rst') { st.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM); return; }
      st.respond({ ':status': 200, 'x-server': name }, { waitForTrailers: true });
      st.on('wantTrailers', () => st.sendTrailers({ 'grpc-status': '0', 'x-echo': inTrailer }));
      st.end(`${name} ${h[':path']} ${n}`);
    });
  });
  return s;
}

interface Reply { status: number; body: string; trailers: http2.IncomingHttpHeaders; headers: http2.IncomingHttpHeaders; rst?: number }

function call(c: http2.ClientHttp2Session, path: string, body?: string, trailer?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const st = c.request({ ':method': body === undefined ? 'GET' : 'POST', ':path': path }, body === undefined ? { endStream: true } : { waitForTrailers: true });
    if (trailer !== undefined) st.on('wantTrailers', () => st.sendTrailers({ 'x-in': trailer }));
    else st.on('wantTrailers', () => st.sendTrailers({}));
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    let b = '';
    st.setEncoding('utf8');
    st.on('response', (h) => { headers = h; });
    st.on('trailers', (t) => { trailers = t; });
    st.on('data', (d: string) => { b += d; });
    st.on('error', () => {});
    st.on('close', () => resolve({ status: Number(headers[':status'] ?? 0), body: b, headers, trailers, rst: st.rstCode }));
    if (body !== undefined) st.end(body);
    void reject;
  });
}

test('one client connection: streams alternate over two servers; trailers pass both ways; each stream recorded with its target', async () => {
  const hits: string[] = [];
  const s1 = named('s1', hits);
  const s2 = named('s2', hits);
  const p = await balancer({ a: await listen(s1), b: await listen(s2) });
  const c = http2.connect(`http://127.0.0.1:${p.port}`);
  const replies = [];
  for (let i = 0; i < 10; i++) replies.push(await call(c, `/r${i}/x`, `body-${i}`, `t${i}`));
  assert.ok(replies.every((r, i) => r.status === 200 && (r.body === `s1 /r${i}/x ${`body-${i}`.length}` || r.body === `s2 /r${i}/x ${`body-${i}`.length}`)), JSON.stringify(replies.map((r) => r.body)));
  assert.ok(replies.every((r, i) => r.trailers['x-echo'] === `t${i}` && r.trailers['grpc-status'] === '0'), JSON.stringify(replies.map((r) => r.trailers)));
  assert.is(hits.filter((h) => h === 's1').length, 5);
  assert.is(hits.filter((h) => h === 's2').length, 5);
  // Concurrent streams of the one connection: both servers again.
  const many = await Promise.all([...Array(8).keys()].map((i) => call(c, `/c${i}`)));
  assert.ok(many.every((r) => r.status === 200), JSON.stringify(many));
  assert.ok(new Set(many.map((r) => r.body.split(' ')[0])).size === 2, 'both answer concurrent streams');
  c.close();
  await new Promise((r) => c.once('close', r));
  await new Promise((r) => setTimeout(r, 50));
  assert.is(p.seen.length, 18);
  const q = p.seen[0];
  assert.is(q.method, 'POST');
  assert.is(q.path, 'r0');
  assert.is(q.status, 200);
  assert.is(q.grpcStatus, 0);
  assert.is(q.bytesToServer, 'body-0'.length);
  assert.is(q.bytesToClient, replies[0].body.length);
  assert.match(q.target ?? '', /^here\/[ab]$/);
  // Each target has one upstream session, shared by the streams.
  assert.equal(p.b.pools.status().map((t) => t.requests).sort(), [9, 9]);
  p.close(); s1.close(); s2.close();
});

test('a trailers-only answer (a gRPC error) ends the client stream with its headers; a server\'s RST_STREAM reaches the client with its code', async () => {
  const hits: string[] = [];
  const s1 = named('s1', hits);
  const p = await balancer({ a: await listen(s1) });
  const c = http2.connect(`http://127.0.0.1:${p.port}`);
  const f = await call(c, '/fail', 'x');
  assert.is(f.headers['grpc-status'], '5');
  assert.is(f.headers['grpc-message'], 'not here');
  assert.is(f.body, '');
  const r = await call(c, '/rst', 'x');
  assert.is(r.rst, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  c.close();
  await new Promise((res) => setTimeout(res, 50));
  assert.is(p.seen.find((q) => q.path === 'fail')?.grpcStatus, 5);
  p.close(); s1.close();
});

test('a client\'s RST_STREAM reaches the server with its code', async () => {
  const s = http2.createServer();
  const got = new Promise<number | undefined>((resolve) => s.on('stream', (st) => { st.on('error', () => {}); st.on('close', () => resolve(st.rstCode)); st.respond({ ':status': 200 }); st.write('partial'); }));
  const p = await balancer({ a: await listen(s) });
  const c = http2.connect(`http://127.0.0.1:${p.port}`);
  const st = c.request({ ':method': 'POST', ':path': '/x' });
  st.on('error', () => {});
  st.once('data', () => st.close(http2.constants.NGHTTP2_CANCEL));
  assert.is(await got, http2.constants.NGHTTP2_CANCEL);
  c.close(); p.close(); s.close();
});

test('a target that refuses connections: every stream is retried on the other and answered', async () => {
  const hits: string[] = [];
  const dead = net.createServer();
  const deadPort = await listen(dead);
  await new Promise((r) => dead.close(r));
  const s2 = named('s2', hits);
  const p = await balancer({ a: deadPort, b: await listen(s2) });
  const c = http2.connect(`http://127.0.0.1:${p.port}`);
  for (let i = 0; i < 6; i++) {
    const r = await call(c, `/r${i}`, 'hello');
    assert.is(r.body, `s2 /r${i} 5`);
  }
  assert.is(hits.length, 6);
  c.close(); p.close(); s2.close();
});

test('a server\'s GOAWAY: the in-flight stream finishes, later streams go to a new session', async () => {
  const s = http2.createServer();
  let sessions = 0;
  s.on('session', () => { sessions++; });
  s.on('stream', (st, h) => {
    st.respond({ ':status': 200 });
    if (h[':path'] === '/slow') { st.session!.close(); setTimeout(() => st.end('slow done'), 50); } else st.end('fast');
  });
  const p = await balancer({ a: await listen(s) });
  const c = http2.connect(`http://127.0.0.1:${p.port}`);
  const slow = call(c, '/slow');
  await new Promise((r) => setTimeout(r, 20));
  const fast = await call(c, '/fast');
  assert.is(fast.body, 'fast');
  assert.is((await slow).body, 'slow done');
  assert.is(sessions, 2, 'a second upstream session after the GOAWAY');
  c.close(); p.close(); s.close();
});

test('the client\'s connection gone mid-stream: the upstream stream is cancelled; a 103 before the answer reaches the client', async () => {
  const s = http2.createServer();
  let closed!: (code: number | undefined) => void;
  const upClosed = new Promise<number | undefined>((r) => { closed = r; });
  s.on('stream', (st, h) => {
    st.on('error', () => {});
    if (h[':path'] === '/hints') { st.additionalHeaders({ ':status': 103, link: '</a.css>; rel=preload' }); st.respond({ ':status': 200 }); st.end('done'); return; }
    st.on('close', () => closed(st.rstCode));
    st.respond({ ':status': 200 });
    st.write('partial');
  });
  const p = await balancer({ a: await listen(s) });
  const c = http2.connect(`http://127.0.0.1:${p.port}`);
  const info = await new Promise<http2.IncomingHttpHeaders>((resolve) => { const st = c.request({ ':path': '/hints' }); st.on('headers', resolve); st.resume(); });
  assert.is(info[':status'], 103);
  assert.is(info.link, '</a.css>; rel=preload');
  const st = c.request({ ':method': 'POST', ':path': '/long' });
  st.on('error', () => {});
  st.once('data', () => c.destroy());
  assert.is(await upClosed, http2.constants.NGHTTP2_CANCEL);
  p.close(); s.close();
});

test.run();
