// Seeded random h2c conversations for the HTTP/2 observer's differential and fuzz tests (issue 13):
// streams interleaved frame by frame, header blocks from a small HPACK encoder that keeps its own
// dynamic table (indexed fields, literals with and without indexing, Huffman or raw, size updates and
// eviction), split into HEADERS + CONTINUATION with padding and priority, DATA, 1xx, gRPC trailers,
// RST_STREAM, PING/WINDOW_UPDATE/PRIORITY between, GOAWAY at the end.
import * as H from '../../wasm/assembly/http2-consts.js';
import type { Prng } from './prng.js';
import type { Turn } from './http1-gen.js';
import { PREFACE, continuation, data, frame, goaway, hpackInt, hpackString, rst, settings } from './http2-frames.js';

const STATIC: [string, string][] = [[':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'], [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'], [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''], ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''], ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''], ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''], ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', '']];

/** An HPACK encoder with its dynamic table (newest first), the peer's decoder kept in step. */
class Encoder {
  private table: [string, string][] = [];
  private size = 0;
  private max = 4096;
  constructor(private readonly rng: Prng) {}

  private evict(limit: number): void {
    while (this.size > limit) { const [n, v] = this.table.pop()!; this.size -= n.length + v.length + 32; }
  }

  private find(n: string, v?: string): number {
    const s = STATIC.findIndex(([a, b]) => a === n && (v === undefined || b === v));
    if (s >= 0) return s + 1;
    const d = this.table.findIndex(([a, b]) => a === n && (v === undefined || b === v));
    return d >= 0 ? 62 + d : 0;
  }

  block(fields: [string, string][]): Buffer {
    const r = this.rng;
    const out: number[] = [];
    if (r.chance(0.05)) {
      this.max = r.chance(0.3) ? r.int(200) : r.int(H.H2_TABLE_CAP + 1);
      this.evict(this.max);
      out.push(...hpackInt(this.max, 5, 0x20));
    }
    for (const [n, v] of fields) {
      const both = this.find(n, v);
      if (both && r.chance(0.7)) { out.push(...hpackInt(both, 7, 0x80)); continue; }
      const name = r.chance(0.7) ? this.find(n) : 0;
      const kind = r.int(3); // 0: with indexing, 1: without, 2: never indexed
      out.push(...hpackInt(name, kind === 0 ? 6 : 4, kind === 0 ? 0x40 : kind === 1 ? 0 : 0x10));
      if (!name) out.push(...hpackString(n, r.chance(0.5)));
      out.push(...hpackString(v, r.chance(0.5)));
      if (kind === 0) {
        const sz = n.length + v.length + 32;
        if (sz > this.max) { this.table = []; this.size = 0; } else { this.evict(this.max - sz); this.table.unshift([n, v]); this.size += sz; }
      }
    }
    return Buffer.from(out);
  }
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'PROPFIND'];
const SEGS = ['', 'api', 'index.html', 'pkg.Service', 'a'.repeat(40), 'x y', '%2F'];

function word(r: Prng, n: number): string { return Array.from({ length: n }, () => String.fromCharCode(32 + r.int(95))).join(''); }

/** HEADERS (+ CONTINUATION) frames carrying `block`, with random splits, padding and priority. */
function headerFrames(r: Prng, sid: number, block: Buffer, endStream: boolean): Buffer[] {
  const cuts = r.chance(0.3) ? [r.int(block.length + 1)].concat(r.chance(0.3) ? [block.length] : []) : [];
  const pieces: Buffer[] = [];
  let at = 0;
  for (const c of cuts.sort((a, b) => a - b)) { pieces.push(block.subarray(at, Math.max(at, c))); at = Math.max(at, c); }
  pieces.push(block.subarray(at));
  let flags = endStream ? H.FL_END_STREAM : 0;
  const first: Buffer[] = [];
  const pad = r.chance(0.2) ? r.int(20) : -1;
  if (pad >= 0) { flags |= H.FL_PADDED; first.push(Buffer.from([pad])); }
  if (r.chance(0.2)) { flags |= H.FL_PRIORITY; first.push(Buffer.from([0, 0, 0, r.int(8), r.int(256)])); }
  first.push(pieces[0]);
  if (pad >= 0) first.push(Buffer.alloc(pad));
  const out = [frame(H.FT_HEADERS, flags | (pieces.length === 1 ? H.FL_END_HEADERS : 0), sid, Buffer.concat(first))];
  for (let i = 1; i < pieces.length; i++) out.push(continuation(sid, pieces[i], i === pieces.length - 1));
  return out;
}

function dataFrames(r: Prng, sid: number, n: number, endStream: boolean): Buffer[] {
  const out: Buffer[] = [];
  while (n > 16384 || (n > 0 && r.chance(0.3))) { const k = 1 + r.int(Math.min(n, 16384)); out.push(data(sid, k)); n -= k; }
  out.push(data(sid, n, endStream));
  return out;
}

type Unit = (enc: Encoder) => Buffer[];

function noise(r: Prng): Buffer {
  switch (r.int(4)) {
    case 0: return frame(H.FT_PING, 0, 0, r.bytes(8));
    case 1: return frame(H.FT_WINDOW_UPDATE, 0, r.chance(0.5) ? 0 : 1 + 2 * r.int(50), Buffer.from([0, 0, 1, 0]));
    case 2: return frame(H.FT_PRIORITY, 0, 1 + 2 * r.int(50), Buffer.from([0, 0, 0, 0, 16]));
    default: return frame(H.FT_SETTINGS, H.FL_ACK, 0);
  }
}

/** Interleaves the streams' units (each stream's in order; streams start in id order, as RFC 9113 5.1.1
 *  requires) and encodes the blocks in wire order. */
function interleave(r: Prng, enc: Encoder, lists: Unit[][]): Buffer {
  const out: Buffer[] = [];
  const live = lists.filter((l) => l.length);
  let started = 0;
  while (live.length) {
    const i = r.int(Math.min(live.length, started + 1));
    if (i === started) started++;
    out.push(...live[i].shift()!(enc));
    if (!live[i].length) { live.splice(i, 1); started--; }
    if (r.chance(0.05)) out.push(noise(r));
  }
  return Buffer.concat(out);
}

/** A well-formed conversation; `streams` is the number of observations it must give. */
export function conversation(r: Prng): Turn[] & { streams?: number } {
  const req = new Encoder(r), res = new Encoder(r);
  const turns: Turn[] & { streams?: number } = [];
  turns.push([0, Buffer.concat([PREFACE, settings(r.chance(0.5) ? [[4, 1 << 20], [3, 100]] : [])])]);
  turns.push([1, Buffer.concat([settings([[3, 100]]), frame(H.FT_SETTINGS, H.FL_ACK, 0)])]);
  let sid = 1, streams = 0;
  for (let batch = 1 + r.int(3); batch > 0; batch--) {
    const cl: Unit[][] = [], sv: Unit[][] = [];
    for (let k = 1 + r.int(5); k > 0; k--, sid += 2, streams++) {
      const id = sid;
      const method = r.pick(METHODS);
      const body = method === 'POST' || method === 'PUT' ? r.size(100, 40000, 0.1) : 0;
      const fields: [string, string][] = [[':method', method], [':scheme', 'http'], [':authority', 'svc.local'], [':path', `/${r.pick(SEGS)}${r.chance(0.5) ? '/x?q=' + r.int(100) : ''}`]];
      for (let h = r.int(5); h > 0; h--) fields.push([`x-h${r.int(6)}`, word(r, r.size(30, 300, 0.1))]);
      cl.push([(e) => headerFrames(r, id, e.block(fields), body === 0), ...(body ? [(): Buffer[] => dataFrames(r, id, body, true)] : [])]);
      const reset = r.chance(0.05);
      if (reset) { cl[cl.length - 1].push(() => [rst(id)]); sv.push([]); continue; }
      const grpc = r.chance(0.3);
      const size = r.size(200, 50000, 0.1);
      const units: Unit[] = [];
      if (r.chance(0.1)) units.push((e) => headerFrames(r, id, e.block([[':status', '100']]), false));
      units.push((e) => headerFrames(r, id, e.block([[':status', String(r.pick([200, 204, 301, 404, 500]))], ['content-type', grpc ? 'application/grpc' : 'text/plain']]), size === 0 && !grpc));
      if (size) units.push(() => dataFrames(r, id, size, !grpc));
      if (grpc) units.push((e) => headerFrames(r, id, e.block([['grpc-status', String(r.int(17))], ['grpc-message', word(r, 5)]]), true));
      sv.push(units);
    }
    turns.push([0, interleave(r, req, cl)]);
    turns.push([1, interleave(r, res, sv)]);
  }
  if (r.chance(0.3)) turns.push([1, goaway(sid - 2)]);
  turns.streams = streams;
  return turns;
}
