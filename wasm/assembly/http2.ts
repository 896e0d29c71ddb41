// HTTP/2 observer (issue 13): follows one h2c connection's frames in both directions, in any chunking,
// decodes its header blocks (HPACK, hpack.ts) and turns every stream into an observation. Fixed memory
// (http2-consts.ts), no allocation, never throws; anything malformed or over a budget makes it fall
// back to letting bytes pass. DATA payloads are never read: the host asks h2Skip() and passes them.
import * as H from './http2-consts';
import { H1_END } from './http1-consts';
import { MEMORY_PAGES, ERR_TABLE_FULL } from './protocol';
import { prefaceByte } from './hpack';
import { D_FFLAGS, D_FLEN, D_FPOS, D_FTYPE, D_HDR, D_HLEN, D_MAXFRAME, D_SIZE, D_STATE, D_TBL_LIMIT, D_TBL_MAX, DS_HEADER, DS_PAYLOAD, DS_PREFACE, O_DIR, O_MODE, O_FAIL, O_STREAMS, O_USED, S_SIZE, dirPtr, fill, ld32, ld8, obsPtr, st32, st8, valid } from './http2-state';
import { clearOuts, emitAbove, fail, outs } from './http2-streams';
import { frameStart, payload } from './http2-frames';

let cursor: u32 = 0;

/** Frees every observer; refuses (ERR_TABLE_FULL) if the region overlaps the HTTP/1.1 one or leaves memory. */
export function h2Init(): u32 {
  if (<u32>H1_END > <u32>H.H2_BASE || <u32>H.H2_END > <u32>MEMORY_PAGES * 65536 || <u32>memory.size() < <u32>MEMORY_PAGES) return ERR_TABLE_FULL;
  // Only the used flags: an observer's pages are touched when it is first opened.
  for (let o: u32 = 0; o < <u32>H.H2_MAX; o++) st8(obsPtr(o) + O_USED, 0);
  clearOuts();
  cursor = 0;
  return 0;
}

/** A fresh observer for one connection, or -1 when all H2_MAX are in use. */
export function h2Open(): i32 {
  for (let i: u32 = 0; i < <u32>H.H2_MAX; i++) {
    const o = (cursor + i) % <u32>H.H2_MAX;
    const op = obsPtr(o);
    if (ld8(op + O_USED) != 0) continue;
    // The fields, not the buffers (header block, table bytes): those are read only after being written.
    fill(op, O_DIR);
    fill(op + O_STREAMS, <u32>H.H2_STREAMS * S_SIZE);
    for (let d: u32 = 0; d < 2; d++) {
      const dp = dirPtr(o, d);
      fill(dp, D_HDR + 16);
      st8(dp + D_STATE, d == <u32>H.H2_REQ ? DS_PREFACE : DS_HEADER);
      st32(dp + D_MAXFRAME, 16384);
      st32(dp + D_TBL_LIMIT, 4096);
      st32(dp + D_TBL_MAX, 4096);
    }
    st8(op + O_USED, 1);
    cursor = (o + 1) % <u32>H.H2_MAX;
    return <i32>o;
  }
  return -1;
}

/** Frees an observer. */
export function h2Close(o: u32): void { if (valid(o)) st8(obsPtr(o) + O_USED, 0); }

/** H2_PARSING, H2_FAILED or H2_ENDED (a free or unknown observer reads as failed). */
export function h2Mode(o: u32): u32 { return valid(o) ? ld8(obsPtr(o) + O_MODE) : <u32>H.H2_FAILED; }

/** Why the observer fell back (H2_FAIL_*), 0 if it did not. */
export function h2Failure(o: u32): u32 { return valid(o) ? ld8(obsPtr(o) + O_FAIL) : 0; }

/** Observations written to H2_OUT by the last h2Feed/h2Pass/h2End call. */
export function h2Outs(): u32 { return outs(); }

/** How many of direction `d`'s next bytes may pass unread through h2Pass (the rest of a DATA payload; H2_SKIP_ALL when nothing is parsed any more). */
export function h2Skip(o: u32, d: u32): u32 {
  if (!valid(o) || d > 1 || ld8(obsPtr(o) + O_MODE) != <u32>H.H2_PARSING) return H.H2_SKIP_ALL;
  const dp = dirPtr(o, d);
  if (ld8(dp + D_STATE) != DS_PAYLOAD || ld8(dp + D_FTYPE) != <u32>H.FT_DATA) return 0;
  return ld32(dp + D_FLEN) - ld32(dp + D_FPOS);
}

/** `n` bytes of direction `d` passed unread (n <= h2Skip; more makes the observer fall back). Returns n. */
export function h2Pass(o: u32, d: u32, n: u32, now: f64): u32 {
  clearOuts();
  if (!valid(o) || d > 1 || ld8(obsPtr(o) + O_MODE) != <u32>H.H2_PARSING) return n;
  if (n > h2Skip(o, d)) { fail(o, H.H2_FAIL_PASS); return n; }
  if (n > 0) payload(o, d, dirPtr(o, d), 0, n, now);
  return n;
}

/** Follows `len` bytes of direction `d` copied to H2_IN; returns the bytes consumed: fewer when a DATA payload begins
 *  (the host passes it unread) or when H2_OUT could fill up. */
export function h2Feed(o: u32, d: u32, len: u32, now: f64): u32 {
  clearOuts();
  if (len > <u32>H.H2_IN_CAP) len = H.H2_IN_CAP;
  if (!valid(o) || d > 1) return len;
  const op = obsPtr(o);
  const dp = dirPtr(o, d);
  let i: u32 = 0;
  while (i < len) {
    if (ld8(op + O_MODE) != <u32>H.H2_PARSING) return len;
    // A frame ends at most H2_STREAMS streams (a GOAWAY): stop while that many records are still free.
    if (outs() > <u32>H.H2_OUT_CAP - <u32>H.H2_STREAMS) return i;
    const st = ld8(dp + D_STATE);
    if (st == DS_PAYLOAD) {
      // A DATA payload begun in this call is left to the host, to pass unread (h2Skip/h2Pass) instead of copying it in.
      if (i > 0 && ld8(dp + D_FTYPE) == <u32>H.FT_DATA) return i;
      i = payload(o, d, dp, i, len, now);
      continue;
    }
    const c = ld8(<u32>H.H2_IN + i);
    i++;
    const h = ld8(dp + D_HLEN);
    if (st == DS_PREFACE) {
      if (c != prefaceByte(h)) { fail(o, H.H2_FAIL_PREFACE); return len; }
      if (h + 1 < 24) st8(dp + D_HLEN, h + 1);
      else { st8(dp + D_HLEN, 0); st8(dp + D_STATE, DS_HEADER); }
      continue;
    }
    st8(dp + D_HDR + h, c);
    if (h + 1 < 9) st8(dp + D_HLEN, h + 1);
    else frameStart(o, d, dp, now);
  }
  return len;
}

/** The connection ended: streams still open are observed as reset, with what was seen of them. */
export function h2End(o: u32, now: f64): u32 {
  clearOuts();
  if (!valid(o)) return 0;
  const op = obsPtr(o);
  if (ld8(op + O_MODE) == <u32>H.H2_PARSING) {
    emitAbove(o, 0, now);
    st8(op + O_MODE, H.H2_ENDED);
  }
  return outs();
}
