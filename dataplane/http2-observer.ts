// The HTTP/2 observer of one flow at an `http2` listener (issue 13): the client's bytes and the
// server's, fed to an observer of the core through the same path as HTTP/1.1 (observeChunk: DATA
// payloads pass unread, frame headers and header blocks are copied in), every stream turned into a
// request of the flow's record. The observer never touches the bytes the flow forwards, and once it
// stops parsing (malformed input, a budget, the end) it is released and costs nothing more.
import * as H from '../wasm/assembly/http2-consts.js';
import type { Http2Core, Http2Observation } from './core/http2-core.js';
import { TsHttp2 } from './core/ts-http2.js';
import { HttpFlowObserver, fillRequest, type HttpRequestSink } from './http-observer.js';
import type { HttpRequest } from './port/report.js';

/** Why an observer stopped, by H2_FAIL_* code: label values of svcnet_http_observer_fallbacks_total. */
export const HTTP2_FAILURES: Readonly<Record<number, string>> = {
  [H.H2_FAIL_PREFACE]: 'h2_bad_preface', [H.H2_FAIL_FRAME]: 'h2_malformed_frame', [H.H2_FAIL_FRAME_SIZE]: 'h2_frame_too_large',
  [H.H2_FAIL_HPACK]: 'h2_malformed_hpack', [H.H2_FAIL_TABLE_SIZE]: 'h2_header_table_too_large', [H.H2_FAIL_BLOCK_SIZE]: 'h2_header_block_too_large',
  [H.H2_FAIL_STREAMS]: 'h2_too_many_streams', [H.H2_FAIL_PUSH]: 'h2_push_promise', [H.H2_FAIL_PASS]: 'host_overran_body',
};

/** The observer of one h2c flow at an `http2` listener: request bytes from the client, response bytes toward it. */
export class Http2FlowObserver extends HttpFlowObserver {
  /** The core's observer is -1 when it had none free (H2_MAX): the flow is then carried unobserved. */
  constructor(core: Http2Core, sink: HttpRequestSink, clock?: () => number) {
    // observeChunk is typed for the HTTP/1.1 record; an Http2Core's observations are the extended one.
    super(core, { failures: HTTP2_FAILURES, fill: (ob, r) => fillStream(ob as Http2Observation, r) }, sink, clock);
  }
}

/** Writes a stream's observation as the record lists it into `r` (grpcStatus only when the response carried one). */
export function fillStream(ob: Http2Observation, r: HttpRequest): void {
  fillRequest(ob, r);
  if (ob.grpcStatus >= 0) r.grpcStatus = ob.grpcStatus;
}

/** The HTTP/2 observers of `core`: the wasm core's own (same instance and memory), else the TypeScript twin (a TsCore in tests). */
export function http2CoreOf(core: object): Http2Core {
  const c = core as { http2?: () => Http2Core };
  return typeof c.http2 === 'function' ? c.http2() : new TsHttp2();
}
