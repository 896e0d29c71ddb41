// The HTTP/1.1 observer's byte machine (issue 13): one byte of a start line, a header line, a
// chunk-size line, the CRLF after chunk data or trailers at a time; false means malformed, and the
// caller (http1.ts step) makes the observer fall back. Most head bytes never get here: http1-runs.ts
// reads them in runs, calling the transitions exported here (lineEnd, methodCode, startValue,
// headerEnd, tokenEnd) so that both ways change the state alike.
import * as H from './http1-consts';
import { D_AUX, D_BYTES, D_CL, D_EFLAGS, D_ENTRY, D_FLAGS, D_HDR, D_HEAD, D_NAME, D_NAME_LEN, D_REMAIN, D_STATE, D_STATUS, D_SUB, D_TOK, D_TOK_LEN, E_CLOSE, E_CONNECT, E_HEAD, E_UPGRADE, F_CHUNKED_LAST, F_CL, F_CLOSE, F_CONN_UPGRADE, F_HTTP10, F_KEEPALIVE, F_TE, F_UPGRADE, HD_CL, HD_CONN, HD_OTHER, HD_TE, HD_UPGRADE, MAX_SAFE, NAME_MAX, O_MODE, O_NPEND, O_PHEAD, P_FLAGS, P_METHOD, P_REQ, P_SEG, P_SEG_LEN, S_BODY, S_CDATA, S_CDATA_CR, S_CDATA_LF, S_CEXT, S_CSIZE, S_CSIZE_LF, S_DONE, S_HEAD_LF, S_HLF, S_HNAME, S_HSTART, S_HVALUE, S_IDLE, S_LINE_LF, S_METHOD, S_REASON, S_RVERSION, S_STATUS, S_TARGET, S_TLINE, S_TRAILER, S_TRAILER_LF, S_UNTIL_CLOSE, S_VERSION, S_WAIT, TOK_MAX, WORDS, dirPtr, entryPtr, isDigit, isToken, isWord, lower, obsPtr } from './http1-state';
import { emitFront, messageEnd } from './http1-emit';

/** A byte of a start line or a header line; false when malformed. */
export function headByte(o: u32, d: u32, dp: usize, st: u8, c: u32, now: f64): bool {
  const sub = <u32>load<u8>(dp + D_SUB);
  switch (st) {
    case S_METHOD: {
      if (c == 32) { store<u8>(dp + D_AUX, <u8>methodCode(dp)); store<u8>(dp + D_SUB, 0); store<u8>(dp + D_STATE, S_TARGET); return load<u8>(dp + D_TOK_LEN) != 0; }
      if (!isToken(c)) return false;
      appendTok(dp, c);
      return true;
    }
    case S_TARGET: {
      if (c == 32) { store<u8>(dp + D_SUB, 0); store<u8>(dp + D_STATE, S_VERSION); return true; }
      if (c < 33 || c == 127) return false;
      targetByte(o, dp, c);
      return true;
    }
    case S_VERSION: case S_RVERSION: {
      if (sub < 7) { if (c != <u32>load<u8>(WORDS + (H.W_HTTP1 >> 8) + sub)) return false; }
      else if (sub == 7) { if (!isDigit(c)) return false; if (c == 48) setFlag(dp, F_HTTP10); }
      else if (st == S_RVERSION) { if (c != 32) return false; store<u8>(dp + D_STATE, S_STATUS); return true; }
      else return lineEnd(dp, c);
      store<u8>(dp + D_SUB, <u8>(sub + 1));
      return true;
    }
    case S_STATUS: {
      const n = <u32>load<u8>(dp + D_AUX);
      if (n < 3) {
        if (!isDigit(c)) return false;
        const v = <u32>load<u16>(dp + D_STATUS) * 10 + c - 48;
        store<u16>(dp + D_STATUS, <u16>v);
        store<u8>(dp + D_AUX, <u8>(n + 1));
        return n < 2 || v >= 100;
      }
      if (c == 32) { store<u8>(dp + D_STATE, S_REASON); return true; }
      return lineEnd(dp, c);
    }
    case S_REASON: {
      if (c == 13 || c == 10) return lineEnd(dp, c);
      return c == 9 || (c >= 32 && c != 127);
    }
    case S_LINE_LF: {
      if (c != 10) return false;
      store<u8>(dp + D_STATE, S_HSTART);
      return true;
    }
    case S_HSTART: {
      if (c == 13) { store<u8>(dp + D_STATE, S_HEAD_LF); return true; }
      if (c == 10) return headEnd(o, d, dp, now);
      if (!isToken(c)) return false;
      store<u8>(dp + D_NAME_LEN, 0);
      nameByte(dp, c);
      store<u8>(dp + D_STATE, S_HNAME);
      return true;
    }
    case S_HNAME: {
      if (c == 58) { startValue(dp); return true; }
      if (!isToken(c)) return false;
      nameByte(dp, c);
      return true;
    }
    case S_HVALUE: {
      if (c == 13) { store<u8>(dp + D_STATE, S_HLF); return true; }
      if (c == 10) return headerEnd(dp);
      if (c != 9 && (c < 32 || c == 127)) return false;
      return valueByte(dp, c);
    }
    case S_HLF: return c == 10 && headerEnd(dp);
    case S_HEAD_LF: return c == 10 && headEnd(o, d, dp, now);
    default: return false;
  }
}

/** A byte of a chunk-size line, the CRLF after chunk data, or trailers; false when malformed. */
export function chunkByte(o: u32, d: u32, dp: usize, st: u8, c: u32, now: f64): bool {
  switch (st) {
    case S_CSIZE: {
      const v = hexValue(c);
      const digits = <u32>load<u8>(dp + D_SUB);
      if (v >= 0) {
        if (digits >= 13) return false;
        store<u8>(dp + D_SUB, <u8>(digits + 1));
        store<f64>(dp + D_REMAIN, load<f64>(dp + D_REMAIN) * 16 + <f64>v);
        return true;
      }
      if (digits == 0) return false;
      if (c == 59 || c == 32 || c == 9) { store<u8>(dp + D_STATE, S_CEXT); return true; }
      if (c == 13) { store<u8>(dp + D_STATE, S_CSIZE_LF); return true; }
      return c == 10 && chunkSizeEnd(o, d, dp, now);
    }
    case S_CEXT: {
      if (c == 13) { store<u8>(dp + D_STATE, S_CSIZE_LF); return true; }
      if (c == 10) return chunkSizeEnd(o, d, dp, now);
      return c == 9 || (c >= 32 && c != 127);
    }
    case S_CSIZE_LF: return c == 10 && chunkSizeEnd(o, d, dp, now);
    case S_CDATA_CR: {
      if (c == 13) { store<u8>(dp + D_STATE, S_CDATA_LF); return true; }
      if (c != 10) return false;
      startChunkLine(dp);
      return true;
    }
    case S_CDATA_LF: {
      if (c != 10) return false;
      startChunkLine(dp);
      return true;
    }
    case S_TRAILER: {
      if (c == 13) { store<u8>(dp + D_STATE, S_TRAILER_LF); return true; }
      if (c == 10) { messageEnd(o, d, now); return true; }
      store<u8>(dp + D_STATE, S_TLINE);
      return c != 0;
    }
    case S_TLINE: {
      if (c == 10) store<u8>(dp + D_STATE, S_TRAILER);
      return c != 0;
    }
    case S_TRAILER_LF: {
      if (c != 10) return false;
      messageEnd(o, d, now);
      return true;
    }
    default: return false;
  }
}

@inline function setFlag(dp: usize, f: u16): void { store<u16>(dp + D_FLAGS, load<u16>(dp + D_FLAGS) | f); }
@inline function hasFlag(dp: usize, f: u16): bool { return (load<u16>(dp + D_FLAGS) & f) != 0; }

function hexValue(c: u32): i32 {
  if (isDigit(c)) return <i32>c - 48;
  const l = lower(c);
  return l >= 97 && l <= 102 ? <i32>l - 87 : -1;
}

/** CR or LF ending a start line. */
export function lineEnd(dp: usize, c: u32): bool {
  if (c == 13) { store<u8>(dp + D_STATE, S_LINE_LF); return true; }
  if (c != 10) return false;
  store<u8>(dp + D_STATE, S_HSTART);
  return true;
}

function appendTok(dp: usize, c: u32): void {
  const n = <u32>load<u8>(dp + D_TOK_LEN);
  if (n < TOK_MAX) store<u8>(dp + D_TOK + n, <u8>c);
  if (n < 255) store<u8>(dp + D_TOK_LEN, <u8>(n + 1));
}

function nameByte(dp: usize, c: u32): void {
  const n = <u32>load<u8>(dp + D_NAME_LEN);
  if (n < NAME_MAX) store<u8>(dp + D_NAME + n, <u8>lower(c));
  if (n < 255) store<u8>(dp + D_NAME_LEN, <u8>(n + 1));
}

/** The H1_M_* code of the method token kept in D_TOK. */
export function methodCode(dp: usize): u32 { return methodAt(dp + D_TOK, <u32>load<u8>(dp + D_TOK_LEN)); }

/** The H1_M_* code of the `n`-byte method token at `p` (the kept token, or the fast path's input). */
export function methodAt(p: usize, n: u32): u32 {
  if (isWord(p, n, H.W_GET)) return H.H1_M_GET;
  if (isWord(p, n, H.W_HEAD)) return H.H1_M_HEAD;
  if (isWord(p, n, H.W_POST)) return H.H1_M_POST;
  if (isWord(p, n, H.W_PUT)) return H.H1_M_PUT;
  if (isWord(p, n, H.W_DELETE)) return H.H1_M_DELETE;
  if (isWord(p, n, H.W_CONNECT)) return H.H1_M_CONNECT;
  if (isWord(p, n, H.W_OPTIONS)) return H.H1_M_OPTIONS;
  if (isWord(p, n, H.W_TRACE)) return H.H1_M_TRACE;
  if (isWord(p, n, H.W_PATCH)) return H.H1_M_PATCH;
  return H.H1_M_OTHER;
}

/** The request target: keeps its first path segment (origin form, or after the authority of the absolute form). */
function targetByte(o: u32, dp: usize, c: u32): void {
  const mode = <u32>load<u8>(dp + D_SUB);
  const op = obsPtr(o);
  const ep = entryPtr(o, (<u32>load<u8>(op + O_PHEAD) + <u32>load<u8>(op + O_NPEND)) % <u32>H.H1_PEND_CAP);
  if (mode == 0) {
    if (<u32>load<u8>(dp + D_AUX) == <u32>H.H1_M_CONNECT) { store<u8>(dp + D_SUB, 3); return; }
    if (c == 47) { store<u8>(dp + D_SUB, 2); return; }
    if (c == 42) { store<u8>(ep + P_SEG, 42); store<u8>(ep + P_SEG_LEN, 1); store<u8>(dp + D_SUB, 3); return; }
    store<u8>(dp + D_SUB, 1);
    store<u8>(dp + D_TOK_LEN, 0);
    return;
  }
  if (mode == 1) {
    // scheme://authority/...: the segment starts after the third slash.
    if (c != 47) return;
    const slashes = <u32>load<u8>(dp + D_TOK_LEN) + 1;
    store<u8>(dp + D_TOK_LEN, <u8>slashes);
    if (slashes == 3) store<u8>(dp + D_SUB, 2);
    return;
  }
  if (mode != 2) return;
  if (c == 47 || c == 63 || c == 35) { store<u8>(dp + D_SUB, 3); return; }
  const n = <u32>load<u8>(ep + P_SEG_LEN);
  if (n < <u32>H.H1_SEG_MAX) { store<u8>(ep + P_SEG + n, <u8>c); store<u8>(ep + P_SEG_LEN, <u8>(n + 1)); }
}

/** After a header name's colon: which header it is decides how its value is read. */
export function startValue(dp: usize): void {
  const n = <u32>load<u8>(dp + D_NAME_LEN);
  const p = dp + D_NAME;
  const h = isWord(p, n, H.W_CONTENT_LENGTH) ? HD_CL : isWord(p, n, H.W_TRANSFER_ENCODING) ? HD_TE
    : isWord(p, n, H.W_CONNECTION) ? HD_CONN : isWord(p, n, H.W_UPGRADE) ? HD_UPGRADE : HD_OTHER;
  store<u8>(dp + D_HDR, h);
  store<u8>(dp + D_SUB, 0);
  store<u8>(dp + D_TOK_LEN, 0);
  store<f64>(dp + D_REMAIN, 0);
  store<u8>(dp + D_STATE, S_HVALUE);
}

function valueByte(dp: usize, c: u32): bool {
  const h = load<u8>(dp + D_HDR);
  if (h == HD_CL) {
    const sub = load<u8>(dp + D_SUB);
    if (isDigit(c)) {
      if (sub == 2) return false;
      store<u8>(dp + D_SUB, 1);
      const v = load<f64>(dp + D_REMAIN) * 10 + <f64>(c - 48);
      store<f64>(dp + D_REMAIN, v);
      return v <= MAX_SAFE;
    }
    if (c != 32 && c != 9) return false;
    if (sub == 1) store<u8>(dp + D_SUB, 2);
    return true;
  }
  if (h == HD_TE || h == HD_CONN) {
    if (c == 44 || c == 32 || c == 9) tokenEnd(dp, h);
    else appendTok(dp, lower(c));
  }
  return true;
}

/** End of one token of a Transfer-Encoding or Connection list. */
export function tokenEnd(dp: usize, h: u8): void {
  const n = <u32>load<u8>(dp + D_TOK_LEN);
  if (n == 0) return;
  const p = dp + D_TOK;
  if (h == HD_TE) {
    const f = load<u16>(dp + D_FLAGS);
    store<u16>(dp + D_FLAGS, isWord(p, n, H.W_CHUNKED) ? f | F_CHUNKED_LAST : f & ~F_CHUNKED_LAST);
  } else if (isWord(p, n, H.W_CLOSE)) setFlag(dp, F_CLOSE);
  else if (isWord(p, n, H.W_KEEP_ALIVE)) setFlag(dp, F_KEEPALIVE);
  else if (isWord(p, n, H.W_UPGRADE)) setFlag(dp, F_CONN_UPGRADE);
  store<u8>(dp + D_TOK_LEN, 0);
}

/** End of a header line. */
export function headerEnd(dp: usize): bool {
  const h = load<u8>(dp + D_HDR);
  store<u8>(dp + D_STATE, S_HSTART);
  if (h == HD_CL) {
    if (load<u8>(dp + D_SUB) == 0) return false;
    const v = load<f64>(dp + D_REMAIN);
    if (hasFlag(dp, F_CL) && load<f64>(dp + D_CL) != v) return false;
    setFlag(dp, F_CL);
    store<f64>(dp + D_CL, v);
  } else if (h == HD_TE) { tokenEnd(dp, h); setFlag(dp, F_TE); }
  else if (h == HD_CONN) tokenEnd(dp, h);
  else if (h == HD_UPGRADE) setFlag(dp, F_UPGRADE);
  return true;
}

function startChunkLine(dp: usize): void {
  store<u8>(dp + D_STATE, S_CSIZE);
  store<u8>(dp + D_SUB, 0);
  store<f64>(dp + D_REMAIN, 0);
  store<u32>(dp + D_HEAD, 0);
}

function chunkSizeEnd(o: u32, d: u32, dp: usize, now: f64): bool {
  store<u32>(dp + D_HEAD, 0);
  store<u8>(dp + D_STATE, load<f64>(dp + D_REMAIN) > 0 ? S_CDATA : S_TRAILER);
  return true;
}

/** Reads a body of `flags`' framing, or ends the message when there is none. */
function startBody(o: u32, d: u32, dp: usize, now: f64, bodiless: bool): void {
  if (bodiless) { messageEnd(o, d, now); return; }
  if (hasFlag(dp, F_TE)) {
    if (hasFlag(dp, F_CHUNKED_LAST)) startChunkLine(dp);
    else store<u8>(dp + D_STATE, S_UNTIL_CLOSE); // a response only: a request was refused before
    return;
  }
  if (hasFlag(dp, F_CL) && load<f64>(dp + D_CL) > 0) { store<f64>(dp + D_REMAIN, load<f64>(dp + D_CL)); store<u8>(dp + D_STATE, S_BODY); return; }
  if (d == <u32>H.H1_RES && !hasFlag(dp, F_CL)) { store<u8>(dp + D_STATE, S_UNTIL_CLOSE); return; }
  messageEnd(o, d, now);
}

/** The empty line ending a head (stepped, or after http1-fast.ts read the whole head); false when refused. */
export function headEnd(o: u32, d: u32, dp: usize, now: f64): bool {
  const op = obsPtr(o);
  const close = hasFlag(dp, F_CLOSE) || (hasFlag(dp, F_HTTP10) && !hasFlag(dp, F_KEEPALIVE));
  if (d == <u32>H.H1_REQ) {
    if (hasFlag(dp, F_TE) && !hasFlag(dp, F_CHUNKED_LAST)) return false;
    const n = <u32>load<u8>(op + O_NPEND);
    const idx = (<u32>load<u8>(op + O_PHEAD) + n) % <u32>H.H1_PEND_CAP;
    const ep = entryPtr(o, idx);
    const m = load<u8>(dp + D_AUX);
    let ef: u8 = close ? E_CLOSE : 0;
    if (m == <u8>H.H1_M_HEAD) ef |= E_HEAD;
    if (m == <u8>H.H1_M_CONNECT) ef |= E_CONNECT;
    if (hasFlag(dp, F_UPGRADE) && hasFlag(dp, F_CONN_UPGRADE)) ef |= E_UPGRADE;
    store<u8>(ep + P_METHOD, m);
    store<u8>(ep + P_FLAGS, ef);
    store<f64>(ep + P_REQ, load<f64>(dp + D_BYTES));
    store<u8>(op + O_NPEND, <u8>(n + 1));
    store<u8>(dp + D_ENTRY, <u8>(idx + 1));
    store<u8>(dp + D_EFLAGS, ef);
    startBody(o, d, dp, now, (ef & E_CONNECT) != 0);
    return true;
  }
  const ep = entryPtr(o, <u32>load<u8>(op + O_PHEAD));
  const ef = load<u8>(ep + P_FLAGS);
  const status = <u32>load<u16>(dp + D_STATUS);
  if (status < 200) {
    if (status != 101) { store<u8>(dp + D_STATE, S_IDLE); return true; } // interim: the final response follows
    if ((ef & E_UPGRADE) == 0) return false;
    emitFront(o, status, now);
    store<u8>(op + O_MODE, <u8>H.H1_RAW);
    return true;
  }
  if ((ef & E_CONNECT) != 0 && status < 300) {
    emitFront(o, status, now);
    store<u8>(op + O_MODE, <u8>H.H1_RAW);
    return true;
  }
  // An upgrade or CONNECT that was declined: the client may send its next request.
  const qp = dirPtr(o, H.H1_REQ);
  if ((ef & (E_CONNECT | E_UPGRADE)) != 0 && load<u8>(qp + D_STATE) == S_WAIT) store<u8>(qp + D_STATE, (ef & E_CLOSE) != 0 ? S_DONE : S_IDLE);
  store<u8>(dp + D_EFLAGS, close ? E_CLOSE : 0);
  startBody(o, d, dp, now, (ef & E_HEAD) != 0 || status == 204 || status == 304);
  return true;
}
