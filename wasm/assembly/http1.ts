// HTTP/1.1 observer (issue 13): an incremental parser of request and response heads, fed each
// direction's bytes in any chunking, that turns every completed request into an observation. Fixed
// memory (http1-consts.ts), no allocation, never throws; anything unexpected makes it fall back to
// letting bytes pass. Bodies are never read: the host asks h1Skip() and passes them with h1Pass().
import * as H from './http1-consts';
import { LAYOUT_END, MEMORY_PAGES, ERR_TABLE_FULL } from './protocol';
import { D_AUX, D_BYTES, D_CL, D_EFLAGS, D_ENTRY, D_FLAGS, D_HEAD, D_REMAIN, D_STATE, D_STATUS, D_SUB, D_TOK_LEN, O_FAIL, O_MODE, O_NPEND, O_PHEAD, O_USED, P_REQ, P_SIZE, P_START, S_BODY, S_CDATA, S_CDATA_CR, S_CSIZE, S_DONE, S_HEAD_LF, S_IDLE, S_METHOD, S_RVERSION, S_UNTIL_CLOSE, S_WAIT, dirPtr, entryPtr, obsPtr, valid } from './http1-state';
import { headByte, chunkByte, headEnd } from './http1-head';
import { fastCommit, fastScan } from './http1-fast';
import { headRun } from './http1-runs';
import { emitFront, messageEnd, outCount, resetOuts } from './http1-emit';

let cursor: u32 = 0;

/** Clears the observer table; refuses (ERR_TABLE_FULL) if the region overlaps the forwarding layout or leaves memory. */
export function h1Init(): u32 {
  if (<u32>LAYOUT_END > <u32>H.H1_BASE || <u32>H.H1_END > <u32>MEMORY_PAGES * 65536) return ERR_TABLE_FULL;
  memory.fill(H.H1_OBS_BUF, 0, <usize>H.H1_MAX * H.H1_SIZE);
  resetOuts();
  cursor = 0;
  return 0;
}

/** A fresh observer for one connection, or -1 when all H1_MAX are in use. */
export function h1Open(): i32 {
  for (let i: u32 = 0; i < <u32>H.H1_MAX; i++) {
    const o = (cursor + i) % <u32>H.H1_MAX;
    const p = obsPtr(o);
    if (load<u8>(p + O_USED) != 0) continue;
    memory.fill(p, 0, H.H1_SIZE);
    store<u8>(p + O_USED, 1);
    cursor = (o + 1) % <u32>H.H1_MAX;
    return <i32>o;
  }
  return -1;
}

/** Frees an observer. */
export function h1Close(o: u32): void { if (valid(o)) store<u8>(obsPtr(o) + O_USED, 0); }

/** H1_PARSING, H1_RAW, H1_FAILED or H1_ENDED (a free or unknown observer reads as failed). */
export function h1Mode(o: u32): u32 { return valid(o) ? <u32>load<u8>(obsPtr(o) + O_MODE) : <u32>H.H1_FAILED; }

/** Why the observer fell back (H1_FAIL_*), 0 if it did not. */
export function h1Failure(o: u32): u32 { return valid(o) ? <u32>load<u8>(obsPtr(o) + O_FAIL) : 0; }

/** Observations written to H1_OUT by the last h1Feed/h1Pass/h1End call. */
export function h1Outs(): u32 { return outCount(); }

/** How many of direction `d`'s next bytes may pass unread through h1Pass (a body; H1_SKIP_ALL when nothing is parsed any more). */
export function h1Skip(o: u32, d: u32): u32 {
  if (!valid(o) || d > 1 || load<u8>(obsPtr(o) + O_MODE) != <u8>H.H1_PARSING) return H.H1_SKIP_ALL;
  const dp = dirPtr(o, d);
  const st = load<u8>(dp + D_STATE);
  if (st == S_UNTIL_CLOSE) return H.H1_SKIP_ALL;
  if (st != S_BODY && st != S_CDATA) return 0;
  return <u32>min<f64>(load<f64>(dp + D_REMAIN), <f64>H.H1_SKIP_ALL);
}

/** `n` bytes of direction `d` passed unread (n <= h1Skip; more makes the observer fall back). Returns n. */
export function h1Pass(o: u32, d: u32, n: u32, now: f64): u32 {
  resetOuts();
  if (!valid(o) || d > 1 || load<u8>(obsPtr(o) + O_MODE) != <u8>H.H1_PARSING) return n;
  if (n > h1Skip(o, d)) { fail(o, H.H1_FAIL_PASS); return n; }
  if (load<u8>(dirPtr(o, d) + D_STATE) == S_UNTIL_CLOSE) count(o, d, n);
  else bodyBytes(o, d, <f64>n, now);
  return n;
}

/** Parses `len` bytes of direction `d` copied to H1_IN; returns the bytes consumed (fewer only when H1_OUT filled up). */
export function h1Feed(o: u32, d: u32, len: u32, now: f64): u32 {
  resetOuts();
  if (len > <u32>H.H1_IN_CAP) len = H.H1_IN_CAP;
  if (!valid(o) || d > 1) return len;
  const op = obsPtr(o);
  const dp = dirPtr(o, d);
  let i: u32 = 0;
  while (i < len) {
    if (load<u8>(op + O_MODE) != <u8>H.H1_PARSING) return len;
    if (outCount() >= <u32>H.H1_OUT_CAP) return i;
    const st = load<u8>(dp + D_STATE);
    if (st == S_BODY || st == S_CDATA) {
      const n = min<f64>(load<f64>(dp + D_REMAIN), <f64>(len - i));
      i += <u32>n;
      bodyBytes(o, d, n, now);
    } else if (st == S_UNTIL_CLOSE) {
      count(o, d, <f64>(len - i));
      i = len;
    } else {
      if (st == S_IDLE) {
        // A whole plain head in this feed is read in one pass (http1-fast.ts); its empty line ends it as stepping would.
        const n = fastScan(d, i, len);
        if (n != 0) {
          if (messageStart(o, d, now)) {
            fastCommit(o, d, dp, n);
            count(o, d, <f64>n);
            if (!headEnd(o, d, dp, now)) failDir(o, d);
          }
          i += n;
          continue;
        }
      }
      if (st > S_IDLE && st < S_HEAD_LF) {
        // Most of a head is run (http1-runs.ts), inside the size bound: the byte past it is stepped, and fails.
        const head = load<u32>(dp + D_HEAD);
        const to = head < <u32>H.H1_MAX_HEAD ? min<u32>(len, i + <u32>H.H1_MAX_HEAD - head) : i;
        const j = headRun(o, dp, i, to);
        if (j != i) {
          count(o, d, <f64>(j - i));
          store<u32>(dp + D_HEAD, head + j - i);
          i = j;
          continue;
        }
      }
      step(o, d, <u32>load<u8>(<usize>H.H1_IN + i), now);
      i++;
    }
  }
  return len;
}

/** The connection ended: a response read until close completes, requests still waiting are observed with status 0. */
export function h1End(o: u32, now: f64): u32 {
  resetOuts();
  if (!valid(o)) return 0;
  const op = obsPtr(o);
  if (load<u8>(op + O_MODE) == <u8>H.H1_PARSING) {
    const rp = dirPtr(o, H.H1_RES);
    const st = load<u8>(rp + D_STATE);
    // A response whose head was read (a body state) is observed with its status, even if cut short.
    if (st >= S_CSIZE && st <= S_UNTIL_CLOSE && load<u8>(op + O_NPEND) > 0) emitFront(o, <u32>load<u16>(rp + D_STATUS), now);
    while (load<u8>(op + O_NPEND) > 0) emitFront(o, 0, now);
    store<u8>(op + O_MODE, <u8>H.H1_ENDED);
  }
  return outCount();
}

function fail(o: u32, reason: u32): void {
  const op = obsPtr(o);
  store<u8>(op + O_MODE, <u8>H.H1_FAILED);
  store<u8>(op + O_FAIL, <u8>reason);
}

@inline export function failDir(o: u32, d: u32): void { fail(o, d == <u32>H.H1_REQ ? H.H1_FAIL_REQUEST : H.H1_FAIL_RESPONSE); }

/** Counts `n` bytes of the current message of direction `d`. */
function count(o: u32, d: u32, n: f64): void {
  const dp = dirPtr(o, d);
  const e = load<u8>(dp + D_ENTRY);
  if (d == <u32>H.H1_REQ && e != 0) {
    const ep = entryPtr(o, <u32>e - 1);
    store<f64>(ep + P_REQ, load<f64>(ep + P_REQ) + n);
  } else store<f64>(dp + D_BYTES, load<f64>(dp + D_BYTES) + n);
}

function bodyBytes(o: u32, d: u32, n: f64, now: f64): void {
  const dp = dirPtr(o, d);
  count(o, d, n);
  const left = load<f64>(dp + D_REMAIN) - n;
  store<f64>(dp + D_REMAIN, left);
  if (left > 0) return;
  if (load<u8>(dp + D_STATE) == S_CDATA) store<u8>(dp + D_STATE, S_CDATA_CR);
  else messageEnd(o, d, now);
}

/** Starts reading a new message of direction `d`. */
function messageStart(o: u32, d: u32, now: f64): bool {
  const op = obsPtr(o);
  const dp = dirPtr(o, d);
  const n = <u32>load<u8>(op + O_NPEND);
  if (d == <u32>H.H1_RES ? n == 0 : n >= <u32>H.H1_PEND_CAP) { fail(o, d == <u32>H.H1_RES ? H.H1_FAIL_RESPONSE : H.H1_FAIL_PIPELINE); return false; }
  store<u8>(dp + D_SUB, 0);
  store<u16>(dp + D_FLAGS, 0);
  store<u8>(dp + D_TOK_LEN, 0);
  store<u32>(dp + D_HEAD, 0);
  store<u16>(dp + D_STATUS, 0);
  store<u8>(dp + D_AUX, 0);
  store<u8>(dp + D_EFLAGS, 0);
  store<f64>(dp + D_CL, 0);
  if (d == <u32>H.H1_REQ) {
    store<u8>(dp + D_ENTRY, 0);
    store<f64>(dp + D_BYTES, 0);
    const ep = entryPtr(o, (<u32>load<u8>(op + O_PHEAD) + n) % <u32>H.H1_PEND_CAP);
    memory.fill(ep, 0, P_SIZE);
    store<f64>(ep + P_START, now);
    store<u8>(dp + D_STATE, S_METHOD);
  } else store<u8>(dp + D_STATE, S_RVERSION);
  return true;
}

/** One byte of a head, a chunk-size line, the CRLF after chunk data, or trailers. */
function step(o: u32, d: u32, c: u32, now: f64): void {
  const dp = dirPtr(o, d);
  let st = load<u8>(dp + D_STATE);
  if (st == S_IDLE) {
    if (d == <u32>H.H1_REQ && (c == 13 || c == 10)) return; // empty lines before a request are ignored
    if (!messageStart(o, d, now)) return;
    st = load<u8>(dp + D_STATE);
  }
  if (st == S_WAIT || st == S_DONE) { failDir(o, d); return; }
  count(o, d, 1);
  const head = load<u32>(dp + D_HEAD) + 1;
  store<u32>(dp + D_HEAD, head);
  if (head > <u32>H.H1_MAX_HEAD) { fail(o, H.H1_FAIL_HEAD_SIZE); return; }
  if (!(st <= S_HEAD_LF ? headByte(o, d, dp, st, c, now) : chunkByte(o, d, dp, st, c, now))) failDir(o, d);
}

