// The TypeScript twin of wasm/assembly/http2-state.ts (issue 13): the same layout over an ArrayBuffer
// of the observer's region, line for line, plus the load/store helpers the wasm gets from its memory.
// The twin's functions work on `cur`, the instance a TsHttp2 method selected (JS runs one at a time).
import * as H from '../../wasm/assembly/http2-consts.js';
import { HPACK_DATA } from './ts-hpack-data.js';

/** One twin instance: its memory (the region [MEM_BASE, H2_END)) and the two globals of the wasm module. */
export interface TwinState { dv: DataView; u8: Uint8Array; outCount: number; cursor: number }
/** The twin's memory starts at the region's base; its copy of hpack-data sits at H2_STATIC. */
export const MEM_BASE = H.H2_BASE;
export let cur: TwinState;
export function use(s: TwinState): void { cur = s; }
export function newTwinState(): TwinState {
  const buf = new ArrayBuffer(H.H2_END - MEM_BASE);
  const s = { dv: new DataView(buf), u8: new Uint8Array(buf), outCount: 0, cursor: 0 };
  s.u8.set(HPACK_DATA, H.H2_STATIC - MEM_BASE);
  return s;
}

// Observer fields.
export const O_USED = 0;
export const O_MODE = 1;
export const O_FAIL = 2;
export const O_NSTREAMS = 3;
export const O_LAST_ID = 4; // u32: the highest stream id the client opened
export const O_DIR = 64;
export const D_SIZE = 25728;
export const O_STREAMS = 51520; // O_DIR + 2 * D_SIZE
export const S_SIZE = 80;
// Direction fields.
export const D_STATE = 0; // DS_*
export const D_FTYPE = 1;
export const D_FFLAGS = 2;
export const D_HLEN = 3; // bytes of the frame header (or of the preface) read
export const D_FLEN = 4; // u32: payload length of the current frame
export const D_FPOS = 8; // u32: payload bytes of it consumed
export const D_SID = 12; // u32: its stream id
export const D_PRE = 16; // u32: HEADERS: pad-length and priority bytes before the fragment
export const D_PAD = 20; // u32: HEADERS: padding after the fragment
export const D_ACC = 24; // u32: GOAWAY's last stream id being read
export const D_SIDX = 28; // u8: index + 1 of the frame's stream in the table, 0 when none
export const D_IN_BLOCK = 29; // u8: a header block awaits CONTINUATION
export const D_BLK_END = 30; // u8: the block's HEADERS carried END_STREAM
export const D_MAXFRAME = 32; // u32: the largest frame this direction may send (the other side's SETTINGS)
export const D_TBL_LIMIT = 36; // u32: the largest table size update allowed (the other side's SETTINGS_HEADER_TABLE_SIZE)
export const D_TBL_MAX = 40; // u32: the dynamic table's current maximum size
export const D_TBL_SIZE = 44; // u32: its size (RFC 7541 4.1: name + value + 32 per entry)
export const D_TBL_HEAD = 48; // u32: ring index of the oldest entry
export const D_TBL_N = 52; // u32: entries
export const D_TBL_END = 56; // u32: end of the entries' bytes in D_TBL
export const D_BLK_LEN = 60; // u32: bytes of the header block gathered
export const D_BLK_SID = 64; // u32: its stream
export const D_R_METHOD = 68; // u8: what the last block said: method code
export const D_R_SEG_LEN = 69; // u8
export const D_R_FLAGS = 70; // u8: R_*
export const D_R_STATUS = 72; // u16
export const D_R_GRPC = 74; // u16: grpc-status + 1
export const D_R_SEG = 76; // H2_SEG_MAX bytes
export const D_HDR = 112; // the 9 bytes of a frame header; SETTINGS: the 6 bytes of a setting
export const D_ENTRIES = 128; // ENT_MAX entries of 8 bytes: number offset in D_TBL, u16 name length, u16 value length
export const ENT_MAX: number = 128; // H2_TABLE_CAP / 32
export const D_TBL = 1152; // TBL_BYTES bytes of names and values, oldest first (compacted when the end is reached)
export const TBL_BYTES: number = 8192;
export const D_BLK = 9344; // H2_BLOCK_CAP bytes: the header block being gathered
// Stream fields.
export const S_ID = 0; // u32: 0 when free
export const S_FLAGS = 4; // SF_*
export const S_METHOD = 5;
export const S_SEG_LEN = 6;
export const S_STATUS = 8; // u16: the final (non-1xx) status
export const S_GRPC = 10; // u16: grpc-status + 1
export const S_REQ = 16; // f64
export const S_RES = 24; // f64
export const S_START = 32; // f64
export const S_SEG = 40;

// Direction states.
export const DS_PREFACE: number = 0, DS_HEADER: number = 1, DS_PAYLOAD: number = 2;
// Stream flags.
export const SF_REQ_ENDED: number = 1, SF_HAS_REQ: number = 2, SF_HAS_STATUS: number = 4;
// Block result flags.
export const R_METHOD: number = 1, R_PATH: number = 2, R_STATUS: number = 4, R_GRPC: number = 8;

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
export const umin = (a: number, b: number): number => (a < b ? a : b);

export function obsPtr(o: number): number { return H.H2_OBS_BUF + o * H.H2_SIZE; }
export function dirPtr(o: number, d: number): number { return obsPtr(o) + O_DIR + d * D_SIZE; }
export function streamPtr(o: number, i: number): number { return obsPtr(o) + O_STREAMS + i * S_SIZE; }
export function valid(o: number): boolean { return o < H.H2_MAX && ld8(obsPtr(o) + O_USED) != 0; }
