// Issue 13: the wasm HTTP/1.1 observer reads most of a head in runs (wasm/assembly/http1-runs.ts) where
// its TypeScript twin steps byte by byte; both must answer alike on the heads runs cover: long
// methods, targets, header names and list tokens (past every kept-bytes bound), near-miss words,
// delimiters in odd places, every cut between two feeds, one byte per feed, and heads around the
// 64 KiB bound with the bound falling in each kind of run and the input split around it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as H from '../../wasm/assembly/http1-consts.js';
import { HTTP1_METHODS, type Http1Observation } from '../../dataplane/core/http1-core.js';
import { Http1Twin } from '../helpers/http1-twin.js';

type Event = [0 | 1, Buffer];
/** An event and its time (a cut's halves keep their event's time). */
type Timed = [0 | 1, Buffer, number];
interface Run { obs: Http1Observation[]; mode: number; failure: number; bytes: number[] }

const twin = new Http1Twin();
const ev = (d: 0 | 1, s: string): Event => [d, Buffer.from(s, 'latin1')];
const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

/** Feeds `events` to both observers in lockstep as the host does (skip/pass for bodies, feeds of at most `window`
 *  bytes); every answer must agree. Returns what the wasm observer saw, and the bytes each feed consumed. */
function replay(events: Event[] | Timed[], window: number): Run {
  const o = twin.same('open', (c) => c.open());
  const obs: Http1Observation[] = [];
  const bytes: number[] = [];
  let now = 1;
  const timed = events.length && events[0].length === 3 ? events as Timed[] : timedOf(events as Event[]);
  const outs = (label: string, n: number) => { for (let i = 0; i < n; i++) obs.push(twin.same(`${label} observation ${i}`, (c) => c.observation(i))); };
  for (const [d, b, t] of timed) {
    now = t;
    let off = 0;
    while (off < b.length) {
      const skip = twin.same(`skip(${d})`, (c) => c.skip(o, d));
      if (skip > 0) {
        const n = Math.min(skip, b.length - off);
        outs('pass', twin.same(`pass(${d}, ${n})`, (c) => c.pass(o, d, n, now)));
        off += n;
        if (skip === H.H1_SKIP_ALL) break;
        continue;
      }
      const w = b.subarray(off, off + window);
      const used = twin.same(`feed(${d}, ${w.length})`, (c) => c.feed(o, d, w, now));
      bytes.push(used);
      outs('feed', twin.wasm.outs());
      off += used;
    }
  }
  const mode = twin.same('mode', (c) => c.mode(o));
  const failure = twin.same('failure', (c) => c.failure(o));
  outs('end', twin.same('end', (c) => c.end(o, now + 1)));
  twin.same('close', (c) => c.close(o));
  return { obs, mode, failure, bytes };
}

const timedOf = (events: Event[]): Timed[] => events.map(([d, b], i) => [d, b, i + 2]);

/** `events` with the byte at global offset `k` starting a new event of the same time. */
function cutAt(events: Event[], k: number): Timed[] {
  const out: Timed[] = [];
  let at = 0;
  for (const e of timedOf(events)) {
    const [d, b, t] = e;
    if (k > at && k < at + b.length) out.push([d, b.subarray(0, k - at), t], [d, b.subarray(k - at), t]);
    else out.push(e);
    at += b.length;
  }
  return out;
}

const result = (r: Run) => ({ obs: r.obs, mode: r.mode, failure: r.failure });
const brief = (r: Run) => r.obs.map((o) => `${o.status} ${HTTP1_METHODS[o.method]} /${o.segment} ${o.bytesToServer} ${o.bytesToClient}`);

// [name, events, what the observer must make of them: observations ("STATUS METHOD /SEGMENT REQ RES") or the failure]
const CASES: [string, Event[], string[] | number][] = [
  ['long first segment, cut at H1_SEG_MAX', [ev(0, `GET /${'s'.repeat(40)}/x?y HTTP/1.1\r\nHost: x\r\n\r\n`), ev(1, OK)], [`200 GET /${'s'.repeat(32)} 71 40`]],
  ['absolute form, long authority and segment', [ev(0, `GET http://${'h'.repeat(70)}:80/${'a'.repeat(50)}?q HTTP/1.1\r\n\r\n`), ev(1, OK)], [`200 GET /${'a'.repeat(32)} 150 40`]],
  ['absolute form without a path', [ev(0, 'GET http://h HTTP/1.1\r\n\r\n'), ev(1, OK)], ['200 GET / 25 40']],
  ['segment ended by ? and #', [ev(0, 'GET /a?b/c HTTP/1.1\r\n\r\nGET /d#e HTTP/1.1\r\n\r\n'), ev(1, OK + OK)], ['200 GET /a 23 40', '200 GET /d 21 40']],
  ['asterisk form', [ev(0, 'OPTIONS * HTTP/1.1\r\n\r\n'), ev(1, OK)], ['200 OPTIONS /* 22 40']],
  ['CONNECT authority, then a tunnel', [ev(0, 'CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n'), ev(1, 'HTTP/1.1 200 Connection established\r\n\r\n'), ev(0, 'raw')], ['200 CONNECT / 39 39']],
  ['empty target', [ev(0, 'GET  HTTP/1.1\r\n\r\n'), ev(1, OK)], ['200 GET / 17 40']],
  ['obs-text in a target and a value, tabs in values', [ev(0, 'GET /\xe9\xff HTTP/1.1\r\nX:\t\xe9 v\t\r\n\r\n'), ev(1, OK)], ['200 GET /\xe9\xff 29 40']],
  ['method past TOK_MAX and past 255', [ev(0, `${'M'.repeat(300)} /m HTTP/1.1\r\n\r\n${'GETGETGETGETGETGE'} /n HTTP/1.1\r\n\r\n`), ev(1, OK + OK)], ['200 OTHER /m 316 40', '200 OTHER /n 33 40']],
  ['near-miss methods', [ev(0, 'GETX /a HTTP/1.1\r\n\r\nGE /b HTTP/1.1\r\n\r\nget /c HTTP/1.1\r\n\r\n'), ev(1, OK + OK + OK)], ['200 OTHER /a 20 40', '200 OTHER /b 18 40', '200 OTHER /c 19 40']],
  ['empty method', [ev(0, ' / HTTP/1.1\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['header names past NAME_MAX, past 255, sharing a prefix with content-length', [ev(0, `POST /p HTTP/1.1\r\nX-${'n'.repeat(300)}: 9\r\nContent-Lengthxxxxxxxxxxxxxxx: 9\r\nContent-Length-X: 9\r\n${'C'.repeat(24)}: 9\r\nCONTENT-length:2\r\n\r\nhi`), ev(1, OK)], ['200 POST /p 431 40']],
  ['a name of exactly NAME_MAX bytes', [ev(0, `GET /a HTTP/1.1\r\n${'n'.repeat(24)}: v\r\n\r\n`), ev(1, OK)], ['200 GET /a 48 40']],
  ['a name that is content-length plus 256 bytes (a kept length must not wrap)', [ev(0, `GET /a HTTP/1.1\r\nContent-Length${'x'.repeat(256)}: abc\r\n\r\n`), ev(1, OK)], ['200 GET /a 296 40']],
  ['a colon where a name starts', [ev(0, 'GET / HTTP/1.1\r\n: v\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['a space in a name', [ev(0, 'GET / HTTP/1.1\r\nA b: v\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['content-length with blanks and zeros', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: \t 003 \t\r\nContent-Length:3\r\n\r\nabc'), ev(1, OK)], ['200 PUT /u 65 40']],
  ['two numbers in a content-length', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['a content-length past 2^53', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: 9007199254740992\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['an empty content-length', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: \r\n\r\n')], H.H1_FAIL_REQUEST],
  ['content-lengths that differ', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['a letter in a content-length', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: 1x\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['transfer-encoding lists, long tokens, chunked not last', [ev(0, `POST /c HTTP/1.1\r\nTransfer-Encoding: ${'x'.repeat(40)}chunked,GZIP , CHUNKED\r\n\r\n1\r\na\r\n0\r\n\r\n`), ev(1, `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nuntil close`)], ['200 POST /c 114 64']],
  ['connection lists', [ev(0, 'GET /w HTTP/1.1\r\nConnection: keep-alive,\tUpgrade\r\nUpgrade: ws\r\n\r\n'), ev(1, 'HTTP/1.1 101 Switching\r\nUpgrade: ws\r\nConnection: upgrade\r\n\r\n'), ev(0, 'frames')], ['101 GET /w 65 60']],
  ['HTTP/1.0 with and without keep-alive', [ev(0, 'GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n'), ev(1, OK + 'HTTP/1.0 200 OK\r\n\r\nbody')], ['200 GET /a 43 40', '200 GET /b 19 23']],
  ['bare LF line ends', [ev(0, 'GET /a HTTP/1.1\nHost: x\nContent-Length: 0\n\n'), ev(1, 'HTTP/1.1 204 No\nX: y\n\n')], ['204 GET /a 43 22']],
  ['a CR not followed by LF', [ev(0, 'GET /a HTTP/1.1\rHost: x\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['a bad version', [ev(0, 'GET /a HTTP/2.0\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['a bad minor version', [ev(0, 'GET /a HTTP/1.x\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['a long reason, none at all, a reason-less status line', [ev(0, 'GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n'), ev(1, `HTTP/1.1 200 ${'r'.repeat(300)}\xe9\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404\r\nContent-Length: 0\r\n\r\n`)], ['200 GET /a 19 337', '404 GET /b 19 35']],
  ['a status below 100', [ev(0, 'GET /a HTTP/1.1\r\n\r\n'), ev(1, 'HTTP/1.1 099 X\r\n\r\n')], H.H1_FAIL_RESPONSE],
  ['a status of four digits', [ev(0, 'GET /a HTTP/1.1\r\n\r\n'), ev(1, 'HTTP/1.1 2000 X\r\n\r\n')], H.H1_FAIL_RESPONSE],
  ['a status of two digits', [ev(0, 'GET /a HTTP/1.1\r\n\r\n'), ev(1, 'HTTP/1.1 20 X\r\n\r\n')], H.H1_FAIL_RESPONSE],
  ['a control byte in a reason', [ev(0, 'GET /a HTTP/1.1\r\n\r\n'), ev(1, 'HTTP/1.1 200 O\x01K\r\n\r\n')], H.H1_FAIL_RESPONSE],
  ['a control byte in a value', [ev(0, 'GET /a HTTP/1.1\r\nX: a\x7fb\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['a DEL in a connection list', [ev(0, 'GET /a HTTP/1.1\r\nConnection: a\x7fb\r\n\r\n')], H.H1_FAIL_REQUEST],
  ['a DEL in a target', [ev(0, 'GET /a\x7f HTTP/1.1\r\n\r\n')], H.H1_FAIL_REQUEST],
];

for (const [name, events, expect] of CASES) {
  test(`issue 13: runs and stepping agree: ${name}, whole, cut anywhere, a byte per feed`, () => {
    const whole = replay(events, H.H1_IN_CAP);
    if (typeof expect === 'number') assert.is(whole.failure, expect, `${name}: failure`);
    else assert.equal(brief(whole), expect, `${name}: observations`);
    const total = events.reduce((s, [, b]) => s + b.length, 0);
    for (let k = 1; k < total; k++) assert.equal(result(replay(cutAt(events, k), H.H1_IN_CAP)), result(whole), `${name}: cut at ${k}`);
    assert.equal(result(replay(events, 1)), result(whole), `${name}: a byte per feed`);
  });
}

test('issue 13: every byte value in a method, a target, a header name, a value and a reason, at every place of a word: runs and stepping agree', () => {
  for (let b = 0; b < 256; b++) {
    const x = String.fromCharCode(b);
    for (const events of [[ev(0, `G${x}T /a HTTP/1.1\r\n\r\n`), ev(1, OK)], [ev(0, `GET /a${x}b HTTP/1.1\r\n\r\n`), ev(1, OK)],
      [ev(0, `GET /a HTTP/1.1\r\nA${x}B: v\r\n\r\n`), ev(1, OK)], [ev(0, `GET /a HTTP/1.1\r\nConnection: a${x}b\r\nX: a${x}b\r\n\r\n`), ev(1, OK)],
      [ev(0, 'GET /a HTTP/1.1\r\n\r\n'), ev(1, `HTTP/1.1 200 O${x}K\r\nContent-Length: 0\r\n\r\n`)]]) {
      const whole = replay(events, H.H1_IN_CAP);
      assert.equal(result(replay(events, 1)), result(whole), `byte ${b}: a byte per feed`);
    }
    // Values and reasons are run over eight bytes at a time: the byte at every place of a word and past it.
    for (const k of [0, 3, 7, 8, 9, 15, 16]) {
      const pad = 'v'.repeat(k);
      replay([ev(0, `GET /a HTTP/1.1\r\nX: ${pad}${x}${'w'.repeat(20)}\r\n\r\n`), ev(1, OK)], H.H1_IN_CAP);
      replay([ev(0, 'GET /a HTTP/1.1\r\n\r\n'), ev(1, `HTTP/1.1 200 ${pad}${x}${'w'.repeat(20)}\r\nContent-Length: 0\r\n\r\n`)], H.H1_IN_CAP);
    }
  }
});

// Heads around the bound: the pad (70 000 bytes of one kind) puts the bound inside one kind of run; `fill`
// shortens the pad so that the head ends `at` bytes from the bound (negative: inside it, so it is observed).
const PADS: [string, (n: number) => string][] = [
  ['method', (n) => `${'M'.repeat(n)} /a HTTP/1.1\r\n\r\n`],
  ['target', (n) => `GET /${'t'.repeat(n)} HTTP/1.1\r\n\r\n`],
  ['absolute target', (n) => `GET http://${'h'.repeat(n)}/a HTTP/1.1\r\n\r\n`],
  ['header name', (n) => `GET /a HTTP/1.1\r\nX${'n'.repeat(n)}: v\r\n\r\n`],
  ['header value', (n) => `GET /a HTTP/1.1\r\nX: ${'v'.repeat(n)}\r\n\r\n`],
  ['connection list', (n) => `GET /a HTTP/1.1\r\nConnection: ${'k,'.repeat(n >> 1)}${n & 1 ? 'k' : ''}\r\n\r\n`],
  ['content-length digits', (n) => `GET /a HTTP/1.1\r\nContent-Length: ${'0'.repeat(n)}\r\n\r\n`],
  ['many header lines', (n) => `GET /a HTTP/1.1\r\n${'A: b\r\n'.repeat(Math.floor(n / 6))}${'X: '.padEnd(3 + (n % 6), 'y')}\r\n\r\n`],
];

/** The bound's own byte and its neighbours, a feed window's edge, and the last bytes. */
const cutsFor = (len: number) => [H.H1_MAX_HEAD - 1, H.H1_MAX_HEAD, H.H1_MAX_HEAD + 1, 4096, len - 2].filter((k) => k > 0 && k < len);

for (const [kind, head] of PADS) {
  test(`issue 13: a head around ${H.H1_MAX_HEAD} bytes, the bound inside a ${kind} run, split around the bound`, () => {
    const base = head(0).length;
    for (let at = -3; at <= 4; at++) {
      const text = head(H.H1_MAX_HEAD - base + at);
      assert.is(text.length, H.H1_MAX_HEAD + at);
      const events = [ev(0, text), ev(1, OK)];
      const whole = replay(events, H.H1_IN_CAP);
      if (at <= 0) assert.is(whole.obs.length, 1, `${kind}, ${at} from the bound: observed`);
      else assert.is(whole.failure, H.H1_FAIL_HEAD_SIZE, `${kind}, ${at} past the bound: fell back`);
      for (const k of cutsFor(text.length)) assert.equal(result(replay(cutAt(events, k), H.H1_IN_CAP)), result(whole), `${kind}, ${at}: cut at ${k}`);
      assert.equal(result(replay(events, 4096)), result(whole), `${kind}, ${at}: 4 KiB feeds`);
    }
    // Far past the bound, in one feed: the fallback comes in that feed, and its bytes are all consumed.
    const over = replay([ev(0, head(70000))], H.H1_IN_CAP);
    assert.is(over.failure, H.H1_FAIL_HEAD_SIZE);
    assert.is(over.bytes[0], H.H1_IN_CAP);
  });
}

test('issue 13: a response over the bound after one that completes in the same feed: the first is observed, then the fallback', () => {
  const res = `${OK}HTTP/1.1 200 OK\r\nX-${'n'.repeat(70000)}`;
  const r = replay([ev(0, 'GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n'), ev(1, res)], H.H1_IN_CAP);
  assert.equal(brief(r), ['200 GET /a 19 40']);
  assert.is(r.failure, H.H1_FAIL_HEAD_SIZE);
  for (const k of [40, 41, 50, H.H1_MAX_HEAD + 40, H.H1_MAX_HEAD + 41]) assert.equal(result(replay(cutAt([ev(0, 'GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n'), ev(1, res)], 38 + k), H.H1_IN_CAP)), result(r), `cut at ${k}`);
});

test.run();
