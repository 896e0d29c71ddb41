// The HTTP/1.1 observer's whole-head fast path (issue 13): when a feed holds a complete, plain head
// from its first byte (the direction idle), one straight pass over it with locals replaces stepping
// and runs. fastScan() only reads: it declines (returns 0) on anything the incremental path would
// refuse or read differently (a bare LF, obs-fold, a control byte, a bad content-length, a head not
// complete in this feed), so that path then runs from the same byte. When it accepts, http1.ts
// h1Feed starts the message, fastCommit() writes the state stepping would hold just before the
// head's last LF, and the same headEnd() as stepping's ends the head: every outcome of the empty line
// (bodies, chunked, 1xx, upgrade, CONNECT, close, HTTP/1.0, refusals) is decided by that one function.
// Left as they were: the dead scratch fields (D_SUB, D_HDR, D_NAME*, D_TOK*), that every reader sets first.
import * as H from './http1-consts';
import { D_AUX, D_CL, D_FLAGS, D_HEAD, D_REMAIN, D_STATE, D_STATUS, F_CHUNKED_LAST, F_CL, F_CLOSE, F_CONN_UPGRADE, F_HTTP10, F_KEEPALIVE, F_TE, F_UPGRADE, HD_CL, HD_CONN, HD_OTHER, HD_TE, HD_UPGRADE, MAX_SAFE, O_NPEND, O_PHEAD, P_SEG, P_SEG_LEN, S_HEAD_LF, WORDS, entryPtr, isDigit, isToken, obsPtr } from './http1-state';
import { textRun } from './http1-runs';
import { methodAt } from './http1-head';

/** "HTTP/1." as the low 7 bytes of a little-endian u64. */
const HTTP1_U64: u64 = 0x2e312f50545448;
/** "GET " as a little-endian u32: the method of most requests, before the general word chain. */
const GET_SP_U32: u32 = 0x20544547;
/** Bit 5 of each byte: OR-ed in, it lowers letters (and leaves '-' and the lowercase words as they are). */
const LOWER_U64: u64 = 0x2020202020202020;

// What the last accepting fastScan() read, for fastCommit(). Globals, not memory: the scan is pure.
let fFlags: u16 = 0;
let fCl: f64 = 0;
/** D_REMAIN as stepping leaves it after the last header line (the content-length accumulator). */
let fRemain: f64 = 0;
let fHeaders: bool = false;
/** Request: the method code; response: the status. */
let fCode: u32 = 0;
let fSegAt: u32 = 0;
let fSegLen: u32 = 0;

@inline function inByte(i: u32): u32 { return <u32>load<u8>(<usize>H.H1_IN + i); }
@inline function isText(c: u32): bool { return c < 32 ? c == 9 : c != 127; }
/** CR LF at j, both inside the feed (a bare LF is left to stepping). */
@inline function crlfAt(j: u32, to: u32): bool { return j + 1 < to && load<u16>(<usize>H.H1_IN + j) == 0x0a0d; }

/** Whether `len` input bytes at `at`, lowered, equal the lowercase word `w`. Words hold only lowercase
 *  letters and '-', so OR-ing 32 lowers exactly as lower() does, but for one byte: it maps CR onto '-'.
 *  Callers pass bytes already scanned (tchars, list tokens: no CR) or check the '-' themselves. */
function isLowerWord(at: u32, len: u32, w: u32): bool {
  if (len != (w & 255)) return false;
  const p = <usize>H.H1_IN + at;
  const q = WORDS + <usize>(w >> 8);
  // Eight bytes at a time (loads past either end stay in memory and are masked off, or overlap the word's start).
  if (len < 8) {
    const m: u64 = (<u64>1 << (<u64>len << 3)) - 1;
    return ((load<u64>(p) | LOWER_U64) & m) == (load<u64>(q) & m);
  }
  for (let i: u32 = 0; i + 8 <= len; i += 8) if ((load<u64>(p + i) | LOWER_U64) != load<u64>(q + i)) return false;
  return (load<u64>(p + len - 8) | LOWER_U64) == load<u64>(q + len - 8);
}

/** tokenEnd() of a Transfer-Encoding (te) or Connection list token of `len` input bytes at `at`, on `f`. */
function listToken(f: u16, te: bool, at: u32, len: u32): u16 {
  if (te) return isLowerWord(at, len, H.W_CHUNKED) ? f | F_CHUNKED_LAST : f & ~F_CHUNKED_LAST;
  if (isLowerWord(at, len, H.W_CLOSE)) return f | F_CLOSE;
  if (isLowerWord(at, len, H.W_KEEP_ALIVE)) return f | F_KEEPALIVE;
  if (isLowerWord(at, len, H.W_UPGRADE)) return f | F_CONN_UPGRADE;
  return f;
}

/** The rest of a request target, past its segment: the first byte below 33 or DEL at or after `from`. */
function targetRest(from: u32, to: u32): u32 {
  let j = from;
  // Eight bytes at a time, as textRun (http1-runs.ts) does: the lowest marked byte of a word is exact.
  while (j + 8 <= to) {
    const x = load<u64>(<usize>H.H1_IN + j);
    const del = x ^ 0x7f7f7f7f7f7f7f7f;
    const m = (((x - 0x2121212121212121) & ~x) | ((del - 0x0101010101010101) & ~del)) & 0x8080808080808080;
    if (m != 0) return j + <u32>(ctz(m) >> 3);
    j += 8;
  }
  while (j < to) { const c = inByte(j); if (c <= 32 || c == 127) break; j++; }
  return j;
}

/** The head of direction `d` starting at input byte `from` when it ends (its empty line) before `to`
 *  and is plain: its length, its reading left for fastCommit(); or 0, having changed nothing. */
export function fastScan(d: u32, from: u32, to: u32): u32 {
  let j = from;
  let flags: u16 = 0;
  let code: u32 = 0;
  let segAt: u32 = 0, segLen: u32 = 0;
  if (j + 8 > to) return 0;
  if (d == <u32>H.H1_REQ) {
    // Method: tchars, then a space (an empty method is refused by stepping); most are GET.
    if (load<u32>(<usize>H.H1_IN + j) == GET_SP_U32) { code = H.H1_M_GET; j += 4; }
    else {
      while (j < to && isToken(inByte(j))) j++;
      const mlen = j - from;
      if (mlen == 0 || j >= to || inByte(j) != 32) return 0;
      code = methodAt(<usize>H.H1_IN + from, mlen);
      j++;
    }
    // Target, read as targetRun() does: its first byte decides the form; the first path segment is kept.
    const connect = code == <u32>H.H1_M_CONNECT;
    let mode: u32 = 0, slashes: u32 = 0;
    for (; j < to; j++) {
      const c = inByte(j);
      if (c <= 32 || c == 127) break;
      if (mode == 0) {
        if (connect) mode = 3;
        else if (c == 47) { mode = 2; segAt = j + 1; }
        else if (c == 42) { segAt = j; segLen = 1; mode = 3; }
        else mode = 1;
      } else if (mode == 1) {
        if (c == 47 && ++slashes == 3) { mode = 2; segAt = j + 1; }
      } else if (mode == 2) {
        if (c == 47 || c == 63 || c == 35) { mode = 3; j = targetRest(j + 1, to); break; }
        else if (segLen < <u32>H.H1_SEG_MAX) segLen++;
      }
    }
    if (j >= to || inByte(j) != 32) return 0;
    j++;
    if (j + 8 > to || (load<u64>(<usize>H.H1_IN + j) & 0xffffffffffffff) != HTTP1_U64 || !isDigit(inByte(j + 7))) return 0;
    if (inByte(j + 7) == 48) flags |= F_HTTP10;
    j += 8;
  } else {
    if ((load<u64>(<usize>H.H1_IN + j) & 0xffffffffffffff) != HTTP1_U64 || !isDigit(inByte(j + 7))) return 0;
    if (inByte(j + 7) == 48) flags |= F_HTTP10;
    j += 8;
    if (j + 4 > to || inByte(j) != 32) return 0;
    const a = inByte(j + 1), b = inByte(j + 2), c = inByte(j + 3);
    if (!isDigit(a) || !isDigit(b) || !isDigit(c) || a == 48) return 0;
    code = (a - 48) * 100 + (b - 48) * 10 + c - 48;
    j += 4;
    if (j < to && inByte(j) == 32) j = textRun(j + 1, to); // the reason phrase
  }
  if (!crlfAt(j, to)) return 0;
  j += 2;
  // Header lines, each CR LF ended, up to the empty line.
  let cl: f64 = 0, remain: f64 = 0;
  let headers = false;
  while (true) {
    if (!crlfAt(j, to)) {
      if (j >= to) return 0;
    } else { j += 2; break; }
    const n0 = j;
    while (j < to && isToken(inByte(j))) j++;
    const nlen = j - n0;
    if (nlen == 0 || j >= to || inByte(j) != 58) return 0; // obs-fold, a bare LF or a bad name: stepped
    j++;
    headers = true;
    remain = 0;
    // Only four names matter, each of its own length: most names are ruled out by their length alone.
    const h = nlen == 14 ? (isLowerWord(n0, nlen, H.W_CONTENT_LENGTH) ? HD_CL : HD_OTHER)
      : nlen == 17 ? (isLowerWord(n0, nlen, H.W_TRANSFER_ENCODING) ? HD_TE : HD_OTHER)
      : nlen == 10 ? (isLowerWord(n0, nlen, H.W_CONNECTION) ? HD_CONN : HD_OTHER)
      : nlen == 7 ? (isLowerWord(n0, nlen, H.W_UPGRADE) ? HD_UPGRADE : HD_OTHER) : HD_OTHER;
    if (h == HD_CL) {
      // valueByte()'s content-length: blanks, digits, blanks; anything it refuses is stepped (and refused).
      let sub: u32 = 0;
      let v: f64 = 0;
      for (; j < to; j++) {
        const c = inByte(j);
        if (isDigit(c)) {
          if (sub == 2) return 0;
          const w = v * 10 + <f64>(c - 48);
          if (w > MAX_SAFE) return 0;
          v = w;
          sub = 1;
        } else if (c == 32 || c == 9) { if (sub == 1) sub = 2; }
        else break;
      }
      if (sub == 0 || ((flags & F_CL) != 0 && cl != v)) return 0; // headerEnd() would refuse it
      flags |= F_CL;
      cl = v;
      remain = v;
    } else {
      const te = h == HD_TE;
      if (te || h == HD_CONN) {
        // A list: tokens ended by a comma or blank, and the last by the line end (headerEnd's tokenEnd).
        let tokAt: u32 = 0, tokLen: u32 = 0;
        if (!te) {
          // Most Connection values are one word: read whole, they end with the line as the list would.
          // Unscanned, so its '-' is checked itself: a CR there would read as '-' once lowered.
          let a = j;
          while (a < to && (inByte(a) == 32 || inByte(a) == 9)) a++;
          if (crlfAt(a + 10, to) && inByte(a + 4) == 45 && isLowerWord(a, 10, H.W_KEEP_ALIVE)) { flags |= F_KEEPALIVE; j = a + 10; }
          else if (crlfAt(a + 5, to) && isLowerWord(a, 5, H.W_CLOSE)) { flags |= F_CLOSE; j = a + 5; }
        }
        for (; j < to; j++) {
          const c = inByte(j);
          if (!isText(c)) break;
          if (c == 44 || c == 32 || c == 9) {
            if (tokLen != 0) flags = listToken(flags, te, tokAt, tokLen);
            tokLen = 0;
          } else {
            if (tokLen == 0) tokAt = j;
            tokLen++;
          }
        }
        if (tokLen != 0) flags = listToken(flags, te, tokAt, tokLen);
        if (te) flags |= F_TE;
      } else {
        if (h == HD_UPGRADE) flags |= F_UPGRADE;
        j = textRun(j, to);
      }
    }
    if (!crlfAt(j, to)) return 0;
    j += 2;
  }
  const len = j - from;
  if (len > <u32>H.H1_MAX_HEAD) return 0; // stepped, and refused at the bound
  fFlags = flags;
  fCl = cl;
  fRemain = remain;
  fHeaders = headers;
  fCode = code;
  fSegAt = segAt;
  fSegLen = segLen;
  return len;
}

/** Writes what the last accepting fastScan() read of a head of `len` bytes into the message that
 *  messageStart() just began on direction `d` (at `dp`): the state stepping holds before the last LF. */
export function fastCommit(o: u32, d: u32, dp: usize, len: u32): void {
  store<u8>(dp + D_STATE, S_HEAD_LF);
  store<u16>(dp + D_FLAGS, fFlags);
  store<f64>(dp + D_CL, fCl);
  if (fHeaders) store<f64>(dp + D_REMAIN, fRemain); // without a header line, stepping leaves it as it was
  store<u32>(dp + D_HEAD, len);
  if (d == <u32>H.H1_REQ) {
    store<u8>(dp + D_AUX, <u8>fCode);
    const op = obsPtr(o);
    const ep = entryPtr(o, (<u32>load<u8>(op + O_PHEAD) + <u32>load<u8>(op + O_NPEND)) % <u32>H.H1_PEND_CAP);
    memory.copy(ep + P_SEG, <usize>H.H1_IN + fSegAt, fSegLen);
    store<u8>(ep + P_SEG_LEN, <u8>fSegLen);
  } else {
    store<u16>(dp + D_STATUS, <u16>fCode);
    store<u8>(dp + D_AUX, 3);
  }
}
