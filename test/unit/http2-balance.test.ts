// Issue 13, per-stream balancing of http2 listeners: the pure parts — which header fields pass each
// way, the decision on a failed upstream stream (retry, reset with the server's code, 502), and the
// choice of target across the streams of one connection (TargetPicker over a route snapshot).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http2 from 'node:http2';
import { requestHeaders, responseHeaders, trailerHeaders, firstSegment, grpcStatusOf } from '../../dataplane/http-balance/h2-headers.js';
import { streamVerdict, unprocessed, type StreamFailure } from '../../dataplane/http-balance/stream-failure.js';
import { TargetPicker } from '../../dataplane/http-balance/target-picker.js';
import { REMOTE_LANES } from '../../dataplane/http-balance/target-choice.js';
import type { Upstreams } from '../../dataplane/http-balance/upstreams.js';
import type { RouteTable } from '../../dataplane/routing/route-table.js';

const C = http2.constants;

// ---- headers ----------------------------------------------------------------------------------

test('requestHeaders: request pseudo-headers and end-to-end fields pass; connection-specific ones, :status and :protocol do not; te only as trailers', () => {
  const h = { ':method': 'POST', ':path': '/svc/Call', ':scheme': 'http', ':authority': 'x:1', ':protocol': 'websocket', ':status': '200', 'content-type': 'application/grpc', te: 'trailers', connection: 'close', 'keep-alive': '5', 'transfer-encoding': 'chunked', upgrade: 'h2c', 'proxy-connection': 'x', 'http2-settings': 'AA', 'x-a': ['1', '2'] };
  assert.equal(requestHeaders(h), { ':method': 'POST', ':path': '/svc/Call', ':scheme': 'http', ':authority': 'x:1', 'content-type': 'application/grpc', te: 'trailers', 'x-a': ['1', '2'] });
  assert.equal(requestHeaders({ ':method': 'GET', te: 'gzip' }), { ':method': 'GET' });
});

test('responseHeaders keep :status only of the pseudo-headers; trailerHeaders keep none; never-indexed fields stay never-indexed', () => {
  assert.equal(responseHeaders({ ':status': '200', ':path': '/x', 'grpc-encoding': 'identity', connection: 'x' }), { ':status': '200', 'grpc-encoding': 'identity' });
  assert.equal(trailerHeaders({ ':status': '200', 'grpc-status': '0', 'grpc-message': 'ok' }), { 'grpc-status': '0', 'grpc-message': 'ok' });
  const h = { ':status': '200', authorization: 'secret', [http2.sensitiveHeaders]: ['authorization'] } as http2.IncomingHttpHeaders;
  assert.equal((responseHeaders(h) as Record<symbol, unknown>)[http2.sensitiveHeaders], ['authorization']);
});

test('firstSegment and grpcStatusOf', () => {
  assert.is(firstSegment('/helloworld.Greeter/SayHello'), 'helloworld.Greeter');
  assert.is(firstSegment('/'), '');
  assert.is(firstSegment('/a?b'), 'a');
  assert.is(firstSegment(undefined), '');
  assert.is(firstSegment(`/${'x'.repeat(100)}`).length, 64);
  assert.is(grpcStatusOf({ 'grpc-status': '14' }), 14);
  assert.is(grpcStatusOf({ 'grpc-status': 'x' }), undefined);
  assert.is(grpcStatusOf({}), undefined);
  assert.is(grpcStatusOf(undefined), undefined);
});

// ---- failure decision -------------------------------------------------------------------------

const fail = (f: Partial<StreamFailure>): StreamFailure => ({ answered: false, resetByServer: false, rstCode: 0, notReached: false, streamId: 1, goawayLastId: undefined, replayable: true, attempts: 1, ...f });

test('unprocessed: a connection that never reached a server, REFUSED_STREAM, or a stream above the GOAWAY\'s last id', () => {
  assert.ok(unprocessed(fail({ notReached: true })));
  assert.ok(unprocessed(fail({ resetByServer: true, rstCode: C.NGHTTP2_REFUSED_STREAM })));
  assert.ok(unprocessed(fail({ streamId: 5, goawayLastId: 3 })));
  assert.ok(unprocessed(fail({ streamId: undefined, goawayLastId: 0 })));
  assert.not.ok(unprocessed(fail({ streamId: 3, goawayLastId: 3 })));
  assert.not.ok(unprocessed(fail({ resetByServer: true, rstCode: C.NGHTTP2_CANCEL })));
  assert.not.ok(unprocessed(fail({})));
});

test('streamVerdict: the table', () => {
  const cases: [Partial<StreamFailure>, ReturnType<typeof streamVerdict>][] = [
    [{ notReached: true }, { kind: 'retry' }],
    [{ resetByServer: true, rstCode: C.NGHTTP2_REFUSED_STREAM }, { kind: 'retry' }],
    [{ streamId: 7, goawayLastId: 5 }, { kind: 'retry' }],
    // Not retried: attempts used up, body not held, or already answered.
    [{ notReached: true, attempts: 3 }, { kind: 'answer', status: 502 }],
    [{ notReached: true, replayable: false }, { kind: 'answer', status: 502 }],
    [{ resetByServer: true, rstCode: C.NGHTTP2_REFUSED_STREAM, attempts: 3 }, { kind: 'reset', code: C.NGHTTP2_REFUSED_STREAM }],
    [{ notReached: true, answered: true }, { kind: 'reset', code: C.NGHTTP2_INTERNAL_ERROR }],
    // A server's reset passes with its code, answered or not.
    [{ resetByServer: true, rstCode: C.NGHTTP2_CANCEL }, { kind: 'reset', code: C.NGHTTP2_CANCEL }],
    [{ resetByServer: true, rstCode: C.NGHTTP2_ENHANCE_YOUR_CALM, answered: true }, { kind: 'reset', code: C.NGHTTP2_ENHANCE_YOUR_CALM }],
    // The session died after the server may have seen the stream.
    [{}, { kind: 'answer', status: 502 }],
    [{ answered: true }, { kind: 'reset', code: C.NGHTTP2_INTERNAL_ERROR }],
  ];
  for (const [f, want] of cases) assert.equal(streamVerdict(fail(f)), want, JSON.stringify(f));
});

// ---- target choice across streams -------------------------------------------------------------

function picker(routes: RouteTable, local: string[] = []) {
  const opened: string[] = [];
  const upstreams = { localConnectors: () => local, connect: () => { throw new Error('not in this test'); } } as unknown as Upstreams;
  const p = new TargetPicker({ name: 'l', routingKey: 'k', host: '127.0.0.1', port: 0, type: 'http2', balance: 'request' }, { siteId: 'self', routes: () => routes, reachable: () => true, upstreams }, () => ({ destroy: () => opened.push('x') }));
  return p;
}

test('TargetPicker: sequential streams of one connection alternate over two local connectors; a busy target is passed over', () => {
  const routes: RouteTable = { self: 'self', version: 1, paths: new Map(), keys: new Map([['k', [{ site: 'self', siteName: 'here', cost: 0, nextHop: 'self' }]]]) };
  const p = picker(routes, ['b', 'a']);
  const seq: string[] = [];
  for (let i = 0; i < 6; i++) { const t = p.pick(new Set(), false)!; seq.push(t.label); p.finish(t.id, false); }
  assert.equal(seq, ['here/a', 'here/b', 'here/a', 'here/b', 'here/a', 'here/b']);
  // A long stream (a bidi call) at a: the next three go to b until a is as loaded.
  const long = p.pick(new Set(), false)!;
  const next = p.pick(new Set(), false)!;
  assert.is.not(next.id, long.id);
  // A retry excludes the target tried.
  const r = p.pick(new Set([long.id === 'k@local/a' ? 'k@local/b' : 'k@local/a']), true)!;
  assert.is(r.id, long.id);
  assert.equal(p.pools.status().map((t) => t.retried).reduce((a, b) => a + b, 0), 1);
});

test('TargetPicker: a remote site is REMOTE_LANES lanes, each its own target (and upstream session)', () => {
  const routes: RouteTable = { self: 'self', version: 1, paths: new Map(), keys: new Map([['k', [{ site: 'far', siteName: 'FAR', cost: 1, nextHop: 'far' }]]]) };
  const p = picker(routes);
  const labels = new Set<string>();
  for (let i = 0; i < 2 * REMOTE_LANES; i++) { const t = p.pick(new Set(), false)!; labels.add(t.label); p.finish(t.id, false); }
  assert.equal([...labels].sort(), [...Array(REMOTE_LANES).keys()].map((l) => `FAR#${l}`));
  assert.is(p.pools.size, REMOTE_LANES);
});

test.run();
