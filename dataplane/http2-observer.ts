// The HTTP/2 observer of one flow at an `http2` listener (issue 13): the client's bytes and the
// server's, fed to an observer of the core through the same path as HTTP/1.1 (observeChunk: DATA
// payloads pass unread, frame headers and header blocks are copied in), every stream turned into a
// request of the flow's record. The observer never touches the bytes the flow forwards, and once it
// stops parsing (malformed input, a budget, the end) it is released and costs nothing more.
import * as H from '../wasm/assembly/http2-consts.js';
import { HTTP1_METHODS, type Http1Observation } from './core/http1-core.js';
import type { Http2Core, Http2Observation } from './core/http2-core.js';
import { TsHttp2 } from './core/ts-http2.js';
import { observeChunk, type FlowTap, type HttpRequestSink } from './http-observer.js';
import type { HttpRequest } from './port/report.js';

/** Why an observer stopped, by H2_FAIL_* code: label values of svcnet_http_observer_fallbacks_total. */
export const HTTP2_FAILURES: Readonly<Record<number, string>> = {
  [H.H2_FAIL_PREFACE]: 'h2_bad_preface', [H.H2_FAIL_FRAME]: 'h2_malformed_frame', [H.H2_FAIL_FRAME_SIZE]: 'h2_frame_too_large',
  [H.H2_FAIL_HPACK]: 'h2_malformed_hpack', [H.H2_FAIL_TABLE_SIZE]: 'h2_header_table_too_large', [H.H2_FAIL_BLOCK_SIZE]: 'h2_header_block_too_large',
  [H.H2_FAIL_STREAMS]: 'h2_too_many_streams', [H.H2_FAIL_PUSH]: 'h2_push_promise', [H.H2_FAIL_PASS]: 'host_overran_body',
};

/** The observer of one h2c flow at a listener: request bytes from the client, response bytes toward it. */
export class Http2FlowObserver implements FlowTap {
  private o: number;
  // observeChunk is typed for the HTTP/1.1 record; an Http2Core's observations are the extended one.
  private readonly each = (ob: Http1Observation): void => this.sink.onRequest(toRecord(ob as Http2Observation));

  /** `o` is -1 when the core had no free observer (H2_MAX): the flow is then carried unobserved. */
  constructor(private readonly core: Http2Core, private readonly sink: HttpRequestSink, private readonly clock: () => number = () => performance.now()) {
    this.o = core.open();
  }

  /** Whether streams are still being followed. */
  get observing(): boolean { return this.o >= 0; }

  /** Bytes the client sent (toward the server). */
  request(chunk: Uint8Array): void { this.feed(H.H2_REQ, chunk); }

  /** Bytes the server sent (toward the client). */
  response(chunk: Uint8Array): void { this.feed(H.H2_RES, chunk); }

  /** The connection ended: streams still open are listed with what was seen of them (status 0 if no response). */
  end(): void {
    if (this.o < 0) return;
    const outs = this.core.end(this.o, this.clock());
    for (let i = 0; i < outs; i++) this.each(this.core.observation(i));
    this.release();
  }

  private feed(dir: number, chunk: Uint8Array): void {
    if (this.o < 0) return;
    observeChunk(this.core, this.o, dir, chunk, this.clock(), this.each);
    const mode = this.core.mode(this.o);
    if (mode === H.H2_PARSING) return;
    if (mode === H.H2_FAILED) this.sink.onParseError(HTTP2_FAILURES[this.core.failure(this.o)] ?? 'unknown');
    this.release();
  }

  private release(): void {
    this.core.close(this.o);
    this.o = -1;
  }
}

/** A stream's observation as the record lists it (grpcStatus only when the response carried one). */
export function toRecord(ob: Http2Observation): HttpRequest {
  const r: HttpRequest = {
    method: HTTP1_METHODS[ob.method] ?? 'OTHER', path: ob.segment, status: ob.status,
    bytesToServer: ob.bytesToServer, bytesToClient: ob.bytesToClient, durationMs: Math.max(0, ob.endedAt - ob.startedAt),
  };
  if (ob.grpcStatus >= 0) r.grpcStatus = ob.grpcStatus;
  return r;
}

/** The HTTP/2 observers of `core`: the wasm core's own (same instance and memory), else the TypeScript twin (a TsCore in tests). */
export function http2CoreOf(core: object): Http2Core {
  const c = core as { http2?: () => Http2Core };
  return typeof c.http2 === 'function' ? c.http2() : new TsHttp2();
}
