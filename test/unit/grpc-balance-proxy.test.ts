// Issue 13, gRPC through the stream balancer in process (no sites): two @grpc/grpc-js servers as two
// local targets, one grpc-js client (one HTTP/2 connection) at a StreamBalancer. Unary calls spread,
// a server-streaming and a bidi call carry every message with their status and trailing metadata,
// and after one server is shut down every call goes to the other.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import pino from 'pino';
import * as grpc from '@grpc/grpc-js';
import { streamPair } from '../../dataplane/http-balance/stream-pair.js';
import { StreamBalancer } from '../../dataplane/http-balance/stream-balancer.js';
import type { Upstreams } from '../../dataplane/http-balance/upstreams.js';
import type { BalanceTarget } from '../../dataplane/http-balance/target-choice.js';
import type { RouteTable } from '../../dataplane/routing/route-table.js';
import type { HttpRequest } from '../../dataplane/port/report.js';
import { namedServer, namedClient, say, sayMany, tally, str, within } from '../helpers/grpc-named.js';

const calls: Record<string, number> = {};
const seen: HttpRequest[] = [];
let front: net.Server;
let balancer: StreamBalancer;
let port = 0;
const servers = new Map<string, grpc.Server>();

/** A connection to `port` as a remote target's is: the session's socket is one end of a stream pair
 *  (a JS stream, not a net.Socket), where Node gives a read's DATA before the 'response' of its
 *  HEADERS; the body must still reach the client. */
function viaPair(port: number): Duplex {
  const { outer, inner } = streamPair();
  const sock = net.connect(port, '127.0.0.1');
  inner.pipe(sock);
  sock.pipe(inner);
  sock.on('error', (e) => inner.destroy(e));
  inner.on('close', () => sock.destroy());
  return outer;
}

const free = (): Promise<number> => new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); });

test.before(async () => {
  const ports: Record<string, number> = { a: await free(), b: await free() };
  servers.set('s1', await namedServer('s1', ports.a, calls));
  servers.set('s2', await namedServer('s2', ports.b, calls));
  const upstreams = {
    localConnectors: () => Object.keys(ports),
    // s1 as a remote target's connection is (a stream pair), s2 a socket.
    connect: (t: BalanceTarget) => ((t as { connector: string }).connector === 'a' ? viaPair(ports.a) : net.connect({ host: '127.0.0.1', port: ports.b })),
  } as unknown as Upstreams;
  const routes: RouteTable = { self: 'self', version: 1, paths: new Map(), keys: new Map([['k', [{ site: 'self', siteName: 'here', cost: 0, nextHop: 'self' }]]]) };
  balancer = new StreamBalancer({ name: 'l', routingKey: 'k', host: '127.0.0.1', port: 0, type: 'http2', balance: 'request' }, { siteId: 'self', routes: () => routes, reachable: () => true, upstreams, log: pino({ level: 'silent' }) });
  front = net.createServer({ allowHalfOpen: true }, (c) => balancer.accept(c, { request: (q) => seen.push(q), malformed: () => {} }));
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  port = (front.address() as net.AddressInfo).port;
});

test.after(() => {
  front.close();
  balancer.close();
  for (const s of servers.values()) s.forceShutdown();
});

test('unary calls of one client spread over both servers; a NOT_FOUND keeps its details and trailing metadata', async () => {
  const c = namedClient(port);
  const t = tally(await sayMany(c, 20));
  assert.equal(t, { s1: 10, s2: 10 });
  const [code, details, why] = await say(c, 'fail');
  assert.is(code, grpc.status.NOT_FOUND);
  assert.is(why, `${details.slice(0, 2)}-missing`);
  assert.is(seen.at(-1)?.grpcStatus, grpc.status.NOT_FOUND);
  assert.is(seen.at(-2)?.grpcStatus, 0);
  c.close();
});

test('server-streaming and bidi calls: every message in order, status and trailing metadata', async () => {
  const c = namedClient(port);
  const got: string[] = [];
  const st = await new Promise<grpc.StatusObject>((resolve) => { const call = c.Count(str('300'), within()); call.on('data', (m: Buffer) => got.push(String(m))); call.on('status', resolve); call.on('error', () => {}); });
  assert.is(st.code, 0);
  assert.is(st.metadata.get('x-count')[0], '300');
  assert.ok(got.length === 300 && got.every((m, i) => m === `${got[0].slice(0, 2)}:${i}:${'x'.repeat(1000)}`));
  const echoes: string[] = [];
  const bs = await new Promise<grpc.StatusObject>((resolve) => {
    const call = c.Echo(within());
    call.on('data', (m: Buffer) => { echoes.push(String(m)); if (echoes.length < 20) call.write(str(`e${echoes.length}`)); else call.end(); });
    call.on('status', resolve);
    call.on('error', () => {});
    call.write(str('e0'));
  });
  assert.is(bs.code, 0);
  assert.equal(echoes, [...Array(20).keys()].map((i) => `${echoes[0].slice(0, 2)}:e${i}`));
  c.close();
});

test('a server shut down between calls: every later call of the same client goes to the other', async () => {
  const c = namedClient(port);
  const who = await sayMany(c, 30, async (i) => { if (i === 8) { servers.get('s2')!.forceShutdown(); servers.delete('s2'); } });
  assert.equal(tally(who.slice(0, 8)), { s1: 4, s2: 4 });
  assert.equal(tally(who.slice(8)), { s1: 22 });
  c.close();
});

test.run();
