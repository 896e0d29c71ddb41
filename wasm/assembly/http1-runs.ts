// The HTTP/1.1 observer's fast runs (issue 13): most bytes of a head (method, request target, version,
// status, reason phrase, header names and values, and the delimiters between them) read in tight
// loops instead of a step() per byte. A run changes the parser state exactly as stepping its bytes one
// at a time would, and stops before any byte that stepping would refuse, that may end the head (its
// empty line), or whose handling could refuse (a content-length's line end): that byte goes to step().
// The caller counts the run's bytes and keeps the run inside the head's size bound (http1.ts h1Feed).
import * as H from './http1-consts';
import { D_AUX, D_FLAGS, D_HDR, D_NAME, D_NAME_LEN, D_REMAIN, D_STATE, D_STATUS, D_SUB, D_TOK, D_TOK_LEN, F_HTTP10, HD_CL, HD_CONN, HD_TE, MAX_SAFE, NAME_MAX, O_NPEND, O_PHEAD, P_SEG, P_SEG_LEN, S_HEAD_LF, S_HLF, S_HNAME, S_HSTART, S_HVALUE, S_LINE_LF, S_METHOD, S_REASON, S_RVERSION, S_STATUS, S_TARGET, S_VERSION, TOK_MAX, entryPtr, isDigit, isToken, lower, obsPtr } from './http1-state';
import { headerEnd, lineEnd, methodCode, startValue, tokenEnd } from './http1-head';

/** "HTTP/1." as the low 7 bytes of a little-endian u64. */
const HTTP1_U64: u64 = 0x2e312f50545448;

@inline function inByte(i: u32): u32 { return <u32>load<u8>(<usize>H.H1_IN + i); }

/** Bytes of a head that stepping only counts: HT, SP, VCHAR and obs-text (not CR, LF or other controls). */
@inline function isText(c: u32): bool { return c < 32 ? c == 9 : c != 127; }

/** Runs over bytes [from, to) of H1_IN from the state of the direction at `dp`, state after state; returns
 *  where it stopped (from: nothing run). */
export function headRun(o: u32, dp: usize, from: u32, to: u32): u32 {
  let j = from;
  while (j < to) {
    const k = stateRun(o, dp, load<u8>(dp + D_STATE), j, to);
    if (k == j) break;
    j = k;
  }
  return j;
}

/** One state's bytes, and the byte that leaves it when that transition is run too. */
function stateRun(o: u32, dp: usize, st: u8, from: u32, to: u32): u32 {
  switch (st) {
    case S_METHOD: return methodRun(dp, from, to);
    case S_TARGET: return targetRun(o, dp, from, to);
    case S_VERSION: case S_RVERSION: return versionRun(dp, st, from, to);
    case S_STATUS: return statusRun(dp, from, to);
    case S_REASON: return lineEndRun(dp, textRun(from, to), to);
    case S_LINE_LF: return from < to && inByte(from) == 10 && lineEnd(dp, 10) ? from + 1 : from;
    case S_HSTART: case S_HNAME: return nameRun(dp, st, from, to);
    case S_HVALUE: return valueRun(dp, from, to);
    case S_HLF: return headerLfRun(dp, from, to);
    default: return from;
  }
}

/** CR or LF ending a start line (lineEnd changes nothing when the byte is neither). */
@inline function lineEndRun(dp: usize, j: u32, to: u32): u32 { return j < to && lineEnd(dp, inByte(j)) ? j + 1 : j; }

/** Token bytes of the method, kept (up to TOK_MAX) for methodCode(), and the space after them. */
function methodRun(dp: usize, from: u32, to: u32): u32 {
  let n = <u32>load<u8>(dp + D_TOK_LEN);
  let j = from;
  for (; j < to; j++) {
    const c = inByte(j);
    if (!isToken(c)) break;
    if (n < TOK_MAX) store<u8>(dp + D_TOK + n, <u8>c);
    if (n < 255) n++;
  }
  store<u8>(dp + D_TOK_LEN, <u8>n);
  if (j == to || inByte(j) != 32 || n == 0) return j; // an empty method is stepped, and refused
  store<u8>(dp + D_AUX, <u8>methodCode(dp));
  store<u8>(dp + D_SUB, 0);
  store<u8>(dp + D_STATE, S_TARGET);
  return j + 1;
}

/** The request target as targetByte() reads it (its first byte decides the form: the absolute form's
 *  authority slashes are counted, then the first path segment kept), and the space after it. */
function targetRun(o: u32, dp: usize, from: u32, to: u32): u32 {
  const op = obsPtr(o);
  const ep = entryPtr(o, (<u32>load<u8>(op + O_PHEAD) + <u32>load<u8>(op + O_NPEND)) % <u32>H.H1_PEND_CAP);
  const connect = <u32>load<u8>(dp + D_AUX) == <u32>H.H1_M_CONNECT;
  let mode = <u32>load<u8>(dp + D_SUB);
  let slashes = <u32>load<u8>(dp + D_TOK_LEN);
  let n = <u32>load<u8>(ep + P_SEG_LEN);
  let j = from;
  for (; j < to; j++) {
    const c = inByte(j);
    if (c <= 32 || c == 127) break;
    if (mode == 0) {
      if (connect) mode = 3;
      else if (c == 47) mode = 2;
      else if (c == 42) { store<u8>(ep + P_SEG, 42); n = 1; mode = 3; }
      else { mode = 1; slashes = 0; }
    } else if (mode == 1) {
      if (c == 47 && ++slashes == 3) mode = 2; // scheme://authority/: the segment starts after the third slash
    } else if (mode == 2) {
      if (c == 47 || c == 63 || c == 35) mode = 3;
      else if (n < <u32>H.H1_SEG_MAX) { store<u8>(ep + P_SEG + n, <u8>c); n++; }
    }
  }
  store<u8>(dp + D_TOK_LEN, <u8>slashes);
  store<u8>(ep + P_SEG_LEN, <u8>n);
  if (j < to && inByte(j) == 32) { store<u8>(dp + D_SUB, 0); store<u8>(dp + D_STATE, S_VERSION); return j + 1; }
  store<u8>(dp + D_SUB, <u8>mode);
  return j;
}

/** "HTTP/1.x" whole (8 bytes in this feed), then the line end of a request line or the space of a status line. */
function versionRun(dp: usize, st: u8, from: u32, to: u32): u32 {
  let j = from;
  if (load<u8>(dp + D_SUB) == 0 && to - j >= 8 && (load<u64>(<usize>H.H1_IN + j) & 0xffffffffffffff) == HTTP1_U64 && isDigit(inByte(j + 7))) {
    if (inByte(j + 7) == 48) store<u16>(dp + D_FLAGS, load<u16>(dp + D_FLAGS) | F_HTTP10);
    store<u8>(dp + D_SUB, 8);
    j += 8;
  }
  if (load<u8>(dp + D_SUB) != 8) return j; // a version split across feeds is stepped
  if (st == S_VERSION) return lineEndRun(dp, j, to);
  if (j < to && inByte(j) == 32) { store<u8>(dp + D_STATE, S_STATUS); return j + 1; }
  return j;
}

/** The three status digits whole (a status of at least 100), then the space or line end after them. */
function statusRun(dp: usize, from: u32, to: u32): u32 {
  let j = from;
  if (load<u8>(dp + D_AUX) == 0 && to - j >= 3) {
    const a = inByte(j), b = inByte(j + 1), c = inByte(j + 2);
    if (!isDigit(a) || !isDigit(b) || !isDigit(c) || a == 48) return j; // stepped: refused where stepping refuses
    store<u16>(dp + D_STATUS, <u16>((a - 48) * 100 + (b - 48) * 10 + c - 48));
    store<u8>(dp + D_AUX, 3);
    j += 3;
  }
  if (load<u8>(dp + D_AUX) != 3) return j;
  if (j < to && inByte(j) == 32) { store<u8>(dp + D_STATE, S_REASON); return j + 1; }
  return lineEndRun(dp, j, to);
}

/** Text bytes that stepping only counts: a reason phrase, the value of a header that does not matter. */
export function textRun(from: u32, to: u32): u32 {
  let j = from;
  // Eight bytes at a time: a word's lowest byte below 32 or DEL is found exactly (the borrows of these
  // tests only mark bytes above a true one); a tab there is text, and the scan goes on past it.
  while (j + 8 <= to) {
    const x = load<u64>(<usize>H.H1_IN + j);
    const del = x ^ 0x7f7f7f7f7f7f7f7f;
    const m = (((x - 0x2020202020202020) & ~x) | ((del - 0x0101010101010101) & ~del)) & 0x8080808080808080;
    if (m == 0) { j += 8; continue; }
    j += <u32>(ctz(m) >> 3);
    if (inByte(j) != 9) return j;
    j++;
  }
  while (j < to && isText(inByte(j))) j++;
  return j;
}

/** A header name, lowered into D_NAME (up to NAME_MAX) for startValue(), and its colon; or the CR of the
 *  empty line (the LF that ends the head is stepped). */
function nameRun(dp: usize, st: u8, from: u32, to: u32): u32 {
  let j = from;
  if (st == S_HSTART) {
    const c = inByte(j);
    if (c == 13) { store<u8>(dp + D_STATE, S_HEAD_LF); return j + 1; }
    if (!isToken(c)) return j;
    store<u8>(dp + D_NAME_LEN, 0);
    store<u8>(dp + D_STATE, S_HNAME);
  }
  let n = <u32>load<u8>(dp + D_NAME_LEN);
  for (; j < to; j++) {
    const c = inByte(j);
    if (!isToken(c)) break;
    if (n < NAME_MAX) store<u8>(dp + D_NAME + n, <u8>lower(c));
    if (n < 255) n++;
  }
  store<u8>(dp + D_NAME_LEN, <u8>n);
  if (j == to || inByte(j) != 58) return j;
  startValue(dp);
  return j + 1;
}

/** A header value as valueByte() reads it (only counted, a content-length's digits, or the tokens of a
 *  Transfer-Encoding or Connection list), and its line end. */
function valueRun(dp: usize, from: u32, to: u32): u32 {
  const h = load<u8>(dp + D_HDR);
  const j = h == HD_CL ? lengthRun(dp, from, to) : h == HD_TE || h == HD_CONN ? listRun(dp, h, from, to) : textRun(from, to);
  if (j == to) return j;
  const c = inByte(j);
  if (c == 13) { store<u8>(dp + D_STATE, S_HLF); return j + 1; }
  return c == 10 ? headerLfRun(dp, j, to) : j;
}

/** The LF ending a header line; a content-length's (headerEnd may refuse it) is stepped. */
function headerLfRun(dp: usize, j: u32, to: u32): u32 {
  if (j == to || inByte(j) != 10 || load<u8>(dp + D_HDR) == HD_CL) return j;
  headerEnd(dp);
  return j + 1;
}

/** A Transfer-Encoding or Connection value: lowered tokens, each ended by a comma or blank. */
function listRun(dp: usize, h: u8, from: u32, to: u32): u32 {
  let j = from;
  for (; j < to; j++) {
    const c = inByte(j);
    if (!isText(c)) break;
    if (c == 44 || c == 32 || c == 9) tokenEnd(dp, h);
    else {
      const n = <u32>load<u8>(dp + D_TOK_LEN);
      if (n < TOK_MAX) store<u8>(dp + D_TOK + n, <u8>lower(c));
      if (n < 255) store<u8>(dp + D_TOK_LEN, <u8>(n + 1));
    }
  }
  return j;
}

/** A content-length's digits and the blanks around them; a second number, or one past MAX_SAFE, is stepped (and refused). */
function lengthRun(dp: usize, from: u32, to: u32): u32 {
  let sub = <u32>load<u8>(dp + D_SUB);
  let v = load<f64>(dp + D_REMAIN);
  let j = from;
  for (; j < to; j++) {
    const c = inByte(j);
    if (isDigit(c)) {
      if (sub == 2) break;
      const w = v * 10 + <f64>(c - 48);
      if (w > MAX_SAFE) break;
      v = w;
      sub = 1;
    } else if (c == 32 || c == 9) {
      if (sub == 1) sub = 2;
    } else break;
  }
  store<u8>(dp + D_SUB, <u8>sub);
  store<f64>(dp + D_REMAIN, v);
  return j;
}
