// Issue 13: the wasm HTTP/1.1 observer reads a whole plain head in one pass (wasm/assembly/http1-fast.ts)
// where its TypeScript twin steps byte by byte. Both must agree on every answer and, after every feed,
// on the observer's whole memory but the scratch fields the fast path leaves alone (dead once a head
// has ended: every reader sets them first). Each head is fed whole (the fast path), cut at every byte
// in two feeds and a byte per feed (never the fast path: no feed holds the whole head), and heads just
// outside the fast path's conditions are checked to be left to stepping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as H from '../../wasm/assembly/http1-consts.js';
import { loadCore } from '../../dataplane/core/wasm-core.js';
import { TsHttp1 } from '../../dataplane/core/ts-http1.js';
import { D_HDR, D_NAME, D_NAME_LEN, D_SIZE, D_SUB, D_TOK, D_TOK_LEN, MEM_BASE, NAME_MAX, O_DIR, TOK_MAX, type TwinState } from '../../dataplane/core/ts-http1-state.js';
import { HTTP1_METHODS, type Http1Core, type Http1Observation } from '../../dataplane/core/http1-core.js';
import { Prng, runSeed } from '../helpers/prng.js';

type Event = [0 | 1, Buffer];
/** `fast`: the directions (1: requests, 2: responses) in which the fast path read a head. */
interface Run { obs: string[]; mode: number; failure: number; fast: number }

const core = loadCore(65536);
const wasm = core.http1();
const twin = new TsHttp1();
// The twin's memory (same layout as the wasm's, ts-http1-state.ts); a private field, read only here.
const twinU8 = (twin as unknown as { s: TwinState }).s.u8;
const wasmU8 = new Uint8Array(core.x.memory.buffer);

/** Byte offsets of an observer that the fast path does not write: the scratch of names, tokens and sub-states. */
const SCRATCH = new Set<number>();
for (const d of [0, 1]) {
  const at = O_DIR + d * D_SIZE;
  for (const f of [D_SUB, D_HDR, D_NAME_LEN, D_TOK_LEN]) SCRATCH.add(at + f);
  for (let i = 0; i < NAME_MAX; i++) SCRATCH.add(at + D_NAME + i);
  for (let i = 0; i < TOK_MAX; i++) SCRATCH.add(at + D_TOK + i);
}

function same<T>(label: string, f: (c: Http1Core) => T): T {
  const a = f(wasm), b = f(twin);
  assert.equal(JSON.stringify(a), JSON.stringify(b), `${label}: wasm ${JSON.stringify(a)} != ts ${JSON.stringify(b)}`);
  return a;
}

/** Compares observer `o`'s memory in both; returns the directions (1, 2) whose scratch bytes differ (only the fast path leaves them). */
function sameMemory(o: number, label: string): number {
  const w = H.H1_OBS_BUF + o * H.H1_SIZE;
  let scratchDiffers = 0;
  for (let i = 0; i < H.H1_SIZE; i++) {
    if (wasmU8[w + i] === twinU8[w - MEM_BASE + i]) continue;
    if (!SCRATCH.has(i)) assert.unreachable(`${label}: observer byte ${i} differs: wasm ${wasmU8[w + i]}, ts ${twinU8[w - MEM_BASE + i]}`);
    scratchDiffers |= 1 << Math.floor((i - O_DIR) / D_SIZE);
  }
  return scratchDiffers;
}

const brief = (o: Http1Observation) => `${o.status} ${HTTP1_METHODS[o.method]} /${o.segment} ${o.bytesToServer} ${o.bytesToClient}`;

/** Feeds `events` (direction, bytes, split into feeds of the given sizes) to both as the host does; every answer and the memory must agree. */
function replay(feeds: [0 | 1, Buffer, number][], label: string): Run {
  const o = same('open', (c) => c.open());
  const obs: string[] = [];
  let fast = 0;
  const outs = (n: number) => { for (let i = 0; i < n; i++) obs.push(brief(same(`${label}: observation`, (c) => c.observation(i)))); };
  for (const [d, b, now] of feeds) {
    let off = 0;
    while (off < b.length) {
      const skip = same(`${label}: skip`, (c) => c.skip(o, d));
      if (skip > 0) {
        const n = Math.min(skip, b.length - off);
        outs(same(`${label}: pass`, (c) => c.pass(o, d, n, now)));
        off += n;
        if (skip === H.H1_SKIP_ALL) break;
        continue;
      }
      const used = same(`${label}: feed at ${off}`, (c) => c.feed(o, d, b.subarray(off, off + H.H1_IN_CAP), now));
      outs(wasm.outs());
      off += used;
      fast |= sameMemory(o, `${label}: after the feed at ${off}`);
    }
  }
  const mode = same('mode', (c) => c.mode(o));
  const failure = same('failure', (c) => c.failure(o));
  outs(same('end', (c) => c.end(o, 1000)));
  sameMemory(o, `${label}: after the end`);
  same('close', (c) => c.close(o));
  return { obs, mode, failure, fast };
}

const whole = (events: Event[]) => events.map(([d, b], i): [0 | 1, Buffer, number] => [d, b, i + 2]);
/** The events with the byte at global offset `k` starting a new feed of the same time. */
function cutAt(events: Event[], k: number): [0 | 1, Buffer, number][] {
  const out: [0 | 1, Buffer, number][] = [];
  let at = 0;
  for (const [d, b, t] of whole(events)) {
    if (k > at && k < at + b.length) out.push([d, b.subarray(0, k - at), t], [d, b.subarray(k - at), t]);
    else out.push([d, b, t]);
    at += b.length;
  }
  return out;
}
const bytewise = (events: Event[]) => whole(events).flatMap(([d, b, t]) => [...b].map((x): [0 | 1, Buffer, number] => [d, Buffer.from([x]), t]));

const ev = (d: 0 | 1, s: string): Event => [d, Buffer.from(s, 'latin1')];
const GET = 'GET /1k HTTP/1.1\r\nhost: 127.0.0.1:40000\r\nconnection: keep-alive\r\n\r\n';
const RES = `HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nDate: Tue, 01 Dec 2026 16:40:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n${'a'.repeat(1024)}`;
const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

// [name, events, the directions in which the fast path reads a head when fed whole (1: requests, 2: responses), observations ("STATUS METHOD /SEGMENT REQ RES") or the failure]
const CASES: [string, Event[], number, string[] | number][] = [
  ['the micro benchmark exchange, twice', [ev(0, GET), ev(1, RES), ev(0, GET), ev(1, RES)], 3, ['200 GET /1k 67 1149', '200 GET /1k 67 1149']],
  ['POST with a body, 201 without one', [ev(0, 'POST /api/x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc'), ev(1, 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n')], 3, ['201 POST /api 55 43']],
  ['HEAD, a response with a length and no body', [ev(0, 'HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n'), ev(1, 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n')], 3, ['200 HEAD /h 29 40']],
  ['204 and 304, pipelined', [ev(0, 'GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n'), ev(1, 'HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\nHTTP/1.1 304 Not Modified\r\nX: y\r\n\r\n')], 3, ['204 GET /a 28 46', '304 GET /b 28 35']],
  ['a response read until close', [ev(0, 'GET /a HTTP/1.1\r\nHost: h\r\n\r\n'), ev(1, 'HTTP/1.1 200 OK\r\nServer: s\r\n\r\nbody')], 3, ['200 GET /a 28 34']],
  ['Connection: close each way', [ev(0, 'GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'), ev(1, 'HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 2\r\n\r\nok')], 3, ['200 GET /a 47 59']],
  ['HTTP/1.0 with keep-alive, then without', [ev(0, 'GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /b HTTP/1.0\r\nHost: h\r\n\r\n'), ev(1, OK + 'HTTP/1.0 200 OK\r\nX: y\r\n\r\nbody')], 3, ['200 GET /a 43 40', '200 GET /b 28 29']],
  ['chunked each way, lists of tokens', [ev(0, 'POST /c HTTP/1.1\r\nTransfer-Encoding: gzip , CHUNKED\r\nConnection: keep-alive,\tTE\r\n\r\n1\r\na\r\n0\r\n\r\n'), ev(1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nT: 1\r\n\r\n')], 3, ['200 POST /c 94 65']],
  ['a request whose transfer-encoding does not end in chunked (refused at its empty line)', [ev(0, 'POST /c HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n')], 1, H.H1_FAIL_REQUEST],
  ['100 Continue, then the response', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n'), ev(1, 'HTTP/1.1 100 Continue\r\n\r\n'), ev(0, 'hi'), ev(1, OK)], 3, ['200 PUT /u 62 65']],
  ['an upgrade accepted', [ev(0, 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), ev(1, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n'), ev(0, 'frames')], 3, ['101 GET /ws 61 77']],
  ['an upgrade declined, then the next request', [ev(0, 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), ev(1, OK), ev(0, 'GET /b HTTP/1.1\r\nHost: h\r\n\r\n'), ev(1, OK)], 3, ['200 GET /ws 61 40', '200 GET /b 28 40']],
  ['CONNECT, then a tunnel', [ev(0, 'CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n'), ev(1, 'HTTP/1.1 200 Connection established\r\n\r\n'), ev(0, 'raw')], 3, ['200 CONNECT / 39 39']],
  ['targets: absolute, asterisk, long segment, empty; methods: unknown, lowercase, long', [ev(0, `GET http://h:80/abs/x HTTP/1.1\r\nA: b\r\n\r\nOPTIONS * HTTP/1.1\r\nA: b\r\n\r\nPROPFIND /${'s'.repeat(40)}?q HTTP/1.1\r\nA: b\r\n\r\nget  HTTP/1.1\r\nA: b\r\n\r\n${'M'.repeat(300)} /m HTTP/1.1\r\nA: b\r\n\r\n`), ev(1, OK + OK + OK + OK + OK)], 3, ['200 GET /abs 40 40', '200 OPTIONS /* 28 40', `200 OTHER /${'s'.repeat(32)} 71 40`, '200 OTHER / 23 40', '200 OTHER /m 322 40']],
  ['equal content-lengths, blanks and zeros', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: \t 003 \t\r\ncontent-length:3\r\n\r\nabc'), ev(1, OK)], 3, ['200 PUT /u 65 40']],
  ['no header lines, an empty reason, no reason', [ev(0, 'GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n'), ev(1, 'HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\nHTTP/1.1 404\r\nContent-Length: 0\r\n\r\n')], 3, ['200 GET /a 19 36', '404 GET /b 19 35']],
  ['obs-text and tabs in values and a reason, empty values', [ev(0, 'GET /\xe9 HTTP/1.1\r\nX:\t\xe9 v\t\r\nY:\r\n\r\n'), ev(1, 'HTTP/1.1 200 O\tK\xff\r\nContent-Length: 0\r\n\r\n')], 3, ['200 GET /é 32 40']],
  ['empty lines before a request', [ev(0, '\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n'), ev(1, OK)], 3, ['200 GET /a 28 40']],
  // Read whole, but refused where its message would start, before anything is written.
  ['a response before any request', [ev(1, OK)], 0, H.H1_FAIL_RESPONSE],
  ['17 requests pipelined in one feed', [ev(0, 'GET /p HTTP/1.1\r\nHost: h\r\n\r\n'.repeat(17))], 1, H.H1_FAIL_PIPELINE],
  ['Connection values near its one-word shortcut, names one letter off the four that matter', [ev(0, 'GET /a HTTP/1.1\r\nConnection:  keep-alive \r\nConnection: keep-alivex\r\nCONNECTION: CLOSE\r\nContent-Lengtx: 5\r\nTransfer-Encodinx: chunked\r\nUpgradx: ws\r\nconnectioN:Keep-Alive, Upgrade\r\n\r\n'), ev(1, 'HTTP/1.1 200 OK\r\nConnection: close, keep-alive\r\nContent-Length: 2\r\n\r\nok')], 3, ['200 GET /a 181 71']],
  ['a query and a fragment past the segment, long and with obs-text', [ev(0, `GET /s/t?q=${'x'.repeat(40)}\xe9#f HTTP/1.1\r\nHost: h\r\n\r\nGET /u#${'y'.repeat(20)} HTTP/1.1\r\nHost: h\r\n\r\n`), ev(1, OK + OK)], 3, ['200 GET /s 76 40', '200 GET /u 49 40']],
  // Just outside the fast path: stepped from the head's first byte.
  ['bare LF line ends', [ev(0, 'GET /a HTTP/1.1\nHost: x\n\n'), ev(1, 'HTTP/1.1 204 No\r\nX: y\n\r\n')], 0, ['204 GET /a 25 24']],
  ['a bare LF ending the head', [ev(0, 'GET /a HTTP/1.1\r\nHost: x\r\n\n'), ev(1, 'HTTP/1.1 204 No\r\nX: y\r\n\n')], 0, ['204 GET /a 27 24']],
  ['a bare LF ending a request line', [ev(0, 'GET /a HTTP/1.1\nHost: x\r\n\r\n'), ev(1, 'HTTP/1.1 204 No\nX: y\r\n\r\n')], 0, ['204 GET /a 27 24']],
  ['obs-fold', [ev(0, 'GET /a HTTP/1.1\r\nX: a\r\n b\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['a CR not followed by LF', [ev(0, 'GET /a HTTP/1.1\r\nX: a\rb\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['a control byte in a value', [ev(0, 'GET /a HTTP/1.1\r\nX: a\x01b\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['a DEL in a connection list', [ev(0, 'GET /a HTTP/1.1\r\nConnection: a\x7fb\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['a control byte in a reason', [ev(0, 'GET /a HTTP/1.1\r\n\r\n'), ev(1, 'HTTP/1.1 200 O\x01K\r\n\r\n')], 1, H.H1_FAIL_RESPONSE],
  ['a control byte in a target', [ev(0, 'GET /a\x01 HTTP/1.1\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['a space in a name', [ev(0, 'GET / HTTP/1.1\r\nA b: v\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['an empty content-length', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: \r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['two numbers in a content-length', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['a content-length past 2^53', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: 9007199254740992\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['content-length 2^53 - 1 (the largest kept)', [ev(0, 'GET /a HTTP/1.1\r\n\r\n'), ev(1, 'HTTP/1.1 200 OK\r\nContent-Length: 9007199254740991\r\n\r\nxy')], 3, ['200 GET /a 19 55']],
  ['content-lengths that differ', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['a letter in a content-length', [ev(0, 'PUT /u HTTP/1.1\r\nContent-Length: 1x\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['a bad version, a bad minor version', [ev(0, 'GET /a HTTP/2.0\r\nA: b\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['HTTP/1.x', [ev(0, 'GET /a HTTP/1.x\r\nA: b\r\n\r\n')], 0, H.H1_FAIL_REQUEST],
  ['a status below 100', [ev(0, 'GET /a HTTP/1.1\r\n\r\n'), ev(1, 'HTTP/1.1 099 X\r\nA: b\r\n\r\n')], 1, H.H1_FAIL_RESPONSE],
  ['a status of four digits', [ev(0, 'GET /a HTTP/1.1\r\n\r\n'), ev(1, 'HTTP/1.1 2000 X\r\nA: b\r\n\r\n')], 1, H.H1_FAIL_RESPONSE],
  ['a head without its last LF, then its LF in the next feed (the response alone is read whole)', [ev(0, 'GET /a HTTP/1.1\r\nHost: h\r\n\r'), ev(0, '\n'), ev(1, OK)], 2, ['200 GET /a 28 40']],
];

for (const [name, events, fast, expect] of CASES) {
  test(`issue 13: the whole-head fast path and stepping agree: ${name}`, () => {
    const w = replay(whole(events), `${name}, whole`);
    if (typeof expect === 'number') assert.is(w.failure, expect, `${name}: failure`);
    else { assert.equal(w.obs, expect, `${name}: observations`); assert.is(w.failure, 0); }
    assert.is(w.fast, fast, `${name}: the directions the fast path read a head in`);
    const total = events.reduce((s, [, b]) => s + b.length, 0);
    const result = (r: Run) => ({ obs: r.obs, mode: r.mode, failure: r.failure });
    for (let k = 1; k < total; k++) assert.equal(result(replay(cutAt(events, k), `${name}, cut at ${k}`)), result(w), `${name}: cut at ${k}`);
    const b = replay(bytewise(events), `${name}, a byte per feed`);
    assert.equal(result(b), result(w), `${name}: a byte per feed`);
    assert.is(b.fast, 0, `${name}: a byte per feed never takes the fast path`);
  });
}

test('issue 13: every byte value at every place of a word in a target past its segment, a Connection value, a header name and a value: fast path and stepping agree', () => {
  for (let b = 0; b < 256; b++) {
    const x = String.fromCharCode(b);
    for (const k of [0, 3, 7, 8, 9, 15]) {
      const pad = 'v'.repeat(k);
      for (const head of [`GET /a?${pad}${x}${'w'.repeat(20)} HTTP/1.1\r\nHost: h\r\n\r\n`, `GET /a HTTP/1.1\r\nConnection: ${'keep-alive'.slice(0, k)}${x}\r\n\r\n`,
        `GET /a HTTP/1.1\r\nX-${pad}${x}: v\r\n\r\n`, `GET /a HTTP/1.1\r\nX: ${pad}${x}${'w'.repeat(20)}\r\n\r\n`]) {
        replay(whole([ev(0, head), ev(1, OK)]), `byte ${b} at ${k}`);
      }
    }
    // In place of each byte of the one-word Connection values read whole (a CR where '-' is, lowered, reads as '-').
    for (const word of ['keep-alive', 'close']) {
      for (let k = 0; k < word.length; k++) {
        const head = `GET /a HTTP/1.1\r\nConnection: ${word.slice(0, k)}${x}${word.slice(k + 1)}\r\n\r\n`;
        replay(whole([ev(0, head), ev(1, OK)]), `byte ${b} in place of ${word}[${k}]`);
      }
    }
  }
});

// Typical heads with a few bytes changed, inserted or dropped, from bytes that mean something to one of the paths.
const TRICKY = [...'\r\n \t:,-/?#*0aA', '\x00', '\x7f', '\x80', '\xff', '\x0d\x0a', ';'];
const BASES = [GET, RES.slice(0, RES.indexOf('\r\n\r\n') + 4), 'POST /x/y HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
  'HTTP/1.1 101 Switching\r\nUpgrade: ws\r\nConnection: upgrade\r\n\r\n', 'PUT http://h/a HTTP/1.0\r\nContent-Length: 0\r\n\r\n'];

test('issue 13: mutated typical heads fed whole: fast path and stepping agree (seeded, time-bounded)', () => {
  const seed = runSeed();
  const rng = new Prng(seed);
  const deadline = Date.now() + 1500;
  for (let n = 0; n < 20000 && Date.now() < deadline; n++) {
    const base = rng.pick(BASES);
    let text = base;
    for (let m = 1 + rng.int(3); m > 0; m--) {
      const at = rng.int(text.length);
      const x = rng.chance(0.8) ? rng.pick(TRICKY) : String.fromCharCode(rng.int(256));
      const op = rng.int(3);
      text = text.slice(0, at) + (op === 2 ? '' : x) + text.slice(op === 0 ? at : at + 1);
    }
    const events = base.startsWith('HTTP') ? [ev(0, 'GET /ws HTTP/1.1\r\nUpgrade: ws\r\nConnection: upgrade\r\n\r\n'), ev(1, text + OK)] : [ev(0, text + GET), ev(1, OK + OK)];
    replay(whole(events), `seed ${seed} (SVCNET_SEED replays), case ${n}: ${JSON.stringify(text)}`);
  }
});

test(`issue 13: a head of exactly ${H.H1_MAX_HEAD} bytes in one feed takes the fast path; one byte more falls back`, () => {
  for (const at of [-1, 0, 1]) {
    const pre = 'GET /a HTTP/1.1\r\nX: ', post = '\r\n\r\n';
    const head = pre + 'v'.repeat(H.H1_MAX_HEAD + at - pre.length - post.length) + post;
    const r = replay(whole([ev(0, head), ev(1, OK)]), `${at} from the bound`);
    if (at <= 0) { assert.equal(r.obs, [`200 GET /a ${head.length} 40`]); assert.is(r.fast, 3); }
    else { assert.is(r.failure, H.H1_FAIL_HEAD_SIZE); assert.is(r.fast, 0); }
  }
});

test.run();
