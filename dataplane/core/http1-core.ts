// The interface between the data plane and the HTTP/1.1 observers of its core (issue 13): the wasm
// core's exports (wasm-http1.ts) in production, the TypeScript twin (ts-http1.ts) in tests. Both
// write observations as H1_OBS_SIZE records; readObservation() is the one reader of that record.
import * as H from '../../wasm/assembly/http1-consts.js';

/** One request seen on a connection. Times are the host's clock (ms) as passed to the core. */
export interface Http1Observation {
  /** H1_M_* code */
  method: number;
  /** the path's first segment ('' for `/`, `*` for `OPTIONS *`), at most H1_SEG_MAX bytes, latin1 */
  segment: string;
  /** 0 when the connection ended before a response */
  status: number;
  bytesToServer: number;
  bytesToClient: number;
  startedAt: number;
  endedAt: number;
}

/** Method names by H1_M_* code. */
export const HTTP1_METHODS: readonly string[] = ['OTHER', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

/** The observer calls, one to one with the wasm exports h1*. Never throws on input. */
export interface Http1Core {
  /** a new observer, or -1 when all are taken */
  open(): number;
  close(o: number): void;
  /** H1_PARSING, H1_RAW, H1_FAILED or H1_ENDED */
  mode(o: number): number;
  /** H1_FAIL_* reason, 0 if none */
  failure(o: number): number;
  /** bytes of direction `dir` that may pass unread next (a body; H1_SKIP_ALL when nothing is parsed) */
  skip(o: number, dir: number): number;
  /** `n` unread bytes passed; returns the observations written */
  pass(o: number, dir: number, n: number, now: number): number;
  /** copies `bytes` (at most H1_IN_CAP) into the core and parses them; returns the bytes consumed
   *  (fewer only when the observation table filled: read it, then feed the rest) */
  feed(o: number, dir: number, bytes: Uint8Array, now: number): number;
  /** the connection ended; returns the observations written */
  end(o: number, now: number): number;
  /** observations written by the last pass/feed/end */
  outs(): number;
  /** observation `i` (< outs()) of the last pass/feed/end */
  observation(i: number): Http1Observation;
}

/** The last path segment decoded, and its text: a connection's requests mostly share their path's first
 *  segment, and decoding one costs an allocation and a native call per request (issue 13's cost bound). */
const lastSegment = new Uint8Array(H.H1_SEG_MAX);
let lastSegmentLen = -1;
let lastSegmentText = '';

/** The latin1 text of `len` (<= H1_SEG_MAX) bytes at `at`, reused while the bytes repeat. */
function segmentText(u8: Uint8Array, at: number, len: number): string {
  if (len === lastSegmentLen) {
    let i = 0;
    while (i < len && u8[at + i] === lastSegment[i]) i++;
    if (i === len) return lastSegmentText;
  }
  const bytes = u8.subarray(at, at + len);
  lastSegment.set(bytes);
  lastSegmentLen = len;
  return (lastSegmentText = String.fromCharCode(...bytes));
}

/** Reads observation record `i` of the table at `base` (H1_OUT) in `u8`/`dv`, whose byte 0 is address `origin`. */
export function readObservation(u8: Uint8Array, dv: DataView, origin: number, i: number): Http1Observation {
  const p = H.H1_OUT - origin + i * H.H1_OBS_SIZE;
  return {
    method: u8[p + H.OB_METHOD],
    segment: segmentText(u8, p + H.OB_SEG, Math.min(u8[p + H.OB_SEG_LEN], H.H1_SEG_MAX)),
    status: dv.getUint16(p + H.OB_STATUS, true),
    bytesToServer: dv.getFloat64(p + H.OB_REQ_BYTES, true),
    bytesToClient: dv.getFloat64(p + H.OB_RES_BYTES, true),
    startedAt: dv.getFloat64(p + H.OB_START, true),
    endedAt: dv.getFloat64(p + H.OB_END, true),
  };
}
