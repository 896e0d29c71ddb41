// Issue 13, the stream-balanced (HTTP/2) listener's client idle timeout (client-idle.ts), in process
// with a 300 ms timeout: a client connection with no open stream gets a GOAWAY (NO_ERROR) and is
// closed; one with a slow stream open stays past several timeouts and is closed only once idle; a
// HEADERS block HPACK cannot decode (which nghttp2 answers with GOAWAY COMPRESSION_ERROR and no event)
// is counted as h2_connection_error and its connection closed; the good client beside it is not.
// And the same from a server (target-sessions.ts's probe, 200 ms): its stream is answered 502 instead
// of waiting forever on the upstream session nghttp2 ended, and the next stream gets a new session.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http2 from 'node:http2';
import net from 'node:net';
import pino from 'pino';
import { StreamBalancer } from '../../dataplane/http-balance/stream-balancer.js';
import type { Upstreams } from '../../dataplane/http-balance/upstreams.js';
import type { RouteTable } from '../../dataplane/routing/route-table.js';
import { freePorts } from '../helpers/ports.js';
import { badHpackServer, BAD_HPACK_MARK, BAD_HPACK_CLIENT } from '../helpers/bad-servers.js';

const IDLE = 300;
const listen = (s: net.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));

/** A balancer (idle timeout IDLE) over one h2c server: `/slow` answers after `slowMs`, anything else at once; or over `server`. */
async function setup(slowMs: number, given?: { server: net.Server; port: number }) {
  const server = given?.server ?? http2.createServer();
  if (!given) {
    server.on('stream', (st: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => {
      st.on('error', () => {});
      st.respond({ ':status': 200 });
      if (h[':path'] === '/slow') { st.write('started '); setTimeout(() => st.end('slow done'), slowMs); } else st.end('fast');
    });
  }
  const sport = given?.port ?? await listen(server);
  const upstreams = { localConnectors: () => ['a'], connect: () => net.connect({ host: '127.0.0.1', port: sport }) } as unknown as Upstreams;
  const routes: RouteTable = { self: 'self', version: 1, paths: new Map(), keys: new Map([['k', [{ site: 'self', siteName: 'here', cost: 0, nextHop: 'self' }]]]) };
  const b = new StreamBalancer({ name: 'l', routingKey: 'k', host: '127.0.0.1', port: 0, type: 'http2', balance: 'request' }, { siteId: 'self', routes: () => routes, reachable: () => true, upstreams, log: pino({ level: 'silent' }), clientIdleMs: IDLE, upstreamQuietMs: 200 });
  const malformed: string[] = [];
  const front = net.createServer({ allowHalfOpen: true }, (c) => b.accept(c, { request: () => {}, malformed: (why) => malformed.push(why) }));
  const port = await listen(front);
  return { b, port, malformed, close: () => { front.close(); b.close(); server.close(); } };
}

/** A GET on `c`: its body. */
const get = (c: http2.ClientHttp2Session, path: string): Promise<string> => new Promise((resolve, reject) => {
  const st = c.request({ ':path': path });
  let body = '';
  st.setEncoding('utf8');
  st.on('data', (d: string) => { body += d; });
  st.on('end', () => resolve(body));
  st.on('error', reject);
});

/** How the session `c` ended: the GOAWAY code it received (undefined: none) and ms from `t0`. */
const ending = (c: http2.ClientHttp2Session, t0: number) => new Promise<{ goaway: number | undefined; ms: number }>((resolve) => {
  let goaway: number | undefined;
  c.on('goaway', (code: number) => { goaway = code; });
  c.on('error', () => {});
  c.once('close', () => resolve({ goaway, ms: performance.now() - t0 }));
});

test('a client connection with no open stream: GOAWAY (NO_ERROR) after the idle timeout, then closed', async () => {
  const p = await setup(0);
  const c = http2.connect(`http://127.0.0.1:${p.port}`);
  const t0 = performance.now();
  const end = ending(c, t0);
  assert.is(await get(c, '/x'), 'fast');
  const e = await end;
  assert.is(e.goaway, http2.constants.NGHTTP2_NO_ERROR);
  assert.ok(e.ms >= IDLE, `closed after ${e.ms} ms, not before the timeout`);
  assert.equal(p.malformed, [], 'an idle close is no error');
  p.close();
});

test('a connection with a slow stream open is kept past several timeouts; closed once idle after it', async () => {
  const SLOW = 4 * IDLE;
  const p = await setup(SLOW);
  const c = http2.connect(`http://127.0.0.1:${p.port}`);
  const t0 = performance.now();
  const end = ending(c, t0);
  let closedEarly = false;
  c.once('close', () => { closedEarly = true; });
  const body = await get(c, '/slow');
  const answeredAt = performance.now() - t0;
  assert.is(body, 'started slow done', 'the slow stream finished on its connection');
  assert.ok(answeredAt >= SLOW && !closedEarly, 'not closed while the stream was open');
  // The same connection still takes a stream right after.
  assert.is(await get(c, '/x'), 'fast');
  const e = await end;
  assert.is(e.goaway, http2.constants.NGHTTP2_NO_ERROR);
  p.close();
});

test('a HEADERS block HPACK cannot decode: the client gets GOAWAY (COMPRESSION_ERROR) as from Node\'s own server; counted h2_connection_error; connection closed; a good client beside it is served', async () => {
  const p = await setup(3 * IDLE);
  const good = http2.connect(`http://127.0.0.1:${p.port}`);
  const goodEnd = ending(good, performance.now());
  const goodBody = get(good, '/slow');
  // Index 126 (0xfe) is in neither HPACK table.
  const bad = BAD_HPACK_CLIENT;
  const got = await new Promise<{ frames: string[]; end: string }>((resolve) => {
    const parts: Buffer[] = [];
    const s = net.connect({ port: p.port, host: '127.0.0.1' }, () => s.write(bad));
    s.on('data', (d) => parts.push(d));
    const done = (end: string) => {
      const all = Buffer.concat(parts);
      const frames: string[] = [];
      for (let i = 0; i + 9 <= all.length; i += 9 + all.readUIntBE(i, 3)) {
        frames.push(all[i + 3] === 7 ? `GOAWAY last=${all.readUInt32BE(i + 9)} code=${all.readUInt32BE(i + 13)}` : `type${all[i + 3]}`);
      }
      resolve({ frames, end });
    };
    s.on('end', () => done('end'));
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
  assert.ok(got.frames.includes(`GOAWAY last=1 code=${http2.constants.NGHTTP2_COMPRESSION_ERROR}`), got.frames.join(','));
  assert.is(got.end, 'end', 'the connection is closed (by the idle timer: nghttp2 stopped reading it)');
  assert.equal(p.malformed, ['h2_connection_error']);
  assert.is(await goodBody, 'started slow done', 'the good client is served');
  assert.is((await goodEnd).goaway, http2.constants.NGHTTP2_NO_ERROR, 'and later closed as idle, not as an error');
  assert.equal(p.malformed, ['h2_connection_error']);
  p.close();
});

test('a server\'s HEADERS block HPACK cannot decode: its stream gets svcnet\'s 502 (not a wait forever); the next stream goes on a new upstream session and is answered', async () => {
  const [port] = await freePorts(1);
  const p = await setup(0, { server: await badHpackServer(port), port });
  const c = http2.connect(`http://127.0.0.1:${p.port}`);
  const call = (marked: boolean) => new Promise<string>((resolve) => {
    const st = c.request({ ':path': '/x', ...(marked ? { 'x-pad': 'a'.repeat(2 * BAD_HPACK_MARK) } : {}) });
    let status = 0;
    let body = '';
    st.setEncoding('utf8');
    st.on('response', (h) => { status = Number(h[':status']); });
    st.on('data', (d: string) => { body += d; });
    st.on('error', () => {});
    st.on('close', () => resolve(`${status} ${body.trim()}`));
  });
  assert.match(await call(true), /^502 svcnet: upstream failed: the upstream HTTP\/2 session was ended by a connection error/);
  assert.is(await call(false), '200 ');
  assert.equal(p.b.pools.status().map((t) => [t.requests, t.failed]), [[2, 1]]);
  c.close(); p.close();
});

test.run();
