// Micro-benchmark cases of the HTTP/2 observer (issue 13): one h2c connection's streams, one after the
// other, as a listener sees them — small responses (frame headers and HPACK blocks parsed, the dynamic
// table in use as real encoders use it) and large ones (DATA frames of 16 KiB in 64 KiB reads, payloads
// passed unread through h2Skip/h2Pass) — through the host's observeChunk, on the wasm observer and TsHttp2.
import type { Case, Step } from './measure.js';
import * as H from '../../wasm/assembly/http2-consts.js';
import type { Http2Core } from '../../dataplane/core/http2-core.js';
import { loadCore } from '../../dataplane/core/wasm-core.js';
import { TsHttp2 } from '../../dataplane/core/ts-http2.js';
import { observeChunk } from '../../dataplane/http-observer.js';

function frame(type: number, flags: number, sid: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(sid, 5);
  return Buffer.concat([h, payload]);
}
const lit = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];
const PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), frame(H.FT_SETTINGS, 0, 0, Buffer.alloc(0))]);
// The first request indexes :authority, user-agent and accept (01 literals); later ones name them by index, as encoders do.
const FIRST = Buffer.from([0x82, 0x86, 0x41, ...lit('127.0.0.1:8080'), 0x7a, ...lit('curl/8.5.0'), 0x53, ...lit('*/*'), 0x04, ...lit('/api/items?page=2')]);
const LATER = Buffer.from([0x82, 0x86, 0xc0, 0xbf, 0xbe, 0x04, ...lit('/api/items?page=2')]);
const RESPONSE = (n: number) => Buffer.from([0x88, 0x0f, 0x10, ...lit('application/json'), 0x0f, 0x0d, ...lit(String(n)), 0x0f, 0x12, ...lit('Tue, 01 Dec 2026 06:00:00 GMT')]);

/** `streams` streams one after the other on one connection, each response a body of `body` bytes (16 KiB DATA frames, 64 KiB reads). */
function streamsCase(name: string, body: number, streams: number): Case {
  const req: Buffer[] = [], res: Buffer[][] = [];
  for (let i = 0; i < streams; i++) {
    const sid = 1 + 2 * i;
    req.push(frame(H.FT_HEADERS, H.FL_END_HEADERS | H.FL_END_STREAM, sid, i === 0 ? FIRST : LATER));
    const parts = [frame(H.FT_HEADERS, H.FL_END_HEADERS, sid, RESPONSE(body))];
    for (let at = 0; at < body; at += 16384) parts.push(frame(H.FT_DATA, at + 16384 >= body ? H.FL_END_STREAM : 0, sid, Buffer.alloc(Math.min(16384, body - at), 0x61)));
    const whole = Buffer.concat(parts);
    const reads: Buffer[] = [];
    for (let at = 0; at < whole.length; at += 65536) reads.push(whole.subarray(at, at + 65536));
    res.push(reads);
  }
  const bytes = PREFACE.length + req.reduce((s, b) => s + b.length, 0) + res.flat().reduce((s, b) => s + b.length, 0);
  let seen = 0;
  const step = (core: Http2Core): Step => () => {
    const o = core.open();
    observeChunk(core, o, H.H2_REQ, PREFACE, 0, () => {});
    for (let i = 0; i < streams; i++) {
      observeChunk(core, o, H.H2_REQ, req[i], i, () => {});
      for (const r of res[i]) observeChunk(core, o, H.H2_RES, r, i + 0.5, () => { seen++; });
    }
    core.end(o, streams);
    core.close(o);
    if (seen < streams) throw new Error('http2 bench: streams not observed');
    seen = 0;
    return { units: streams, bytes };
  };
  return { name, unit: 'request', wasm: () => step(loadCore(65536).http2()), ts: () => step(new TsHttp2()) };
}

/** The observer's cases. */
export function http2Cases(): Case[] {
  return [
    streamsCase('http2 observer: streams of one connection, 12 B bodies (frames and HPACK parsed; 0.1 KB/request)', 12, 100),
    streamsCase('http2 observer: streams, 1 MiB bodies in 16 KiB DATA frames passed unread', 1 << 20, 4),
  ];
}
