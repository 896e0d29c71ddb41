// HPACK decoding for the HTTP/2 observer (issue 13, RFC 7541): integers, string literals (raw, or
// Huffman-coded with the canonical code of Appendix B), the static table and one dynamic table per
// direction (size updates, eviction), over a whole header block gathered in fixed memory. Only
// :method, :path, :status and grpc-status are kept (in the direction's D_R_* fields); every literal
// with incremental indexing still enters the table, so later blocks stay decodable.
import * as H from './http2-consts';
import { HD } from './hpack-data';
import { D_BLK, D_BLK_LEN, D_ENTRIES, D_R_FLAGS, D_R_GRPC, D_R_METHOD, D_R_SEG, D_R_SEG_LEN, D_R_STATUS, D_TBL, D_TBL_END, D_TBL_HEAD, D_TBL_LIMIT, D_TBL_MAX, D_TBL_N, D_TBL_SIZE, ENT_MAX, R_GRPC, R_METHOD, R_PATH, R_STATUS, TBL_BYTES, copy, ld16, ld32, ld8, st16, st32, st8 } from './http2-state';

/** The constant blob (hpack-data.ts). */
const D: u32 = <u32>HD;
/** Where a Huffman-coded name and value are decoded to. */
const NAME_BUF: u32 = <u32>H.H2_SCRATCH;
const VAL_BUF: u32 = <u32>H.H2_SCRATCH + <u32>H.H2_SCRATCH_CAP;

// The block's cursor, the last integer and string read, the last table entry looked up.
let pos: u32 = 0;
let end: u32 = 0;
let intVal: u32 = 0;
let sPtr: u32 = 0;
let sLen: u32 = 0;
let nPtr: u32 = 0;
let nLen: u32 = 0;
let vPtr: u32 = 0;
let vLen: u32 = 0;
/** Why the last decodeBlock() failed: H2_FAIL_HPACK or H2_FAIL_TABLE_SIZE. */
let error: u32 = 0;

/** H2_FAIL_* of the last failed decodeBlock(). */
export function hpackError(): u32 { return error; }

/** An integer with an `n`-bit prefix at `pos` (which is < end); false past the block or above 2^28. */
function readInt(n: u32): bool {
  const mask: u32 = (1 << n) - 1;
  let v: u32 = ld8(pos) & mask;
  pos++;
  if (v < mask) { intVal = v; return true; }
  let m: u32 = 1;
  while (true) {
    if (pos >= end || m > 2097152) return false;
    const b = ld8(pos);
    pos++;
    v += (b & 127) * m;
    if ((b & 128) == 0) { intVal = v; return true; }
    m *= 128;
  }
  return false;
}

/** Decodes `n` Huffman-coded bytes at `src` into `dst` (RFC 7541 5.2): the canonical code is walked bit by bit.
 *  Returns the length, or -1 on the EOS symbol, padding that is not a short run of ones, or overflow. */
export function huffDecode(src: u32, n: u32, dst: u32): i32 {
  let code: u32 = 0;
  let len: u32 = 0;
  let out: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const b = ld8(src + i);
    for (let k: u32 = 0; k < 8; k++) {
      code = code * 2 + ((b >> (7 - k)) & 1);
      len++;
      if (len < 5) continue;
      if (len > 30) return -1;
      const first = ld32(D + H.HD_FIRST + len * 4);
      if (code < first || code - first >= ld16(D + H.HD_COUNT + len * 2)) continue;
      const sym = ld16(D + H.HD_SYMS + (ld16(D + H.HD_OFFSET + len * 2) + code - first) * 2);
      if (sym == 256 || out >= <u32>H.H2_SCRATCH_CAP) return -1;
      st8(dst + out, sym);
      out++;
      code = 0;
      len = 0;
    }
  }
  if (len > 7 || code != (1 << len) - 1) return -1;
  return <i32>out;
}

/** A string literal at `pos`: a raw one is left in place (sPtr points into the block), a Huffman-coded one is decoded to `dst`. */
function readString(dst: u32): bool {
  if (pos >= end) return false;
  const huff = ld8(pos) >= 128;
  if (!readInt(7)) return false;
  const n = intVal;
  if (n > end - pos) return false;
  if (!huff) { sPtr = pos; sLen = n; pos += n; return true; }
  const len = huffDecode(pos, n, dst);
  if (len < 0) return false;
  sPtr = dst;
  sLen = <u32>len;
  pos += n;
  return true;
}

/** Field `idx` (1..61 static, then the dynamic table newest first) into nPtr/nLen/vPtr/vLen; false when out of range. */
function entry(dp: u32, idx: u32): bool {
  if (idx == 0) return false;
  if (idx <= 61) {
    const s = D + H.HD_STATIC + (idx - 1) * 4;
    nPtr = D + H.HD_TEXT + ld16(s);
    nLen = ld8(s + 2);
    vPtr = nPtr + nLen;
    vLen = ld8(s + 3);
    return true;
  }
  const k = idx - 62;
  const n = ld32(dp + D_TBL_N);
  if (k >= n) return false;
  const e = dp + D_ENTRIES + ((ld32(dp + D_TBL_HEAD) + n - 1 - k) % ENT_MAX) * 8;
  nPtr = dp + D_TBL + ld32(e);
  nLen = ld16(e + 4);
  vPtr = nPtr + nLen;
  vLen = ld16(e + 6);
  return true;
}

/** Evicts the oldest entries until the table's size is at most `max` (RFC 7541 4.3). */
function evictTo(dp: u32, max: u32): void {
  while (ld32(dp + D_TBL_SIZE) > max) {
    const head = ld32(dp + D_TBL_HEAD);
    const e = dp + D_ENTRIES + head * 8;
    st32(dp + D_TBL_SIZE, ld32(dp + D_TBL_SIZE) - (ld16(e + 4) + ld16(e + 6) + 32));
    st32(dp + D_TBL_HEAD, (head + 1) % ENT_MAX);
    st32(dp + D_TBL_N, ld32(dp + D_TBL_N) - 1);
  }
  if (ld32(dp + D_TBL_N) == 0) st32(dp + D_TBL_END, 0);
}

/** Moves the live entries' bytes to the start of D_TBL. */
function compact(dp: u32): void {
  const n = ld32(dp + D_TBL_N);
  const head = ld32(dp + D_TBL_HEAD);
  const start = ld32(dp + D_ENTRIES + head * 8);
  copy(dp + D_TBL, dp + D_TBL + start, ld32(dp + D_TBL_END) - start);
  for (let k: u32 = 0; k < n; k++) {
    const e = dp + D_ENTRIES + ((head + k) % ENT_MAX) * 8;
    st32(e, ld32(e) - start);
  }
  st32(dp + D_TBL_END, ld32(dp + D_TBL_END) - start);
}

/** Adds (name, value) as the newest entry (RFC 7541 4.4): evicts first; an entry larger than the table empties it.
 *  `np` must not point into the table (compaction may move it). */
function insert(dp: u32, np: u32, nl: u32, vp: u32, vl: u32): void {
  const size = nl + vl + 32;
  const max = ld32(dp + D_TBL_MAX);
  if (size > max) { evictTo(dp, 0); return; }
  evictTo(dp, max - size);
  if (ld32(dp + D_TBL_END) + nl + vl > TBL_BYTES) compact(dp);
  const at = ld32(dp + D_TBL_END);
  const n = ld32(dp + D_TBL_N);
  const e = dp + D_ENTRIES + ((ld32(dp + D_TBL_HEAD) + n) % ENT_MAX) * 8;
  copy(dp + D_TBL + at, np, nl);
  copy(dp + D_TBL + at + nl, vp, vl);
  st32(e, at);
  st16(e + 4, nl);
  st16(e + 6, vl);
  st32(dp + D_TBL_END, at + nl + vl);
  st32(dp + D_TBL_N, n + 1);
  st32(dp + D_TBL_SIZE, ld32(dp + D_TBL_SIZE) + size);
}

/** Whether `len` bytes at `p` equal the word `w` (offset * 256 + length in the blob's text). */
function isWord(p: u32, len: u32, w: u32): bool {
  if (len != (w & 255)) return false;
  const q = D + H.HD_TEXT + (w >> 8);
  for (let i: u32 = 0; i < len; i++) if (ld8(p + i) != ld8(q + i)) return false;
  return true;
}

/** H1_M_* code of a :method value (the HTTP/1.1 observer's codes), 0 for others. */
function methodCode(p: u32, len: u32): u32 {
  if (isWord(p, len, H.W_GET)) return 1;
  if (isWord(p, len, H.W_HEAD)) return 2;
  if (isWord(p, len, H.W_POST)) return 3;
  if (isWord(p, len, H.W_PUT)) return 4;
  if (isWord(p, len, H.W_DELETE)) return 5;
  if (isWord(p, len, H.W_CONNECT)) return 6;
  if (isWord(p, len, H.W_OPTIONS)) return 7;
  if (isWord(p, len, H.W_TRACE)) return 8;
  if (isWord(p, len, H.W_PATCH)) return 9;
  return 0;
}

/** Notes a decoded field if it is one the observation needs; false when its value is malformed (:status not 3 digits). */
function field(dp: u32, np: u32, nl: u32, vp: u32, vl: u32): bool {
  const flags = ld8(dp + D_R_FLAGS);
  if (isWord(np, nl, H.W_METHOD)) {
    st8(dp + D_R_METHOD, methodCode(vp, vl));
    st8(dp + D_R_FLAGS, flags | R_METHOD);
  } else if (isWord(np, nl, H.W_PATH)) {
    // The first segment, as the HTTP/1.1 observer keeps it: after a leading '/', up to '/', '?' or '#'.
    let i: u32 = vl > 0 && ld8(vp) == 47 ? 1 : 0;
    let n: u32 = 0;
    while (i < vl && n < <u32>H.H2_SEG_MAX) {
      const c = ld8(vp + i);
      if (c == 47 || c == 63 || c == 35) break;
      st8(dp + D_R_SEG + n, c);
      n++;
      i++;
    }
    st8(dp + D_R_SEG_LEN, n);
    st8(dp + D_R_FLAGS, flags | R_PATH);
  } else if (isWord(np, nl, H.W_STATUS)) {
    if (vl != 3) return false;
    let v: u32 = 0;
    for (let i: u32 = 0; i < 3; i++) {
      const c = ld8(vp + i);
      if (c < 48 || c > 57) return false;
      v = v * 10 + (c - 48);
    }
    st16(dp + D_R_STATUS, v);
    st8(dp + D_R_FLAGS, flags | R_STATUS);
  } else if (isWord(np, nl, H.W_GRPC_STATUS) && vl > 0 && vl <= 4) {
    let v: u32 = 0;
    for (let i: u32 = 0; i < vl; i++) {
      const c = ld8(vp + i);
      if (c < 48 || c > 57) return true; // not a number: not noted, the block is still fine
      v = v * 10 + (c - 48);
    }
    st16(dp + D_R_GRPC, v + 1);
    st8(dp + D_R_FLAGS, flags | R_GRPC);
  }
  return true;
}

/** Decodes the header block gathered in direction `dp` (RFC 7541 6), updating its dynamic table and noting the
 *  fields an observation needs in D_R_*. False when it is malformed (hpackError() says how). */
export function decodeBlock(dp: u32): bool {
  pos = dp + D_BLK;
  end = pos + ld32(dp + D_BLK_LEN);
  st8(dp + D_R_FLAGS, 0);
  st8(dp + D_R_METHOD, 0);
  st8(dp + D_R_SEG_LEN, 0);
  st16(dp + D_R_STATUS, 0);
  st16(dp + D_R_GRPC, 0);
  error = H.H2_FAIL_HPACK;
  while (pos < end) {
    const b = ld8(pos);
    if (b >= 128) {
      // Indexed field (6.1).
      if (!readInt(7) || !entry(dp, intVal)) return false;
      if (!field(dp, nPtr, nLen, vPtr, vLen)) return false;
    } else if (b >= 64 || b < 32) {
      // Literal with incremental indexing (01), without indexing (0000) or never indexed (0001) (6.2).
      const indexing = b >= 64;
      if (!readInt(indexing ? 6 : 4)) return false;
      let np: u32 = 0;
      let nl: u32 = 0;
      if (intVal == 0) {
        if (!readString(NAME_BUF)) return false;
        np = sPtr;
        nl = sLen;
      } else {
        if (!entry(dp, intVal)) return false;
        np = nPtr;
        nl = nLen;
        // A name from the dynamic table could be moved by the insertion's compaction: copy it out first.
        if (intVal > 61 && indexing) { copy(NAME_BUF, np, nl); np = NAME_BUF; }
      }
      if (!readString(VAL_BUF)) return false;
      if (!field(dp, np, nl, sPtr, sLen)) return false;
      if (indexing) insert(dp, np, nl, sPtr, sLen);
    } else {
      // Dynamic table size update (6.3): at most the receiver's SETTINGS_HEADER_TABLE_SIZE, and what we hold.
      if (!readInt(5) || intVal > ld32(dp + D_TBL_LIMIT)) return false;
      if (intVal > <u32>H.H2_TABLE_CAP) { error = H.H2_FAIL_TABLE_SIZE; return false; }
      st32(dp + D_TBL_MAX, intVal);
      evictTo(dp, intVal);
    }
  }
  return true;
}

/** Byte `i` of the client's connection preface (RFC 9113 3.4). */
export function prefaceByte(i: u32): u32 { return ld8(D + H.HD_TEXT + (H.W_PREFACE >> 8) + i); }
