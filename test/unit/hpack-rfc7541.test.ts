// Issue 13: the HTTP/2 observer's HPACK decoder on the examples of RFC 7541 Appendix C — requests
// (C.3 raw, C.4 Huffman-coded) and responses with a 256-byte table (C.5 raw, C.6 Huffman-coded) — fed as
// header blocks of h2 frames to the wasm observer and its TypeScript twin. After each block the dynamic
// table (entries, newest first, and size) must be the RFC's, and the observations carry method, path, status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as H from '../../wasm/assembly/http2-consts.js';
import { loadCore } from '../../dataplane/core/wasm-core.js';
import { TsHttp2 } from '../../dataplane/core/ts-http2.js';
import { MEM_BASE } from '../../dataplane/core/ts-http2-state.js';
import type { Http2Core, Http2Observation } from '../../dataplane/core/http2-core.js';
import { PREFACE, dynamicTable, headers, hex, settings } from '../helpers/http2-frames.js';

interface Subject { name: string; core: Http2Core; mem: () => [Uint8Array, number] }
function subjects(): Subject[] {
  const w = loadCore(65536);
  const t = new TsHttp2();
  return [
    { name: 'wasm', core: w.http2(), mem: () => [new Uint8Array(w.x.memory.buffer), 0] },
    { name: 'ts', core: t, mem: () => [(t as unknown as { s: { u8: Uint8Array } }).s.u8, MEM_BASE] },
  ];
}

function feed(c: Http2Core, o: number, dir: number, b: Uint8Array): Http2Observation[] {
  const out: Http2Observation[] = [];
  let off = 0;
  while (off < b.length) {
    off += c.feed(o, dir, b.subarray(off), 1);
    for (let i = 0; i < c.outs(); i++) out.push(c.observation(i));
  }
  return out;
}

const REQUESTS = {
  raw: ['828684410f7777772e6578616d706c652e636f6d', '828684be58086e6f2d6361636865', '828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565'],
  huffman: ['828684418cf1e3c2e5f23a6ba0ab90f4ff', '828684be5886a8eb10649cbf', '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf'],
};
const REQUEST_TABLES: [[string, string][], number][] = [
  [[[':authority', 'www.example.com']], 57],
  [[['cache-control', 'no-cache'], [':authority', 'www.example.com']], 110],
  [[['custom-key', 'custom-value'], ['cache-control', 'no-cache'], [':authority', 'www.example.com']], 164],
];

for (const [kind, blocks] of Object.entries(REQUESTS)) {
  test(`issue 13: RFC 7541 ${kind === 'raw' ? 'C.3' : 'C.4'} requests (${kind}): dynamic table and observations`, () => {
    for (const s of subjects()) {
      const o = s.core.open();
      feed(s.core, o, H.H2_REQ, Buffer.concat([PREFACE, settings()]));
      feed(s.core, o, H.H2_RES, settings());
      blocks.forEach((b, i) => {
        feed(s.core, o, H.H2_REQ, headers(1 + 2 * i, hex(b), { endStream: true }));
        const t = dynamicTable(...s.mem(), o, H.H2_REQ);
        assert.equal(t.entries, REQUEST_TABLES[i][0], `${s.name}: table after block ${i + 1}`);
        assert.is(t.size, REQUEST_TABLES[i][1], `${s.name}: size after block ${i + 1}`);
      });
      const obs = [1, 3, 5].flatMap((sid) => feed(s.core, o, H.H2_RES, headers(sid, hex('88'), { endStream: true })));
      assert.equal(obs.map((x) => [x.method, x.segment, x.status, x.grpcStatus, x.reset]), [[1, '', 200, -1, false], [1, '', 200, -1, false], [1, 'index.html', 200, -1, false]], s.name);
      assert.is(s.core.mode(o), H.H2_PARSING, s.name);
    }
  });
}

const RESPONSES = {
  raw: [
    '4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d',
    '4803333037c1c0bf',
    '88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31',
  ],
  huffman: [
    '488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3',
    '4883640effc1c0bf',
    '88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
  ],
};
const DATE1 = 'Mon, 21 Oct 2013 20:13:21 GMT', DATE2 = 'Mon, 21 Oct 2013 20:13:22 GMT', LOC = 'https://www.example.com';
const RESPONSE_TABLES: [[string, string][], number][] = [
  [[['location', LOC], ['date', DATE1], ['cache-control', 'private'], [':status', '302']], 222],
  [[[':status', '307'], ['location', LOC], ['date', DATE1], ['cache-control', 'private']], 222],
  [[['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'], ['content-encoding', 'gzip'], ['date', DATE2]], 215],
];

for (const [kind, blocks] of Object.entries(RESPONSES)) {
  test(`issue 13: RFC 7541 ${kind === 'raw' ? 'C.5' : 'C.6'} responses (${kind}, 256-byte table set by SETTINGS and a size update): eviction`, () => {
    for (const s of subjects()) {
      const o = s.core.open();
      // The client lets the server's encoder use 256 bytes; the server's first block says so (001 size update).
      feed(s.core, o, H.H2_REQ, Buffer.concat([PREFACE, settings([[1, 256]])]));
      feed(s.core, o, H.H2_RES, settings());
      for (const sid of [1, 3, 5]) feed(s.core, o, H.H2_REQ, headers(sid, hex('828684'), { endStream: true }));
      const obs: Http2Observation[] = [];
      blocks.forEach((b, i) => {
        const block = i === 0 ? Buffer.concat([hex('3fe101'), hex(b)]) : hex(b);
        obs.push(...feed(s.core, o, H.H2_RES, headers(1 + 2 * i, block, { endStream: true })));
        const t = dynamicTable(...s.mem(), o, H.H2_RES);
        assert.is(t.max, 256, `${s.name}: max after block ${i + 1}`);
        assert.equal(t.entries, RESPONSE_TABLES[i][0], `${s.name}: table after block ${i + 1}`);
        assert.is(t.size, RESPONSE_TABLES[i][1], `${s.name}: size after block ${i + 1}`);
      });
      assert.equal(obs.map((x) => x.status), [302, 307, 200], s.name);
      assert.is(s.core.mode(o), H.H2_PARSING, s.name);
    }
  });
}

test('issue 13: a size update above the SETTINGS limit is malformed; one above what the observer holds falls back as table_size', () => {
  for (const s of subjects()) {
    const a = s.core.open();
    feed(s.core, a, H.H2_REQ, Buffer.concat([PREFACE, settings([[1, 256]]), headers(1, hex('828684'))]));
    feed(s.core, a, H.H2_RES, headers(1, Buffer.concat([hex('3fe201'), hex('88')])));
    assert.is(s.core.failure(a), H.H2_FAIL_HPACK, `${s.name}: 257 > SETTINGS 256`);
    const b = s.core.open();
    feed(s.core, b, H.H2_REQ, Buffer.concat([PREFACE, settings([[1, 65536]]), headers(1, hex('828684'))]));
    feed(s.core, b, H.H2_RES, headers(1, Buffer.concat([Buffer.from([0x3f, ...[8193 - 31].flatMap((v) => [(v & 127) | 128, v >> 7])]), hex('88')])));
    assert.is(s.core.failure(b), H.H2_FAIL_TABLE_SIZE, `${s.name}: 8193 > H2_TABLE_CAP`);
  }
});

test.run();
