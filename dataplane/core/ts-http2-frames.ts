// The TypeScript twin of wasm/assembly/http2-frames.ts (issue 13), line for line. The frame walk (RFC 9113): a frame's header read (in any chunking),
// its payload followed by type — header block fragments gathered (padding and priority left out),
// SETTINGS applied to the other direction, RST_STREAM and GOAWAY ending streams — and its end.
// DATA payloads are only counted, never read, so the host may pass them unread (h2Skip/h2Pass).
import * as H from '../../wasm/assembly/http2-consts.js';
import { decodeBlock, hpackError } from './ts-hpack.js';
import { D_ACC, D_BLK, D_BLK_END, D_BLK_LEN, D_BLK_SID, D_FFLAGS, D_FLEN, D_FPOS, D_FTYPE, D_HDR, D_HLEN, D_IN_BLOCK, D_MAXFRAME, D_PAD, D_PRE, D_R_FLAGS, D_R_GRPC, D_R_METHOD, D_R_SEG, D_R_SEG_LEN, D_R_STATUS, D_SID, D_SIDX, D_STATE, D_TBL_LIMIT, DS_HEADER, DS_PAYLOAD, O_LAST_ID, O_MODE, R_GRPC, R_STATUS, S_FLAGS, S_GRPC, S_ID, S_METHOD, S_SEG, S_SEG_LEN, S_STATUS, SF_HAS_REQ, SF_HAS_STATUS, SF_REQ_ENDED, copy, dirPtr, ld16, ld32, ld8, obsPtr, st16, st32, st8, streamPtr, umin } from './ts-http2-state.js';
import { addBytes, emit, emitAbove, fail, findStream, openStream } from './ts-http2-streams.js';

/** The frame header is in D_HDR: checks it against the connection's state and sets up its payload. */
export function frameStart(o: number, d: number, dp: number, now: number): void {
  const hp = dp + D_HDR;
  const len = (ld8(hp) * 256 + ld8(hp + 1)) * 256 + ld8(hp + 2);
  const type = ld8(hp + 3);
  const flags = ld8(hp + 4);
  const sid = ((ld8(hp + 5) & 127) * 256 + ld8(hp + 6)) * 65536 + ld8(hp + 7) * 256 + ld8(hp + 8);
  st8(dp + D_FTYPE, type);
  st8(dp + D_FFLAGS, flags);
  st32(dp + D_FLEN, len);
  st32(dp + D_FPOS, 0);
  st32(dp + D_SID, sid);
  st8(dp + D_HLEN, 0);
  st8(dp + D_SIDX, 0);
  if (len > ld32(dp + D_MAXFRAME)) { fail(o, H.H2_FAIL_FRAME_SIZE); return; }
  // A header block is one HEADERS and its CONTINUATIONs on the same stream, with no other frame between.
  const inBlock = ld8(dp + D_IN_BLOCK) != 0;
  if (inBlock ? type != H.FT_CONTINUATION || sid != ld32(dp + D_BLK_SID) : type == H.FT_CONTINUATION) { fail(o, H.H2_FAIL_FRAME); return; }
  let si = findStream(o, sid);
  if (si == 0 && type == H.FT_HEADERS && d == H.H2_REQ && (sid & 1) == 1 && sid > ld32(obsPtr(o) + O_LAST_ID)) {
    si = openStream(o, sid, now);
    if (si == 0) return;
  }
  st8(dp + D_SIDX, si);
  addBytes(o, d, si, sid, 9);
  let bad = false;
  if (type == H.FT_HEADERS) {
    const pre: number = ((flags & H.FL_PADDED) != 0 ? 1 : 0) + ((flags & H.FL_PRIORITY) != 0 ? 5 : 0);
    bad = sid == 0 || pre > len;
    st32(dp + D_PRE, pre);
    st32(dp + D_PAD, 0);
    st32(dp + D_BLK_LEN, 0);
    st32(dp + D_BLK_SID, sid);
    st8(dp + D_BLK_END, flags & H.FL_END_STREAM);
    st8(dp + D_IN_BLOCK, 1);
  } else if (type == H.FT_CONTINUATION) {
    st32(dp + D_PRE, 0);
    st32(dp + D_PAD, 0);
  } else if (type == H.FT_SETTINGS) {
    bad = sid != 0 || ((flags & H.FL_ACK) != 0 ? len != 0 : len % 6 != 0);
  } else if (type == H.FT_RST_STREAM) {
    bad = sid == 0 || len != 4;
  } else if (type == H.FT_GOAWAY) {
    bad = sid != 0 || len < 8;
    st32(dp + D_ACC, 0);
  } else if (type == H.FT_DATA) {
    bad = sid == 0;
  } else if (type == H.FT_PUSH_PROMISE) {
    fail(o, H.H2_FAIL_PUSH);
    return;
  }
  if (bad) { fail(o, H.H2_FAIL_FRAME); return; }
  st8(dp + D_STATE, DS_PAYLOAD);
  if (len == 0) frameEnd(o, d, dp, now);
}

/** Bytes [from, to) of H2_IN continue the current frame's payload: consumes those that belong to it and
 *  returns where it stopped. DATA and frames the observer ignores are only counted (the bytes are not read). */
export function payload(o: number, d: number, dp: number, from: number, to: number, now: number): number {
  const type = ld8(dp + D_FTYPE);
  const flen = ld32(dp + D_FLEN);
  let fpos = ld32(dp + D_FPOS);
  const n = umin(flen - fpos, to - from);
  const stop = from + n;
  let i = from;
  const input: number = H.H2_IN;
  if (type == H.FT_HEADERS || type == H.FT_CONTINUATION) {
    while (i < stop) {
      const pre = ld32(dp + D_PRE);
      if (fpos < pre) {
        if (fpos == 0 && (ld8(dp + D_FFLAGS) & H.FL_PADDED) != 0) st32(dp + D_PAD, ld8(input + i));
        fpos++;
        i++;
        if (fpos == pre && pre + ld32(dp + D_PAD) > flen) { fail(o, H.H2_FAIL_FRAME); return to; }
        continue;
      }
      const fragEnd = flen - ld32(dp + D_PAD);
      if (fpos < fragEnd) {
        const k = umin(fragEnd - fpos, stop - i);
        const bl = ld32(dp + D_BLK_LEN);
        if (bl + k > H.H2_BLOCK_CAP) { fail(o, H.H2_FAIL_BLOCK_SIZE); return to; }
        copy(dp + D_BLK + bl, input + i, k);
        st32(dp + D_BLK_LEN, bl + k);
        fpos += k;
        i += k;
      } else {
        fpos += stop - i;
        i = stop;
      }
    }
  } else if (type == H.FT_SETTINGS && (ld8(dp + D_FFLAGS) & H.FL_ACK) == 0) {
    for (; i < stop; i++) {
      st8(dp + D_HDR + fpos % 6, ld8(input + i));
      fpos++;
      if (fpos % 6 == 0 && !setting(o, d, dp)) return to;
    }
  } else if (type == H.FT_GOAWAY) {
    for (; i < stop; i++) {
      if (fpos < 4) st32(dp + D_ACC, ld32(dp + D_ACC) * 256 + ld8(input + i));
      fpos++;
    }
  } else {
    fpos += n;
    i = stop;
  }
  addBytes(o, d, ld8(dp + D_SIDX), ld32(dp + D_SID), n);
  st32(dp + D_FPOS, fpos);
  if (fpos == flen) frameEnd(o, d, dp, now);
  return i;
}

/** One setting (6 bytes in D_HDR) sent by direction `d`: it bounds what the other direction sends. */
function setting(o: number, d: number, dp: number): boolean {
  const hp = dp + D_HDR;
  const id = ld8(hp) * 256 + ld8(hp + 1);
  const v = ((ld8(hp + 2) * 256 + ld8(hp + 3)) * 256 + ld8(hp + 4)) * 256 + ld8(hp + 5);
  const other = dirPtr(o, 1 - d);
  if (id == 1) {
    // SETTINGS_HEADER_TABLE_SIZE: the largest size update the other side's encoder may send.
    st32(other + D_TBL_LIMIT, v);
  } else if (id == 5) {
    // SETTINGS_MAX_FRAME_SIZE: kept at the largest announced, as frames in flight may predate a smaller one.
    if (v < 16384 || v > 16777215) { fail(o, H.H2_FAIL_FRAME); return false; }
    if (v > ld32(other + D_MAXFRAME)) st32(other + D_MAXFRAME, v);
  }
  return true;
}

/** Index + 1 of the current frame's stream if it is still followed, else 0. */
function frameStream(o: number, dp: number): number {
  const si = ld8(dp + D_SIDX);
  return si != 0 && ld32(streamPtr(o, si - 1) + S_ID) == ld32(dp + D_SID) ? si : 0;
}

function frameEnd(o: number, d: number, dp: number, now: number): void {
  st8(dp + D_STATE, DS_HEADER);
  if (ld8(obsPtr(o) + O_MODE) != H.H2_PARSING) return;
  const type = ld8(dp + D_FTYPE);
  const flags = ld8(dp + D_FFLAGS);
  if (type == H.FT_HEADERS || type == H.FT_CONTINUATION) {
    if ((flags & H.FL_END_HEADERS) == 0) return;
    st8(dp + D_IN_BLOCK, 0);
    // Every block is decoded, even of a stream not followed: the dynamic table must stay in step.
    if (!decodeBlock(dp)) { fail(o, hpackError()); return; }
    const si = findStream(o, ld32(dp + D_BLK_SID));
    if (si == 0) return;
    apply(d, dp, streamPtr(o, si - 1));
    if (ld8(dp + D_BLK_END) != 0) endStream(o, d, si - 1, now);
  } else if (type == H.FT_DATA) {
    const si = frameStream(o, dp);
    if (si != 0 && (flags & H.FL_END_STREAM) != 0) endStream(o, d, si - 1, now);
  } else if (type == H.FT_RST_STREAM) {
    const si = frameStream(o, dp);
    if (si != 0) emit(o, si - 1, true, now);
  } else if (type == H.FT_GOAWAY && d == H.H2_RES) {
    // The server will not process streams above its last stream id: they end here.
    emitAbove(o, ld32(dp + D_ACC) & 0x7fffffff, now);
  }
}

/** A decoded block of direction `d` belongs to the stream at `sp`: the request's method and path, the final status, grpc-status. */
function apply(d: number, dp: number, sp: number): void {
  const rf = ld8(dp + D_R_FLAGS);
  const sf = ld8(sp + S_FLAGS);
  if (d == H.H2_REQ) {
    if ((sf & SF_HAS_REQ) != 0) return; // trailers
    st8(sp + S_METHOD, ld8(dp + D_R_METHOD));
    st8(sp + S_SEG_LEN, ld8(dp + D_R_SEG_LEN));
    copy(sp + S_SEG, dp + D_R_SEG, ld8(dp + D_R_SEG_LEN));
    st8(sp + S_FLAGS, sf | SF_HAS_REQ);
    return;
  }
  // 1xx heads are informational: the final status comes in a later block.
  if ((rf & R_STATUS) != 0 && (sf & SF_HAS_STATUS) == 0 && ld16(dp + D_R_STATUS) >= 200) {
    st16(sp + S_STATUS, ld16(dp + D_R_STATUS));
    st8(sp + S_FLAGS, sf | SF_HAS_STATUS);
  }
  if ((rf & R_GRPC) != 0) st16(sp + S_GRPC, ld16(dp + D_R_GRPC));
}

/** END_STREAM of direction `d` on the stream at index `i`: the response's end completes the observation. */
function endStream(o: number, d: number, i: number, now: number): void {
  const sp = streamPtr(o, i);
  if (d == H.H2_REQ) st8(sp + S_FLAGS, ld8(sp + S_FLAGS) | SF_REQ_ENDED);
  else emit(o, i, false, now);
}
