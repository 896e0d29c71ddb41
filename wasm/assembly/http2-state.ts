// The HTTP/2 observer's per-connection state in wasm memory (issue 13): field offsets of an observer,
// of its two directions (frame walk, HPACK table, header block) and of its streams, and the load/store
// helpers over u32 addresses that http2.ts, http2-frames.ts and hpack.ts share. Written so that the
// TypeScript twin (dataplane/core/ts-http2-state.ts) reads line for line the same.
import * as H from './http2-consts';

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
export const D_ENTRIES = 128; // ENT_MAX entries of 8 bytes: u32 offset in D_TBL, u16 name length, u16 value length
export const ENT_MAX: u32 = 128; // H2_TABLE_CAP / 32
export const D_TBL = 1152; // TBL_BYTES bytes of names and values, oldest first (compacted when the end is reached)
export const TBL_BYTES: u32 = 8192;
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
export const DS_PREFACE: u32 = 0, DS_HEADER: u32 = 1, DS_PAYLOAD: u32 = 2;
// Stream flags.
export const SF_REQ_ENDED: u32 = 1, SF_HAS_REQ: u32 = 2, SF_HAS_STATUS: u32 = 4;
// Block result flags.
export const R_METHOD: u32 = 1, R_PATH: u32 = 2, R_STATUS: u32 = 4, R_GRPC: u32 = 8;

@inline export function ld8(p: u32): u32 { return <u32>load<u8>(<usize>p); }
@inline export function ld16(p: u32): u32 { return <u32>load<u16>(<usize>p); }
@inline export function ld32(p: u32): u32 { return load<u32>(<usize>p); }
@inline export function ldf(p: u32): f64 { return load<f64>(<usize>p); }
@inline export function st8(p: u32, v: u32): void { store<u8>(<usize>p, <u8>v); }
@inline export function st16(p: u32, v: u32): void { store<u16>(<usize>p, <u16>v); }
@inline export function st32(p: u32, v: u32): void { store<u32>(<usize>p, v); }
@inline export function stf(p: u32, v: f64): void { store<f64>(<usize>p, v); }
@inline export function fill(p: u32, n: u32): void { memory.fill(<usize>p, 0, <usize>n); }
@inline export function copy(to: u32, from: u32, n: u32): void { memory.copy(<usize>to, <usize>from, <usize>n); }
@inline export function umin(a: u32, b: u32): u32 { return a < b ? a : b; }

@inline export function obsPtr(o: u32): u32 { return <u32>H.H2_OBS_BUF + o * <u32>H.H2_SIZE; }
@inline export function dirPtr(o: u32, d: u32): u32 { return obsPtr(o) + O_DIR + d * D_SIZE; }
@inline export function streamPtr(o: u32, i: u32): u32 { return obsPtr(o) + O_STREAMS + i * S_SIZE; }
@inline export function valid(o: u32): bool { return o < <u32>H.H2_MAX && ld8(obsPtr(o) + O_USED) != 0; }
