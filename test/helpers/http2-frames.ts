// Hand-made HTTP/2 bytes for the HTTP/2 observer's tests (issue 13): frames, the client preface, a tiny
// HPACK encoder (literals without indexing or with, raw or Huffman-coded) and a reader of an observer's
// dynamic table from its memory (the wasm's or the twin's), for the RFC 7541 Appendix C checks.
import * as H from '../../wasm/assembly/http2-consts.js';
import { D_ENTRIES, D_TBL, D_TBL_HEAD, D_TBL_MAX, D_TBL_N, D_TBL_SIZE, ENT_MAX, dirPtr as twinDirPtr } from '../../dataplane/core/ts-http2-state.js';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** One frame: 9-byte header and payload. */
export function frame(type: number, flags: number, sid: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(sid >>> 0, 5);
  return Buffer.concat([h, payload]);
}

export function settings(entries: [number, number][] = []): Buffer {
  const p = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, v], i) => { p.writeUInt16BE(id, i * 6); p.writeUInt32BE(v >>> 0, i * 6 + 2); });
  return frame(H.FT_SETTINGS, 0, 0, p);
}

export interface HeadersOpts { endStream?: boolean; endHeaders?: boolean; pad?: number; priority?: boolean }

/** HEADERS carrying `block` (a whole header block unless endHeaders is false), with optional padding and priority. */
export function headers(sid: number, block: Uint8Array, o: HeadersOpts = {}): Buffer {
  let flags = (o.endStream ? H.FL_END_STREAM : 0) | (o.endHeaders === false ? 0 : H.FL_END_HEADERS);
  const parts: Uint8Array[] = [];
  if (o.pad !== undefined) { flags |= H.FL_PADDED; parts.push(Buffer.from([o.pad])); }
  if (o.priority) { flags |= H.FL_PRIORITY; parts.push(Buffer.from([0, 0, 0, 0, 16])); }
  parts.push(block);
  if (o.pad !== undefined) parts.push(Buffer.alloc(o.pad));
  return frame(H.FT_HEADERS, flags, sid, Buffer.concat(parts));
}

export function continuation(sid: number, block: Uint8Array, endHeaders = true): Buffer {
  return frame(H.FT_CONTINUATION, endHeaders ? H.FL_END_HEADERS : 0, sid, block);
}

export function data(sid: number, n: number, endStream = false): Buffer {
  return frame(H.FT_DATA, endStream ? H.FL_END_STREAM : 0, sid, Buffer.alloc(n, 0x61));
}

export function rst(sid: number, code = 8): Buffer { const p = Buffer.alloc(4); p.writeUInt32BE(code); return frame(H.FT_RST_STREAM, 0, sid, p); }

export function goaway(last: number, code = 0): Buffer { const p = Buffer.alloc(8); p.writeUInt32BE(last); p.writeUInt32BE(code, 4); return frame(H.FT_GOAWAY, 0, 0, p); }

export function hex(s: string): Buffer { return Buffer.from(s.replace(/\s+/g, ''), 'hex'); }

/** An HPACK integer with an n-bit prefix, the first byte or'ed with `top`. */
export function hpackInt(v: number, n: number, top: number): number[] {
  const mask = (1 << n) - 1;
  if (v < mask) return [top | v];
  const out = [top | mask];
  v -= mask;
  while (v >= 128) { out.push((v & 127) | 128); v = Math.floor(v / 128); }
  out.push(v);
  return out;
}

// RFC 7541 Appendix B code lengths are in the core's tables; the encoder here recomputes the canonical codes from them.
import { HPACK_DATA } from '../../dataplane/core/ts-hpack-data.js';
const CODES: [number, number][] = (() => {
  const dv = new DataView(HPACK_DATA.buffer, HPACK_DATA.byteOffset);
  const codes: [number, number][] = [];
  for (let len = 5; len <= 30; len++) {
    const first = dv.getUint32(H.HD_FIRST + len * 4, true), count = dv.getUint16(H.HD_COUNT + len * 2, true), off = dv.getUint16(H.HD_OFFSET + len * 2, true);
    for (let k = 0; k < count; k++) codes[dv.getUint16(H.HD_SYMS + (off + k) * 2, true)] = [first + k, len];
  }
  return codes;
})();

/** Huffman-codes `s` (RFC 7541 5.2): EOS-prefix padding. */
export function huffman(s: Uint8Array): Buffer {
  const out: number[] = [];
  let acc = 0, n = 0;
  for (const c of s) {
    const [code, len] = CODES[c];
    for (let i = len - 1; i >= 0; i--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** i) & 1);
      if (++n === 8) { out.push(acc); acc = 0; n = 0; }
    }
  }
  if (n > 0) out.push(((acc << (8 - n)) | ((1 << (8 - n)) - 1)) & 0xff);
  return Buffer.from(out);
}

/** A string literal, raw or Huffman-coded. */
export function hpackString(s: string, huff: boolean): number[] {
  const b = Buffer.from(s, 'latin1');
  const body = huff ? huffman(b) : b;
  return [...hpackInt(body.length, 7, huff ? 0x80 : 0), ...body];
}

/** A header block of literal fields (new names), with incremental indexing when `index`. */
export function literalBlock(fields: [string, string][], huff = false, index = false): Buffer {
  const out: number[] = [];
  for (const [n, v] of fields) out.push(index ? 0x40 : 0x00, ...hpackString(n, huff), ...hpackString(v, huff));
  return Buffer.from(out);
}

/** The dynamic table of observer `o`'s direction `d`, read from memory `u8` whose byte 0 is address `origin`. */
export function dynamicTable(u8: Uint8Array, origin: number, o: number, d: number): { size: number; max: number; entries: [string, string][] } {
  const dv = new DataView(u8.buffer, u8.byteOffset);
  const dp = twinDirPtr(o, d) - origin;
  const n = dv.getUint32(dp + D_TBL_N, true), head = dv.getUint32(dp + D_TBL_HEAD, true);
  const entries: [string, string][] = [];
  for (let k = n - 1; k >= 0; k--) {
    const e = dp + D_ENTRIES + ((head + k) % ENT_MAX) * 8;
    const off = dv.getUint32(e, true), nl = dv.getUint16(e + 4, true), vl = dv.getUint16(e + 6, true);
    const at = dp + D_TBL + off;
    entries.push([Buffer.from(u8.subarray(at, at + nl)).toString('latin1'), Buffer.from(u8.subarray(at + nl, at + nl + vl)).toString('latin1')]);
  }
  return { size: dv.getUint32(dp + D_TBL_SIZE, true), max: dv.getUint32(dp + D_TBL_MAX, true), entries };
}
