// Issue 13: observed HTTP requests in the flow records and batches — a record lists its requests
// (the last HTTP_REQUESTS_KEPT, all counted), the next batch groups them by key, method and status
// class with their durations, an observer's fallback is named on the record and counted — and a real
// Flow with a tap shows its observer the client's bytes and the link's, and ends it with the flow.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Socket } from 'node:net';
import { FlowRecords, type FlowStart } from '../../dataplane/flow-records.js';
import { HTTP_REQUESTS_KEPT, type HttpRequest } from '../../dataplane/port/report.js';
import { Flow } from '../../dataplane/flow.js';
import { Http1FlowObserver, type FlowTap } from '../../dataplane/http-observer.js';
import { TsHttp1 } from '../../dataplane/core/ts-http1.js';
import { fakeIO, fakeWriter, FakeAppSocket } from '../helpers/fake-stream-io.js';

const start: FlowStart = { id: 'f1', role: 'listener', key: 'web', listenerSite: 'east', connectorSite: 'west', peerSite: 'west', endpoint: 'l', client: '127.0.0.1:1', target: '' };
const meter = { bytesFromApp: 0, bytesToApp: 0, firstFromAppAt: 0, firstToAppAt: 0 };
const req = (status: number, durationMs = 5, method = 'GET'): HttpRequest => ({ method, path: 'api', status, bytesToServer: 10, bytesToClient: 20, durationMs });

test('issue 13: a record lists its requests (bounded) and the batch groups them by key, method and status class', () => {
  const r = new FlowRecords();
  const live = r.open(start, meter, true);
  for (let i = 0; i < HTTP_REQUESTS_KEPT + 5; i++) r.request(live, req(i === 0 ? 404 : 200, i));
  r.request(live, req(0, 1, 'POST'));
  const rec = r.query({})[0];
  assert.is(rec.requestCount, HTTP_REQUESTS_KEPT + 6);
  assert.is(rec.requests!.length, HTTP_REQUESTS_KEPT);
  assert.equal(rec.requests![HTTP_REQUESTS_KEPT - 1], req(0, 1, 'POST'), 'the newest last');
  assert.is(rec.requests![0].durationMs, 6, 'the oldest were dropped from the list');
  const b = r.batch()!;
  const g = (m: string, c: string) => b.http!.find((x) => x.method === m && x.statusClass === c)!;
  assert.is(g('GET', '2xx').count, HTTP_REQUESTS_KEPT + 4);
  assert.is(g('GET', '4xx').count, 1);
  assert.is(g('POST', 'none').sumSeconds, 0.001);
  assert.equal(g('POST', 'none').buckets, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'counted in the first bucket (le 0.001)');
  assert.is(g('GET', '2xx').buckets.reduce((a, b) => a + b, 0), HTTP_REQUESTS_KEPT + 4, 'every request is in a bucket');
  assert.is(r.batch(), undefined, 'counted once');
});

test('issue 13: a record keeps each request\'s fields, not the object handed in (observers reuse theirs), target and grpc-status only where set', () => {
  const r = new FlowRecords();
  const live = r.open(start, meter, true);
  const q: HttpRequest = { method: 'POST', path: 'svc', status: 200, bytesToServer: 1, bytesToClient: 2, durationMs: 3, grpcStatus: 14 };
  r.request(live, q);
  Object.assign(q, { method: 'GET', path: 'other', status: 503, grpcStatus: undefined, target: 'west#1' });
  r.request(live, q);
  q.status = 0;
  assert.equal(r.query({})[0].requests, [
    { method: 'POST', path: 'svc', status: 200, bytesToServer: 1, bytesToClient: 2, durationMs: 3, grpcStatus: 14 },
    { method: 'GET', path: 'other', status: 503, bytesToServer: 1, bytesToClient: 2, durationMs: 3, target: 'west#1' },
  ]);
  for (let i = 0; i < 2 * HTTP_REQUESTS_KEPT + 3; i++) r.request(live, { ...q, durationMs: i, target: i % 2 ? 'a' : undefined });
  const list = r.query({})[0].requests!;
  assert.equal(list.map((x) => x.durationMs), Array.from({ length: HTTP_REQUESTS_KEPT }, (_, k) => HTTP_REQUESTS_KEPT + 3 + k), 'the last ones, oldest first, across the wrap');
  assert.equal(list.map((x) => x.target), list.map((x) => (x.durationMs % 2 ? 'a' : undefined)));
  assert.is(r.query({})[0].requestCount, 2 * HTTP_REQUESTS_KEPT + 5);
});

test('issue 13: an observer fallback is named on the record and counted by key and reason', () => {
  const r = new FlowRecords();
  const live = r.open(start, meter, true);
  r.httpError(live, 'malformed_request');
  assert.is(r.query({})[0].httpError, 'malformed_request');
  assert.equal(r.batch()!.httpErrors, [{ key: 'web', reason: 'malformed_request', count: 1 }]);
});

test('issue 13: a Flow shows its tap the client bytes and the bytes from the link; a flow without one carries them alike', () => {
  for (const tapped of [true, false]) {
    const f = fakeIO({ 1: 1 << 20 });
    const app = new FakeAppSocket();
    const seen: string[] = [];
    const tap: FlowTap = { request: (c) => seen.push(`req ${Buffer.from(c)}`), response: (c) => seen.push(`res ${Buffer.from(c)}`), end: () => seen.push('end') };
    const flow = new Flow(f.io, 1, fakeWriter(0), app as unknown as Socket, () => {});
    if (tapped) flow.tap = tap;
    app.emit('data', Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    flow.onData(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'));
    assert.equal(seen, tapped ? ['req GET / HTTP/1.1\r\n\r\n', 'res HTTP/1.1 200 OK\r\n\r\n'] : []);
    assert.is(flow.bytesFromApp, 18);
    assert.is(flow.bytesToApp, 19);
    assert.is(f.frames()[0], 'DATA@1:18', 'the request went on unchanged');
    assert.is(app.written, 19, 'the response reached the client');
  }
});

test('issue 13: Http1FlowObserver reports requests and one fallback, then lets go of its observer', () => {
  const core = new TsHttp1();
  const got: (HttpRequest | string)[] = [];
  let t = 0;
  // The observer hands the sink one object it reuses: a sink copies what it keeps.
  const o = new Http1FlowObserver(core, { onRequest: (q) => got.push({ ...q }), onParseError: (why) => got.push(why) }, () => (t += 10));
  o.request(Buffer.from('GET /a/b HTTP/1.1\r\n\r\n'));
  o.response(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  assert.equal(got, [{ method: 'GET', path: 'a', status: 200, bytesToServer: 21, bytesToClient: 40, durationMs: 10, grpcStatus: undefined }]);
  o.request(Buffer.from('\x00garbage'));
  assert.is(got[1], 'malformed_request');
  assert.not.ok(o.observing, 'released at the fallback');
  o.request(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  o.end();
  assert.is(got.length, 2, 'nothing more once released');
  const all = Array.from({ length: 1024 }, () => core.open());
  assert.ok(all.every((x) => x >= 0), 'the released observer is free again');
  assert.not.ok(new Http1FlowObserver(core, { onRequest: () => {}, onParseError: () => {} }).observing, 'none left: the flow goes unobserved');
});

test('issue 13: a flow\'s requests are counted in the batch they happen in, whatever groups came before', () => {
  const r = new FlowRecords();
  const a = r.open(start, meter, true);
  const b = r.open(start, meter, true);
  r.request(a, req(200));
  r.request(a, req(500));
  r.request(a, req(201));
  r.request(b, req(200, 5, 'POST'));
  const first = r.batch()!.http!;
  assert.equal(first.map((g) => [g.method, g.statusClass, g.count]), [['GET', '2xx', 2], ['GET', '5xx', 1], ['POST', '2xx', 1]]);
  r.request(a, req(200, 20));
  r.request(b, req(200, 5, 'POST'));
  const second = r.batch()!.http!;
  assert.equal(second.map((g) => [g.method, g.statusClass, g.count]), [['GET', '2xx', 1], ['POST', '2xx', 1]], 'a group sent in an earlier batch is not counted into again');
  assert.is(second[0].sumSeconds, 0.02);
  assert.is(first[0].count, 2, 'the batch already made is left as it was');
});

test('issue 13: requests held before they are folded (pendingCapacity) reach their flows in order, whenever they are read', () => {
  for (const pendingCapacity of [1, 3, 4096]) {
    const r = new FlowRecords({ pendingCapacity });
    const a = r.open({ ...start, id: 'a' }, meter, true);
    const b = r.open({ ...start, id: 'b', key: 'api' }, meter, true);
    const sa = r.sink(a), sb = r.sink(b);
    for (let i = 0; i < 10; i++) (i % 3 === 0 ? sb : sa).onRequest(req(200, i));
    const byId = (id: string) => r.query({}).find((x) => x.id === id)!;
    assert.equal(byId('a').requests!.map((q) => q.durationMs), [1, 2, 4, 5, 7, 8], `capacity ${pendingCapacity}: a's, oldest first`);
    assert.is(byId('b').requestCount, 4);
    sb.onRequest(req(503, 10));
    sb.onParseError('malformed_response');
    r.end(b, 'closed');
    const ended = r.query({ state: 'recent' })[0];
    assert.equal(ended.requests!.map((q) => q.status), [200, 200, 200, 200, 503], 'the request just before the end is on the ended record');
    assert.is(ended.httpError, 'malformed_response');
    const groups = r.batch()!.http!.map((g) => [g.key, g.statusClass, g.count]);
    assert.equal(groups, [['api', '2xx', 4], ['web', '2xx', 6], ['api', '5xx', 1]], 'grouped in the order they were observed');
  }
});

test.run();
