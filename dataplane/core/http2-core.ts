// The interface between the data plane and the HTTP/2 observers of its core (issue 13): the wasm core's
// exports (wasm-http2.ts) in production, the TypeScript twin (ts-http2.ts) in tests. Observations are
// the HTTP/1.1 record (http1-core.ts) plus grpc-status and a reset flag; readHttp2Observation() reads it.
import * as H from '../../wasm/assembly/http2-consts.js';
import * as H1 from '../../wasm/assembly/http1-consts.js';
import type { Http1Core, Http1Observation } from './http1-core.js';

/** One stream seen on a connection: the HTTP/1.1 observation's fields (method as H1_M_*), and: */
export interface Http2Observation extends Http1Observation {
  /** grpc-status of the response's trailers (or trailers-only head), -1 when none */
  grpcStatus: number;
  /** the stream was reset (RST_STREAM, above a GOAWAY's last stream id, or the connection ended) before its response did */
  reset: boolean;
}

/** The observer calls, one to one with the wasm exports h2*; the same calls as Http1Core (so observeChunk feeds both). */
export interface Http2Core extends Http1Core {
  /** observation `i` (< outs()) of the last pass/feed/end */
  observation(i: number): Http2Observation;
}

/** Reads observation record `i` of H2_OUT in `u8`/`dv`, whose byte 0 is address `origin`. */
export function readHttp2Observation(u8: Uint8Array, dv: DataView, origin: number, i: number): Http2Observation {
  const p = H.H2_OUT - origin + i * H.H2_OBS_SIZE;
  return {
    method: u8[p + H1.OB_METHOD],
    segment: Buffer.from(u8.buffer, u8.byteOffset + p + H1.OB_SEG, u8[p + H1.OB_SEG_LEN]).toString('latin1'),
    status: dv.getUint16(p + H1.OB_STATUS, true),
    bytesToServer: dv.getFloat64(p + H1.OB_REQ_BYTES, true),
    bytesToClient: dv.getFloat64(p + H1.OB_RES_BYTES, true),
    startedAt: dv.getFloat64(p + H1.OB_START, true),
    endedAt: dv.getFloat64(p + H1.OB_END, true),
    grpcStatus: dv.getUint16(p + H.OB_GRPC, true) - 1,
    reset: u8[p + H.OB_FLAGS] === 1,
  };
}
