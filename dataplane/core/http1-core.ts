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

/** Reads observation record `i` of the table at `base` (H1_OUT) in `u8`/`dv`, whose byte 0 is address `origin`. */
export function readObservation(u8: Uint8Array, dv: DataView, origin: number, i: number): Http1Observation {
  const p = H.H1_OUT - origin + i * H.H1_OBS_SIZE;
  return {
    method: u8[p + H.OB_METHOD],
    segment: Buffer.from(u8.buffer, u8.byteOffset + p + H.OB_SEG, u8[p + H.OB_SEG_LEN]).toString('latin1'),
    status: dv.getUint16(p + H.OB_STATUS, true),
    bytesToServer: dv.getFloat64(p + H.OB_REQ_BYTES, true),
    bytesToClient: dv.getFloat64(p + H.OB_RES_BYTES, true),
    startedAt: dv.getFloat64(p + H.OB_START, true),
    endedAt: dv.getFloat64(p + H.OB_END, true),
  };
}
