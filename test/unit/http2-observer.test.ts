// Issue 13: the HTTP/2 observer on hand-made frames, wasm and TypeScript twin alike: streams opened by
// HEADERS and ended by END_STREAM, RST_STREAM, GOAWAY or the connection's end; padding, priority and
// CONTINUATION; frames cut at every byte; DATA passed unread; gRPC trailers; 1xx; every fallback reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as H from '../../wasm/assembly/http2-consts.js';
import { loadCore } from '../../dataplane/core/wasm-core.js';
import { TsHttp2 } from '../../dataplane/core/ts-http2.js';
import type { Http2Core, Http2Observation } from '../../dataplane/core/http2-core.js';
import { observeChunk } from '../../dataplane/http-observer.js';
import { Http2FlowObserver } from '../../dataplane/http2-observer.js';
import type { HttpRequest } from '../../dataplane/port/report.js';
import { PREFACE, continuation, data, frame, goaway, headers, hex, hpackString, literalBlock, rst, settings } from '../helpers/http2-frames.js';

const wasm = loadCore(65536);
const cores: [string, () => Http2Core][] = [['wasm', () => wasm.http2()], ['ts', () => new TsHttp2()]];

/** Feeds `turns` (direction, bytes) through observeChunk, each cut into pieces of `cut` bytes; ends with h2End when `end`. */
function run(c: Http2Core, turns: [number, Uint8Array][], cut = 1 << 20, end = false): { o: number; obs: Http2Observation[] } {
  const o = c.open();
  const obs: Http2Observation[] = [];
  let now = 10;
  for (const [dir, b] of turns) {
    for (let off = 0; off < b.length; off += cut) observeChunk(c, o, dir, b.subarray(off, off + cut), now++, (x) => obs.push(x as Http2Observation));
  }
  if (end) { const n = c.end(o, now); for (let i = 0; i < n; i++) obs.push(c.observation(i)); }
  return { o, obs };
}
const Q = H.H2_REQ, R = H.H2_RES;
const GET = (path: string): Buffer => Buffer.from([0x82, 0x86, 0x04, ...hpackString(path, true).slice(0), 0x41, ...hpackString('localhost', false)]);
const STATUS = (s: number): Buffer => s === 200 ? hex('88') : Buffer.from([0x08, ...hpackString(String(s), false)]);
const start = (): [number, Uint8Array][] => [[Q, Buffer.concat([PREFACE, settings([[4, 65535]])])], [R, Buffer.concat([settings(), frame(H.FT_SETTINGS, H.FL_ACK, 0)])]];
const brief = (x: Http2Observation): unknown[] => [x.method, x.segment, x.status, x.grpcStatus, x.reset, x.bytesToServer, x.bytesToClient];

for (const [name, make] of cores) {
  test(`issue 13 (${name}): a GET and a POST with a body, cut at every byte and in one piece, give the same observations`, () => {
    const req1 = headers(1, GET('/api/v1/items?x=1'), { endStream: true });
    const post = Buffer.concat([headers(3, Buffer.from([0x83, 0x86, 0x04, ...hpackString('/upload', false)])), data(3, 1000), data(3, 24, true)]);
    const res1 = Buffer.concat([headers(1, STATUS(200)), data(1, 5000, true)]);
    const res3 = headers(3, STATUS(404), { endStream: true });
    const turns: [number, Uint8Array][] = [...start(), [Q, Buffer.concat([req1, post])], [R, Buffer.concat([res3, res1])]];
    const expect = [[3, 'upload', 404, -1, false, post.length, res3.length], [1, 'api', 200, -1, false, req1.length, res1.length]];
    for (const cut of [1, 7, 100000]) {
      const c = make();
      const { o, obs } = run(c, turns, cut);
      assert.equal(obs.map(brief), expect, `cut ${cut}`);
      assert.is(c.mode(o), H.H2_PARSING);
    }
  });

  test(`issue 13 (${name}): padding, priority and CONTINUATION; a literal indexed by the client and used again`, () => {
    const block = Buffer.concat([hex('8286'), literalBlock([[':path', '/first/x']], true, true), literalBlock([['x-long', 'v'.repeat(300)]], false, true)]);
    const req = Buffer.concat([
      headers(1, block.subarray(0, 5), { endHeaders: false, pad: 7, priority: true }),
      continuation(1, block.subarray(5, 40), false), continuation(1, block.subarray(40), true),
      // Stream 3 names the path by its dynamic index (63: second newest, after x-long), with END_STREAM on a padded HEADERS.
      headers(3, hex('82 86 bf be'), { endStream: true, pad: 3 }),
      data(1, 10, true),
    ]);
    const res = Buffer.concat([headers(3, STATUS(204), { endStream: true, priority: true }), headers(1, STATUS(200), { endStream: true, pad: 200 })]);
    const { obs } = run(make(), [...start(), [Q, req], [R, res]], 3);
    assert.equal(obs.map((x) => [x.segment, x.status]), [['first', 204], ['first', 200]]);
  });

  test(`issue 13 (${name}): gRPC trailers give grpc-status; a 100-continue head is not the final status`, () => {
    const req = Buffer.concat([headers(1, Buffer.from([0x83, 0x86, 0x04, ...hpackString('/pkg.Svc/Call', true)])), data(1, 17, true)]);
    const res = Buffer.concat([headers(1, STATUS(100)), headers(1, STATUS(200)), data(1, 12), headers(1, literalBlock([['grpc-status', '14'], ['grpc-message', 'unavailable']], true), { endStream: true })]);
    const { obs } = run(make(), [...start(), [Q, req], [R, res]], 5);
    assert.equal(obs.map((x) => [x.method, x.segment, x.status, x.grpcStatus]), [[3, 'pkg.Svc', 200, 14]]);
  });

  test(`issue 13 (${name}): RST_STREAM, GOAWAY and the connection's end end streams as reset`, () => {
    const req = Buffer.concat([1, 3, 5, 7].map((sid) => headers(sid, GET(`/s${sid}`))));
    const { obs } = run(make(), [...start(), [Q, req], [Q, rst(1)], [R, headers(3, STATUS(200))], [R, goaway(3)], [R, rst(3)]], 4, true);
    assert.equal(obs.map((x) => [x.segment, x.status, x.reset]), [['s1', 0, true], ['s5', 0, true], ['s7', 0, true], ['s3', 200, true]]);
    const open = run(make(), [...start(), [Q, headers(1, GET('/late'))], [R, headers(1, STATUS(500))]], 100, true);
    assert.equal(open.obs.map((x) => [x.segment, x.status, x.reset]), [['late', 500, true]]);
  });

  test(`issue 13 (${name}): DATA payloads pass unread (skip/pass), never copied in`, () => {
    const c = make();
    const o = c.open();
    c.feed(o, R, settings([[5, 131072]]), 1);
    c.feed(o, Q, Buffer.concat([PREFACE, settings(), headers(1, GET('/big')), data(1, 100000, true).subarray(0, 9)]), 1);
    assert.is(c.skip(o, Q), 100000);
    assert.is(c.pass(o, Q, 60000, 2), 0);
    assert.is(c.skip(o, Q), 40000);
    c.pass(o, Q, 40000, 3);
    assert.is(c.skip(o, Q), 0);
    c.pass(o, Q, 1, 4);
    assert.is(c.failure(o), H.H2_FAIL_PASS, 'passing more than allowed falls back');
    assert.is(c.skip(o, Q), H.H2_SKIP_ALL);
  });

  test(`issue 13 (${name}): through observeChunk, DATA payloads are passed, not fed (a 16 KiB frame's header is fed, its payload passed)`, () => {
    const c = make();
    let fed = 0, passed = 0;
    const spy: Http2Core = Object.assign(Object.create(c) as Http2Core, {
      feed: (o: number, d: number, b: Uint8Array, now: number) => { const n = c.feed(o, d, b, now); fed += n; return n; },
      pass: (o: number, d: number, n: number, now: number) => { passed += n; return c.pass(o, d, n, now); },
    });
    const body = Buffer.concat(Array.from({ length: 8 }, (_, i) => data(1, 16384, i === 7)));
    const { obs } = run(spy, [...start(), [Q, headers(1, GET('/x'), { endStream: true })], [R, Buffer.concat([headers(1, STATUS(200)), body])]], 65536);
    assert.is(obs.length, 1);
    assert.is(passed, 8 * 16384, 'every DATA payload byte passed');
    assert.ok(fed < 400, `only frame headers, settings and header blocks fed: ${fed}`);
  });

  test(`issue 13 (${name}): each malformed or over-budget input falls back with its reason`, () => {
    const ok = Buffer.concat([PREFACE, settings()]);
    const cases: [string, [number, Uint8Array][], number][] = [
      ['preface', [[Q, Buffer.from('GET / HTTP/1.1\r\n\r\n')]], H.H2_FAIL_PREFACE],
      ['continuation out of place', [[Q, Buffer.concat([ok, continuation(1, hex('82'))])]], H.H2_FAIL_FRAME],
      ['frame between HEADERS and CONTINUATION', [[Q, Buffer.concat([ok, headers(1, hex('82'), { endHeaders: false }), data(1, 1)])]], H.H2_FAIL_FRAME],
      ['settings not a multiple of 6', [[Q, Buffer.concat([ok, frame(H.FT_SETTINGS, 0, 0, Buffer.alloc(5))])]], H.H2_FAIL_FRAME],
      ['padding longer than the frame', [[Q, Buffer.concat([ok, frame(H.FT_HEADERS, H.FL_END_HEADERS | H.FL_PADDED, 1, Buffer.from([9, 0x82]))])]], H.H2_FAIL_FRAME],
      ['frame over the max frame size', [[Q, Buffer.concat([ok, data(1, 16385)])]], H.H2_FAIL_FRAME_SIZE],
      ['bad index', [[Q, Buffer.concat([ok, headers(1, hex('ff00'))])]], H.H2_FAIL_HPACK],
      ['EOS in a Huffman string', [[Q, Buffer.concat([ok, headers(1, hex('0084 ffffffff 00'))])]], H.H2_FAIL_HPACK],
      ['status not 3 digits', [[Q, Buffer.concat([ok, headers(1, GET('/'))])], [R, headers(1, Buffer.from([0x08, ...hpackString('20', false)]))]], H.H2_FAIL_HPACK],
      ['header block over 16 KiB', [[Q, Buffer.concat([ok, settings([[5, 65536]])])], [R, Buffer.concat([settings([[5, 65536]]), headers(2, Buffer.alloc(16385, 0x82))])]], H.H2_FAIL_BLOCK_SIZE],
      ['push promise', [[Q, ok], [R, frame(H.FT_PUSH_PROMISE, 4, 1, Buffer.alloc(5))]], H.H2_FAIL_PUSH],
      ['more than H2_STREAMS streams', [[Q, Buffer.concat([ok, ...Array.from({ length: H.H2_STREAMS + 1 }, (_, i) => headers(1 + 2 * i, GET('/')))])]], H.H2_FAIL_STREAMS],
    ];
    for (const [label, turns, reason] of cases) {
      const c = make();
      const { o } = run(c, turns, 5);
      assert.is(c.mode(o), H.H2_FAILED, label);
      assert.is(c.failure(o), reason, label);
    }
    // A frame over 16 KiB is fine once the receiver's SETTINGS_MAX_FRAME_SIZE allows it.
    const c = make();
    const { o, obs } = run(c, [[Q, Buffer.concat([ok, headers(1, GET('/'))])], [R, settings([[5, 32768]])], [Q, data(1, 20000, true)], [R, headers(1, STATUS(200), { endStream: true })]]);
    assert.is(c.mode(o), H.H2_PARSING);
    assert.is(obs.length, 1);
  });

  test(`issue 13 (${name}): Http2FlowObserver lists requests (grpcStatus when present) and reports a fallback once`, () => {
    const got: HttpRequest[] = [], errors: string[] = [];
    const sink = { onRequest: (q: HttpRequest) => got.push({ ...q }), onParseError: (why: string) => errors.push(why) };
    let t = 0;
    const f = new Http2FlowObserver(make(), sink, () => (t += 5));
    for (const [dir, b] of start()) (dir === Q ? f.request(b) : f.response(b));
    f.request(headers(1, GET('/a'), { endStream: true }));
    f.response(Buffer.concat([headers(1, STATUS(200)), headers(1, literalBlock([['grpc-status', '0']]), { endStream: true })]));
    f.request(Buffer.from('garbage that is not a frame header'));
    f.end();
    assert.equal(got.map((q) => [q.method, q.path, q.status, q.grpcStatus]), [['GET', 'a', 200, 0]]);
    assert.ok(got[0].durationMs > 0);
    assert.equal(errors, ['h2_frame_too_large'], 'the garbage reads as a frame header of 6.8 MB');
    assert.not.ok(f.observing);
  });
}

test.run();
