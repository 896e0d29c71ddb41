// Issue 13: the HTTP/1.1 observer of the wasm core and its TypeScript twin, on real conversations
// (curl and raw clients against nginx and Node, test/fixtures/http1-captures.json) replayed whole,
// split at every byte boundary, and through the host's skip/pass feeding; plus hand-made edge cases
// (bounded heads, pipelining, bodiless responses, bad framing, the end of a connection).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as H from '../../wasm/assembly/http1-consts.js';
import * as P from '../../wasm/assembly/protocol.js';
import { loadCore } from '../../dataplane/core/wasm-core.js';
import { TsHttp1 } from '../../dataplane/core/ts-http1.js';
import { HTTP1_METHODS, type Http1Core, type Http1Observation } from '../../dataplane/core/http1-core.js';
import { observeChunk } from '../../dataplane/http-observer.js';
import { loadCaptures } from '../helpers/http1-captures.js';

const cores: [string, Http1Core][] = [['wasm', loadCore(65536).http1()], ['ts', new TsHttp1()]];
const captures = loadCaptures();

type Event = [number, Uint8Array, number];
interface Run { obs: Http1Observation[]; mode: number; failure: number }

/** Replays `events` (direction, bytes, time) on a fresh observer, by whole feed() calls or through observeChunk (skip/pass). */
function replay(core: Http1Core, events: Event[], viaHost: boolean, endAt = 1000): Run {
  const o = core.open();
  assert.ok(o >= 0);
  const obs: Http1Observation[] = [];
  for (const [d, bytes, now] of events) {
    if (viaHost) { observeChunk(core, o, d, bytes, now, (ob) => obs.push(ob)); continue; }
    let off = 0;
    while (off < bytes.length) {
      off += core.feed(o, d, bytes.subarray(off), now);
      for (let i = 0; i < core.outs(); i++) obs.push(core.observation(i));
    }
  }
  const mode = core.mode(o), failure = core.failure(o);
  const n = core.end(o, endAt);
  for (let i = 0; i < n; i++) obs.push(core.observation(i));
  core.close(o);
  return { obs, mode, failure };
}

const asEvents = (evs: [number, Buffer][]): Event[] => evs.map(([d, b], i) => [d, b, i + 1]);
const text = (...parts: [number, string][]): Event[] => parts.map(([d, s], i) => [d, Buffer.from(s, 'latin1'), i + 1]);
const brief = (obs: Http1Observation[]) => obs.map((o) => ({ method: HTTP1_METHODS[o.method], segment: o.segment, status: o.status }));

/** The events with the byte at global offset `k` starting a new chunk. */
function splitAt(events: Event[], k: number): Event[] {
  const out: Event[] = [];
  let at = 0;
  for (const e of events) {
    const [d, b, t] = e;
    if (k > at && k < at + b.length) out.push([d, b.subarray(0, k - at), t], [d, b.subarray(k - at), t]);
    else out.push(e);
    at += b.length;
  }
  return out;
}

test('issue 13: the observer region lies above the forwarding layout, inside memory, regions in order', () => {
  assert.ok(H.H1_BASE >= P.LAYOUT_END);
  assert.ok(H.H1_IN + H.H1_IN_CAP <= H.H1_OUT);
  assert.ok(H.H1_OUT + H.H1_OUT_CAP * H.H1_OBS_SIZE <= H.H1_OBS_BUF);
  assert.ok(H.H1_OBS_BUF + H.H1_MAX * H.H1_SIZE <= H.H1_END);
  assert.ok(H.H1_END <= P.MEMORY_PAGES * 65536);
  assert.ok(H.OB_SEG + H.H1_SEG_MAX <= H.H1_OBS_SIZE);
});

for (const [name, core] of cores) {
  test(`issue 13 (${name}): real captures give their requests with method, first path segment and status`, () => {
    for (const c of captures) {
      const r = replay(core, asEvents(c.events), false);
      assert.equal(brief(r.obs), c.expect, c.name);
    }
  });

  test(`issue 13 (${name}): bytes each way add up to the conversation, and durations run from request to response`, () => {
    for (const c of captures.filter((c) => c.expect.length > 0 && !/CONNECT|upgrade/.test(c.name))) {
      const r = replay(core, asEvents(c.events), false);
      const sum = (d: number) => c.events.filter(([x]) => x === d).reduce((s, [, b]) => s + b.length, 0);
      assert.is(r.obs.reduce((s, o) => s + o.bytesToServer, 0), sum(0), `${c.name}: request bytes`);
      assert.is(r.obs.reduce((s, o) => s + o.bytesToClient, 0), sum(1), `${c.name}: response bytes`);
      for (const o of r.obs) assert.ok(o.endedAt > o.startedAt, `${c.name}: the response ends after its request began`);
    }
  });

  test(`issue 13 (${name}): every capture split at every byte boundary, and fed through skip/pass, observes the same`, () => {
    for (const c of captures) {
      const events = asEvents(c.events);
      const whole = replay(core, events, false);
      const total = events.reduce((s, [, b]) => s + b.length, 0);
      for (let k = 1; k < total; k++) {
        const split = splitAt(events, k);
        assert.equal(replay(core, split, false), whole, `${c.name}: split at ${k}`);
        assert.equal(replay(core, split, true), whole, `${c.name}: split at ${k}, via skip/pass`);
      }
      // One byte at a time.
      const bytes: Event[] = events.flatMap(([d, b, t]) => [...b].map((x) => [d, Uint8Array.of(x), t] as Event));
      assert.equal(replay(core, bytes, true), whole, `${c.name}: byte by byte`);
    }
  });

  test(`issue 13 (${name}): garbage makes the observer fall back to counting, with the reason`, () => {
    const g = captures.find((c) => c.name.startsWith('garbage'))!;
    const r = replay(core, asEvents(g.events), false);
    assert.equal(r.obs, []);
    assert.is(r.mode, H.H1_FAILED);
    assert.is(r.failure, H.H1_FAIL_REQUEST);
  });

  test(`issue 13 (${name}): a head over 64 KiB falls back; one just under does not`, () => {
    const head = (n: number) => `GET /big HTTP/1.1\r\nX-Pad: ${'a'.repeat(n)}\r\n\r\n`;
    const fits = head(H.H1_MAX_HEAD - 30);
    assert.is(fits.length, H.H1_MAX_HEAD);
    const ok = replay(core, text([0, fits], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']), true);
    assert.equal(brief(ok.obs), [{ method: 'GET', segment: 'big', status: 200 }]);
    const over = replay(core, text([0, head(H.H1_MAX_HEAD - 29)]), true);
    assert.is(over.failure, H.H1_FAIL_HEAD_SIZE);
    const res = replay(core, text([0, 'GET / HTTP/1.1\r\n\r\n'], [1, `HTTP/1.1 200 OK\r\nX: ${'b'.repeat(70000)}\r\n\r\n`]), true);
    assert.is(res.failure, H.H1_FAIL_HEAD_SIZE);
    const chunkLine = replay(core, text([0, 'GET / HTTP/1.1\r\n\r\n'], [1, `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;${'e'.repeat(70000)}\r\n`]), true);
    assert.is(chunkLine.failure, H.H1_FAIL_HEAD_SIZE);
  });

  test(`issue 13 (${name}): pipelining up to ${H.H1_PEND_CAP} requests ahead, falling back beyond`, () => {
    const req = (i: number) => `GET /r${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const res = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const n = H.H1_PEND_CAP;
    const ok = replay(core, text([0, Array.from({ length: n }, (_, i) => req(i)).join('')], [1, res.repeat(n)]), true);
    assert.equal(ok.obs.map((o) => `${o.segment} ${o.status}`), Array.from({ length: n }, (_, i) => `r${i} 200`));
    const over = replay(core, text([0, Array.from({ length: n + 1 }, (_, i) => req(i)).join('')]), true);
    assert.is(over.failure, H.H1_FAIL_PIPELINE);
  });

  test(`issue 13 (${name}): bodiless responses (HEAD, 204, 304, 1xx) and framing by length, chunks and close`, () => {
    const r = replay(core, text(
      [0, 'HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\nPUT /d HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n'],
      [1, 'HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n'],
      [0, 'abc'],
      [1, 'HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n'],
      [0, 'DELETE /e?x=1 HTTP/1.1\r\n\r\n'],
      [1, 'HTTP/1.0 500 Oops\r\n\r\nuntil the end'],
    ), true);
    assert.equal(brief(r.obs), [
      { method: 'HEAD', segment: 'a', status: 200 }, { method: 'GET', segment: 'b', status: 204 }, { method: 'GET', segment: 'c', status: 304 },
      { method: 'PUT', segment: 'd', status: 200 }, { method: 'DELETE', segment: 'e', status: 500 },
    ]);
    assert.is(r.obs[4].bytesToClient, 'HTTP/1.0 500 Oops\r\n\r\nuntil the end'.length, 'read until close, completed by end()');
    assert.is(r.obs[4].endedAt, 1000);
  });

  test(`issue 13 (${name}): the end of a connection: unanswered requests get status 0; half a request gives nothing`, () => {
    const r = replay(core, text([0, 'GET /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\nGET /z HT']), true);
    assert.equal(brief(r.obs), [{ method: 'GET', segment: 'x', status: 0 }, { method: 'GET', segment: 'y', status: 0 }]);
    const cut = replay(core, text([0, 'GET /x HTTP/1.1\r\n\r\n'], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort']), true);
    assert.equal(brief(cut.obs), [{ method: 'GET', segment: 'x', status: 200 }], 'a cut-short response keeps its status');
  });

  test(`issue 13 (${name}): malformed framing and unexpected responses fall back`, () => {
    const cases: [string, Event[], number][] = [
      ['two different Content-Lengths', text([0, 'POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n']), H.H1_FAIL_REQUEST],
      ['a request Transfer-Encoding that does not end in chunked', text([0, 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n']), H.H1_FAIL_REQUEST],
      ['a bad chunk size', text([0, 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']), H.H1_FAIL_REQUEST],
      ['a space before the colon', text([0, 'GET / HTTP/1.1\r\nHost : x\r\n\r\n']), H.H1_FAIL_REQUEST],
      ['HTTP/2 preface on an http1 listener', text([0, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n']), H.H1_FAIL_REQUEST],
      ['a response nobody asked for', text([1, 'HTTP/1.1 200 OK\r\n\r\n']), H.H1_FAIL_RESPONSE],
      ['an invalid status line', text([0, 'GET / HTTP/1.1\r\n\r\n'], [1, 'HTTP/1.1 2x0 OK\r\n\r\n']), H.H1_FAIL_RESPONSE],
      ['101 without an upgrade request', text([0, 'GET / HTTP/1.1\r\n\r\n'], [1, 'HTTP/1.1 101 Switching\r\n\r\n']), H.H1_FAIL_RESPONSE],
      ['bytes after Connection: close', text([0, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET /again HTTP/1.1\r\n\r\n']), H.H1_FAIL_REQUEST],
    ];
    for (const [what, events, reason] of cases) {
      const r = replay(core, events, true);
      assert.is(r.mode, H.H1_FAILED, what);
      assert.is(r.failure, reason, what);
    }
  });

  test(`issue 13 (${name}): bodies are passed without being copied, and passing more than allowed falls back`, () => {
    const o = core.open();
    const head = Buffer.from('POST /up HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n');
    assert.is(core.feed(o, H.H1_REQ, head, 1), head.length);
    assert.is(core.skip(o, H.H1_REQ), 1000000);
    assert.is(core.skip(o, H.H1_RES), 0, 'the response side has a head to read');
    core.pass(o, H.H1_REQ, 999999, 2);
    assert.is(core.skip(o, H.H1_REQ), 1);
    core.pass(o, H.H1_REQ, 1, 3);
    assert.is(core.skip(o, H.H1_REQ), 0, 'the next request head must be read');
    core.pass(o, H.H1_REQ, 1, 4);
    assert.is(core.mode(o), H.H1_FAILED);
    assert.is(core.failure(o), H.H1_FAIL_PASS);
    core.close(o);
  });

  test(`issue 13 (${name}): observers are bounded (${H.H1_MAX}) and reused after close`, () => {
    const all: number[] = [];
    for (let i = 0; i < H.H1_MAX; i++) all.push(core.open());
    assert.is(new Set(all).size, H.H1_MAX);
    assert.ok(all.every((o) => o >= 0));
    assert.is(core.open(), -1);
    core.close(all[7]);
    assert.is(core.open(), all[7]);
    for (const o of all) core.close(o);
    assert.is(core.mode(all[0]), H.H1_FAILED, 'a closed observer reads as stopped');
  });
}

test.run();
