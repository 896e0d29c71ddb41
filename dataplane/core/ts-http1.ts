// The TypeScript twin of wasm/assembly/http1.ts (issue 13), line for line: the HTTP/1.1 observer's
// exports and byte accounting, over the twin's memory (ts-http1-state.ts). TsHttp1 is the oracle of
// the differential and fuzz tests and the baseline of bench/micro.
import * as H from '../../wasm/assembly/http1-consts.js';
import { LAYOUT_END, MEMORY_PAGES, ERR_TABLE_FULL } from '../../wasm/assembly/protocol.js';
import { D_HDR, HD_OTHER, S_HVALUE, S_REASON, D_AUX, D_BYTES, D_CL, D_EFLAGS, D_ENTRY, D_FLAGS, D_HEAD, D_REMAIN, D_STATE, D_STATUS, D_SUB, D_TOK_LEN, O_FAIL, O_MODE, O_NPEND, O_PHEAD, O_USED, P_REQ, P_SIZE, P_START, S_BODY, S_CDATA, S_CDATA_CR, S_CSIZE, S_DONE, S_HEAD_LF, S_IDLE, S_METHOD, S_RVERSION, S_UNTIL_CLOSE, S_WAIT, cur, dirPtr, entryPtr, fill, ld16, ld32, ld8, ldf, obsPtr, st16, st32, st8, stf, valid } from './ts-http1-state.js';
import { headByte, chunkByte } from './ts-http1-head.js';
import { emitFront, messageEnd } from './ts-http1-emit.js';
import { MEM_BASE, newTwinState, use, type TwinState } from './ts-http1-state.js';
import { readObservation, type Http1Core, type Http1Observation } from './http1-core.js';


/** Clears the observer table; refuses (ERR_TABLE_FULL) if the region overlaps the forwarding layout or leaves memory. */
export function h1Init(): number {
  if (LAYOUT_END > H.H1_BASE || H.H1_END > MEMORY_PAGES * 65536) return ERR_TABLE_FULL;
  fill(H.H1_OBS_BUF, H.H1_MAX * H.H1_SIZE);
  cur.outCount = 0;
  cur.cursor = 0;
  return 0;
}

/** A fresh observer for one connection, or -1 when all H1_MAX are in use. */
export function h1Open(): number {
  for (let i: number = 0; i < H.H1_MAX; i++) {
    const o = (cur.cursor + i) % H.H1_MAX;
    const p = obsPtr(o);
    if (ld8(p + O_USED) != 0) continue;
    fill(p, H.H1_SIZE);
    st8(p + O_USED, 1);
    cur.cursor = (o + 1) % H.H1_MAX;
    return o;
  }
  return -1;
}

/** Frees an observer. */
export function h1Close(o: number): void { if (valid(o)) st8(obsPtr(o) + O_USED, 0); }

/** H1_PARSING, H1_RAW, H1_FAILED or H1_ENDED (a free or unknown observer reads as failed). */
export function h1Mode(o: number): number { return valid(o) ? ld8(obsPtr(o) + O_MODE) : H.H1_FAILED; }

/** Why the observer fell back (H1_FAIL_*), 0 if it did not. */
export function h1Failure(o: number): number { return valid(o) ? ld8(obsPtr(o) + O_FAIL) : 0; }

/** Observations written to H1_OUT by the last h1Feed/h1Pass/h1End call. */
export function h1Outs(): number { return cur.outCount; }

/** How many of direction `d`'s next bytes may pass unread through h1Pass (a body; H1_SKIP_ALL when nothing is parsed any more). */
export function h1Skip(o: number, d: number): number {
  if (!valid(o) || d > 1 || ld8(obsPtr(o) + O_MODE) != H.H1_PARSING) return H.H1_SKIP_ALL;
  const dp = dirPtr(o, d);
  const st = ld8(dp + D_STATE);
  if (st == S_UNTIL_CLOSE) return H.H1_SKIP_ALL;
  if (st != S_BODY && st != S_CDATA) return 0;
  return Math.min(ldf(dp + D_REMAIN), H.H1_SKIP_ALL);
}

/** `n` bytes of direction `d` passed unread (n <= h1Skip; more makes the observer fall back). Returns n. */
export function h1Pass(o: number, d: number, n: number, now: number): number {
  cur.outCount = 0;
  if (!valid(o) || d > 1 || ld8(obsPtr(o) + O_MODE) != H.H1_PARSING) return n;
  if (n > h1Skip(o, d)) { fail(o, H.H1_FAIL_PASS); return n; }
  if (ld8(dirPtr(o, d) + D_STATE) == S_UNTIL_CLOSE) count(o, d, n);
  else bodyBytes(o, d, n, now);
  return n;
}

/** Parses `len` bytes of direction `d` copied to H1_IN; returns the bytes consumed (fewer only when H1_OUT filled up). */
export function h1Feed(o: number, d: number, len: number, now: number): number {
  cur.outCount = 0;
  if (len > H.H1_IN_CAP) len = H.H1_IN_CAP;
  if (!valid(o) || d > 1) return len;
  const op = obsPtr(o);
  const dp = dirPtr(o, d);
  let i: number = 0;
  while (i < len) {
    if (ld8(op + O_MODE) != H.H1_PARSING) return len;
    if (cur.outCount >= H.H1_OUT_CAP) return i;
    const st = ld8(dp + D_STATE);
    if (st == S_BODY || st == S_CDATA) {
      const n = Math.min(ldf(dp + D_REMAIN), (len - i));
      i += n;
      bodyBytes(o, d, n, now);
    } else if (st == S_UNTIL_CLOSE) {
      count(o, d, (len - i));
      i = len;
    } else {
      if ((st == S_HVALUE && ld8(dp + D_HDR) == HD_OTHER) || st == S_REASON) {
        // Most of a head: values of headers that do not matter, a reason phrase.
        const j = skipText(o, d, dp, i, len);
        if (j != i) { i = j; continue; }
      }
      step(o, d, ld8(H.H1_IN + i), now);
      i++;
    }
  }
  return len;
}

/** Runs over text bytes (HT, SP, VCHAR, obs-text) up to the next CR, LF or control byte, counting them as one
 *  step each would (the head's size bound included); the byte that stops it goes to step(). */
function skipText(o: number, d: number, dp: number, from: number, len: number): number {
  let j = from;
  while (j < len) {
    const c = ld8(H.H1_IN + j);
    if (c < 32 ? c != 9 : c == 127) break;
    j++;
  }
  const n = j - from;
  if (n == 0) return from;
  count(o, d, n);
  const head = ld32(dp + D_HEAD) + n;
  st32(dp + D_HEAD, head);
  if (head > H.H1_MAX_HEAD) fail(o, H.H1_FAIL_HEAD_SIZE);
  return j;
}

/** The connection ended: a response read until close completes, requests still waiting are observed with status 0. */
export function h1End(o: number, now: number): number {
  cur.outCount = 0;
  if (!valid(o)) return 0;
  const op = obsPtr(o);
  if (ld8(op + O_MODE) == H.H1_PARSING) {
    const rp = dirPtr(o, H.H1_RES);
    const st = ld8(rp + D_STATE);
    // A response whose head was read (a body state) is observed with its status, even if cut short.
    if (st >= S_CSIZE && st <= S_UNTIL_CLOSE && ld8(op + O_NPEND) > 0) emitFront(o, ld16(rp + D_STATUS), now);
    while (ld8(op + O_NPEND) > 0) emitFront(o, 0, now);
    st8(op + O_MODE, H.H1_ENDED);
  }
  return cur.outCount;
}

function fail(o: number, reason: number): void {
  const op = obsPtr(o);
  st8(op + O_MODE, H.H1_FAILED);
  st8(op + O_FAIL, reason);
}

export function failDir(o: number, d: number): void { fail(o, d == H.H1_REQ ? H.H1_FAIL_REQUEST : H.H1_FAIL_RESPONSE); }

/** Counts `n` bytes of the current message of direction `d`. */
function count(o: number, d: number, n: number): void {
  const dp = dirPtr(o, d);
  const e = ld8(dp + D_ENTRY);
  if (d == H.H1_REQ && e != 0) {
    const ep = entryPtr(o, e - 1);
    stf(ep + P_REQ, ldf(ep + P_REQ) + n);
  } else stf(dp + D_BYTES, ldf(dp + D_BYTES) + n);
}

function bodyBytes(o: number, d: number, n: number, now: number): void {
  const dp = dirPtr(o, d);
  count(o, d, n);
  const left = ldf(dp + D_REMAIN) - n;
  stf(dp + D_REMAIN, left);
  if (left > 0) return;
  if (ld8(dp + D_STATE) == S_CDATA) st8(dp + D_STATE, S_CDATA_CR);
  else messageEnd(o, d, now);
}

/** Starts reading a new message of direction `d`. */
function messageStart(o: number, d: number, now: number): boolean {
  const op = obsPtr(o);
  const dp = dirPtr(o, d);
  const n = ld8(op + O_NPEND);
  if (d == H.H1_RES ? n == 0 : n >= H.H1_PEND_CAP) { fail(o, d == H.H1_RES ? H.H1_FAIL_RESPONSE : H.H1_FAIL_PIPELINE); return false; }
  st8(dp + D_SUB, 0);
  st16(dp + D_FLAGS, 0);
  st8(dp + D_TOK_LEN, 0);
  st32(dp + D_HEAD, 0);
  st16(dp + D_STATUS, 0);
  st8(dp + D_AUX, 0);
  st8(dp + D_EFLAGS, 0);
  stf(dp + D_CL, 0);
  if (d == H.H1_REQ) {
    st8(dp + D_ENTRY, 0);
    stf(dp + D_BYTES, 0);
    const ep = entryPtr(o, (ld8(op + O_PHEAD) + n) % H.H1_PEND_CAP);
    fill(ep, P_SIZE);
    stf(ep + P_START, now);
    st8(dp + D_STATE, S_METHOD);
  } else st8(dp + D_STATE, S_RVERSION);
  return true;
}

/** One byte of a head, a chunk-size line, the CRLF after chunk data, or trailers. */
function step(o: number, d: number, c: number, now: number): void {
  const dp = dirPtr(o, d);
  let st = ld8(dp + D_STATE);
  if (st == S_IDLE) {
    if (d == H.H1_REQ && (c == 13 || c == 10)) return; // empty lines before a request are ignored
    if (!messageStart(o, d, now)) return;
    st = ld8(dp + D_STATE);
  }
  if (st == S_WAIT || st == S_DONE) { failDir(o, d); return; }
  count(o, d, 1);
  const head = ld32(dp + D_HEAD) + 1;
  st32(dp + D_HEAD, head);
  if (head > H.H1_MAX_HEAD) { fail(o, H.H1_FAIL_HEAD_SIZE); return; }
  if (!(st <= S_HEAD_LF ? headByte(o, d, dp, st, c, now) : chunkByte(o, d, dp, st, c, now))) failDir(o, d);
}



/** The twin behind Http1Core; arguments are coerced as JS→wasm calls coerce them (u32, f64). */
export class TsHttp1 implements Http1Core {
  private readonly s: TwinState = newTwinState();
  constructor() { use(this.s); h1Init(); }
  open(): number { use(this.s); return h1Open(); }
  close(o: number): void { use(this.s); h1Close(o >>> 0); }
  mode(o: number): number { use(this.s); return h1Mode(o >>> 0); }
  failure(o: number): number { use(this.s); return h1Failure(o >>> 0); }
  skip(o: number, dir: number): number { use(this.s); return h1Skip(o >>> 0, dir >>> 0); }
  pass(o: number, dir: number, n: number, now: number): number { use(this.s); h1Pass(o >>> 0, dir >>> 0, n >>> 0, +now); return this.s.outCount; }
  feed(o: number, dir: number, bytes: Uint8Array, now: number): number {
    use(this.s);
    const n = Math.min(bytes.length, H.H1_IN_CAP);
    this.s.u8.set(bytes.subarray(0, n), H.H1_IN - MEM_BASE);
    return h1Feed(o >>> 0, dir >>> 0, n, +now);
  }
  end(o: number, now: number): number { use(this.s); return h1End(o >>> 0, +now); }
  outs(): number { return this.s.outCount; }
  observation(i: number): Http1Observation { return readObservation(this.s.u8, this.s.dv, MEM_BASE, i); }
}
