// The HTTP/1.1 observer's per-connection state in wasm memory (issue 13): field offsets of an observer,
// of its two directions and of its pending requests, parser states and flags, and the pointer helpers
// that http1.ts (the exports and byte accounting) and http1-head.ts (the byte machine) share.
import * as H from './http1-consts';

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
export const NAME_MAX: u32 = 24;
export const D_TOK = 64;
export const TOK_MAX: u32 = 16;
// Pending request fields.
export const P_METHOD = 0;
export const P_FLAGS = 1;
export const P_SEG_LEN = 2;
export const P_START = 8;
export const P_REQ = 16;
export const P_SEG = 32;

// Parser states of one direction.
export const S_IDLE: u8 = 0, S_METHOD: u8 = 1, S_TARGET: u8 = 2, S_VERSION: u8 = 3, S_RVERSION: u8 = 4, S_STATUS: u8 = 5;
export const S_REASON: u8 = 6, S_LINE_LF: u8 = 7, S_HSTART: u8 = 8, S_HNAME: u8 = 9, S_HVALUE: u8 = 10, S_HLF: u8 = 11;
export const S_HEAD_LF: u8 = 12, S_CSIZE: u8 = 13, S_CEXT: u8 = 14, S_CSIZE_LF: u8 = 15, S_CDATA_CR: u8 = 16, S_CDATA_LF: u8 = 17;
export const S_TRAILER: u8 = 18, S_TLINE: u8 = 19, S_TRAILER_LF: u8 = 20, S_BODY: u8 = 21, S_CDATA: u8 = 22, S_UNTIL_CLOSE: u8 = 23;
export const S_WAIT: u8 = 24, S_DONE: u8 = 25;
// Message flags.
export const F_CHUNKED_LAST: u16 = 1, F_TE: u16 = 2, F_CL: u16 = 4, F_CLOSE: u16 = 8, F_KEEPALIVE: u16 = 16;
export const F_CONN_UPGRADE: u16 = 32, F_UPGRADE: u16 = 64, F_HTTP10: u16 = 128;
// Pending request flags.
export const E_HEAD: u8 = 1, E_CONNECT: u8 = 2, E_UPGRADE: u8 = 4, E_CLOSE: u8 = 8;
// Headers whose value matters.
export const HD_OTHER: u8 = 0, HD_CL: u8 = 1, HD_TE: u8 = 2, HD_CONN: u8 = 3, HD_UPGRADE: u8 = 4;
export const MAX_SAFE: f64 = 9007199254740991;

export const WORDS = memory.data<u8>([71, 69, 84, 72, 69, 65, 68, 80, 79, 83, 84, 80, 85, 84, 68, 69, 76, 69, 84, 69, 67, 79, 78, 78, 69, 67, 84, 79, 80, 84, 73, 79, 78, 83, 84, 82, 65, 67, 69, 80, 65, 84, 67, 72, 99, 111, 110, 116, 101, 110, 116, 45, 108, 101, 110, 103, 116, 104, 116, 114, 97, 110, 115, 102, 101, 114, 45, 101, 110, 99, 111, 100, 105, 110, 103, 99, 111, 110, 110, 101, 99, 116, 105, 111, 110, 117, 112, 103, 114, 97, 100, 101, 99, 104, 117, 110, 107, 101, 100, 99, 108, 111, 115, 101, 107, 101, 101, 112, 45, 97, 108, 105, 118, 101, 72, 84, 84, 80, 47, 49, 46]);

@inline export function obsPtr(o: u32): usize { return <usize>H.H1_OBS_BUF + <usize>o * H.H1_SIZE; }
@inline export function dirPtr(o: u32, d: u32): usize { return obsPtr(o) + O_DIR + <usize>d * D_SIZE; }
@inline export function entryPtr(o: u32, i: u32): usize { return obsPtr(o) + O_PEND + <usize>i * P_SIZE; }
@inline export function valid(o: u32): bool { return o < <u32>H.H1_MAX && load<u8>(obsPtr(o) + O_USED) != 0; }
@inline export function lower(c: u32): u32 { return c >= 65 && c <= 90 ? c | 32 : c; }
@inline export function isDigit(c: u32): bool { return c >= 48 && c <= 57; }

// tchar of RFC 9110 (visible ASCII except delimiters), one byte per value: a load instead of a compare chain
// on the parser's hottest test. The twin's isToken (ts-http1-state.ts) is the same set as a compare chain.
const TCHAR = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, // SP ! " # $ % & ' ( ) * + , - . /
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, // 0-9 : ; < = > ?
  0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // @ A-O
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, // P-Z [ \ ] ^ _
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // ` a-o
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, // p-z { | } ~ DEL
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

/** Whether byte `c` (0..255) is a tchar. */
@inline export function isToken(c: u32): bool { return load<u8>(TCHAR + <usize>(c & 255)) != 0; }

/** Whether `len` bytes at `p` equal the word `w` (offset * 256 + length in WORDS). */
export function isWord(p: usize, len: u32, w: u32): bool {
  if (len != (w & 255)) return false;
  const q = WORDS + <usize>(w >> 8);
  for (let i: u32 = 0; i < len; i++) if (load<u8>(p + i) != load<u8>(q + i)) return false;
  return true;
}

