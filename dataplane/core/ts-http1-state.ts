// The TypeScript twin of wasm/assembly/http1-state.ts (issue 13): the same layout over an ArrayBuffer
// of the observer's region, line for line, plus the load/store helpers the wasm gets from its memory.
// The twin's functions work on `cur`, the instance a TsHttp1 method selected (JS runs one at a time).
import * as H from '../../wasm/assembly/http1-consts.js';

/** One twin instance: its memory (the region [MEM_BASE, H1_END)) and the two globals of the wasm module. */
export interface TwinState { dv: DataView; u8: Uint8Array; outCount: number; cursor: number }
/** The twin's memory starts here: the word table (static data in the wasm) sits just below H1_BASE. */
export const MEM_BASE = H.H1_BASE - 256;
export let cur: TwinState;
export function use(s: TwinState): void { cur = s; }
export function newTwinState(): TwinState {
  const buf = new ArrayBuffer(H.H1_END - MEM_BASE);
  const s = { dv: new DataView(buf), u8: new Uint8Array(buf), outCount: 0, cursor: 0 };
  s.u8.set(Buffer.from(WORD_TEXT, 'latin1'), WORDS - MEM_BASE);
  return s;
}
export const ld8 = (p: number): number => cur.dv.getUint8(p - MEM_BASE);
export const ld16 = (p: number): number => cur.dv.getUint16(p - MEM_BASE, true);
export const ld32 = (p: number): number => cur.dv.getUint32(p - MEM_BASE, true);
export const ldf = (p: number): number => cur.dv.getFloat64(p - MEM_BASE, true);
export const st8 = (p: number, v: number): void => cur.dv.setUint8(p - MEM_BASE, v);
export const st16 = (p: number, v: number): void => cur.dv.setUint16(p - MEM_BASE, v, true);
export const st32 = (p: number, v: number): void => cur.dv.setUint32(p - MEM_BASE, v, true);
export const stf = (p: number, v: number): void => cur.dv.setFloat64(p - MEM_BASE, v, true);
export const fill = (p: number, n: number): void => { cur.u8.fill(0, p - MEM_BASE, p - MEM_BASE + n); };
export const copy = (to: number, from: number, n: number): void => { cur.u8.copyWithin(to - MEM_BASE, from - MEM_BASE, from - MEM_BASE + n); };

// Observer fields.
export const O_USED = 0;
export const O_MODE = 1;
export const O_FAIL = 2;
export const O_NPEND = 3;
export const O_PHEAD = 4;
export const O_DIR = 16;
export const D_SIZE = 96;
export const O_PEND = 208;
export const P_SIZE = 64;
// Direction fields.
export const D_STATE = 0;
export const D_SUB = 1;
export const D_FLAGS = 2; // u16
export const D_HDR = 4;
export const D_NAME_LEN = 5;
export const D_TOK_LEN = 6;
export const D_ENTRY = 7; // request side: pending entry + 1 that body bytes count to, 0 when none
export const D_HEAD = 8; // u32: bytes of the current head, chunk-size line or trailers
export const D_STATUS = 12; // u16
export const D_AUX = 14; // request: method; response: status digits
export const D_EFLAGS = 15; // entry flags of the message being read
export const D_REMAIN = 16; // f64: body or chunk bytes left; a chunk size or a content-length being read
export const D_CL = 24; // f64
export const D_BYTES = 32; // f64: request: head bytes; response: bytes since the last observation
export const D_NAME = 40;
export const NAME_MAX: number = 24;
export const D_TOK = 64;
export const TOK_MAX: number = 16;
// Pending request fields.
export const P_METHOD = 0;
export const P_FLAGS = 1;
export const P_SEG_LEN = 2;
export const P_START = 8;
export const P_REQ = 16;
export const P_SEG = 32;

// Parser states of one direction.
export const S_IDLE: number = 0, S_METHOD: number = 1, S_TARGET: number = 2, S_VERSION: number = 3, S_RVERSION: number = 4, S_STATUS: number = 5;
export const S_REASON: number = 6, S_LINE_LF: number = 7, S_HSTART: number = 8, S_HNAME: number = 9, S_HVALUE: number = 10, S_HLF: number = 11;
export const S_HEAD_LF: number = 12, S_CSIZE: number = 13, S_CEXT: number = 14, S_CSIZE_LF: number = 15, S_CDATA_CR: number = 16, S_CDATA_LF: number = 17;
export const S_TRAILER: number = 18, S_TLINE: number = 19, S_TRAILER_LF: number = 20, S_BODY: number = 21, S_CDATA: number = 22, S_UNTIL_CLOSE: number = 23;
export const S_WAIT: number = 24, S_DONE: number = 25;
// Message flags.
export const F_CHUNKED_LAST: number = 1, F_TE: number = 2, F_CL: number = 4, F_CLOSE: number = 8, F_KEEPALIVE: number = 16;
export const F_CONN_UPGRADE: number = 32, F_UPGRADE: number = 64, F_HTTP10: number = 128;
// Pending request flags.
export const E_HEAD: number = 1, E_CONNECT: number = 2, E_UPGRADE: number = 4, E_CLOSE: number = 8;
// Headers whose value matters.
export const HD_OTHER: number = 0, HD_CL: number = 1, HD_TE: number = 2, HD_CONN: number = 3, HD_UPGRADE: number = 4;
export const MAX_SAFE: number = 9007199254740991;

const WORD_TEXT = 'GETHEADPOSTPUTDELETECONNECTOPTIONSTRACEPATCHcontent-lengthtransfer-encodingconnectionupgradechunkedclosekeep-aliveHTTP/1.';
export const WORDS = MEM_BASE;

export function obsPtr(o: number): number { return H.H1_OBS_BUF + o * H.H1_SIZE; }
export function dirPtr(o: number, d: number): number { return obsPtr(o) + O_DIR + d * D_SIZE; }
export function entryPtr(o: number, i: number): number { return obsPtr(o) + O_PEND + i * P_SIZE; }
export function valid(o: number): boolean { return o < H.H1_MAX && ld8(obsPtr(o) + O_USED) != 0; }
export function lower(c: number): number { return c >= 65 && c <= 90 ? c | 32 : c; }
export function isDigit(c: number): boolean { return c >= 48 && c <= 57; }

/** tchar of RFC 9110: visible ASCII except delimiters. */
export function isToken(c: number): boolean {
  if (c <= 32 || c >= 127) return false;
  return c != 34 && c != 40 && c != 41 && c != 44 && c != 47 && c != 58 && c != 59 && c != 60 && c != 61
    && c != 62 && c != 63 && c != 64 && c != 91 && c != 92 && c != 93 && c != 123 && c != 125;
}

/** Whether `len` bytes at `p` equal the word `w` (offset * 256 + length in WORDS). */
export function isWord(p: number, len: number, w: number): boolean {
  if (len != (w & 255)) return false;
  const q = WORDS + (w >> 8);
  for (let i: number = 0; i < len; i++) if (ld8(p + i) != ld8(q + i)) return false;
  return true;
}


