// Feeds one connection's bytes to an HTTP/1.1 observer of the core (issue 13). Bodies pass unread
// (h1Skip/h1Pass: no copy into wasm memory); only heads and chunk-size lines are copied, FEED_WINDOW
// bytes at a time. The observer never touches the bytes the flow forwards, and once it stops parsing
// (a tunnel, malformed input, the end) it is released and costs nothing more.
import * as H from '../wasm/assembly/http1-consts.js';
import { HTTP1_METHODS, type Http1Core, type Http1Observation } from './core/http1-core.js';
import type { HttpRequest } from './port/report.js';
import { TsHttp1 } from './core/ts-http1.js';

/** Bytes copied into the core per call while it reads a head: most heads fit, bodies after them are passed instead. */
export const FEED_WINDOW = 4096;

/** Where a flow's observations go. */
export interface HttpRequestSink {
  /** `r` is valid during the call only: the observer reuses it for its next request (copy what you keep) */
  onRequest(r: Readonly<HttpRequest>): void;
  /** the observer stopped on bytes it could not follow (a HTTP1_FAILURES name): the flow goes on, unobserved */
  onParseError(reason: string): void;
}

/** What a flow shows its observer: the bytes each way as they pass, and its end. Flow and LocalSplice
 *  call it only when set (an http1 listener), so a tcp flow pays one field check per chunk. */
export interface FlowTap {
  request(chunk: Uint8Array): void;
  response(chunk: Uint8Array): void;
  end(): void;
}

/** Why an observer stopped, by H1_FAIL_* code: label values of svcnet_http_observer_fallbacks_total. */
export const HTTP1_FAILURES: Readonly<Record<number, string>> = {
  [H.H1_FAIL_REQUEST]: 'malformed_request', [H.H1_FAIL_RESPONSE]: 'malformed_response', [H.H1_FAIL_HEAD_SIZE]: 'head_too_large',
  [H.H1_FAIL_PIPELINE]: 'pipeline_too_deep', [H.H1_FAIL_PASS]: 'host_overran_body',
};

/** The fallback reported at the end of a connection that ended inside a request head (not a core code: the host sees it). */
export const HTTP1_CUT_SHORT = 'request_cut_short';

/** Feeds `chunk` of direction `dir` to observer `o`; calls `each` per observation. */
export function observeChunk(core: Http1Core, o: number, dir: number, chunk: Uint8Array, now: number, each: (ob: Http1Observation) => void): void {
  const len = chunk.length;
  let off = 0;
  while (off < len) {
    const skip = core.skip(o, dir);
    let outs: number;
    if (skip > 0) {
      const n = Math.min(skip, len - off);
      outs = core.pass(o, dir, n, now);
      off += n;
    } else {
      const end = Math.min(len, off + FEED_WINDOW);
      off += core.feed(o, dir, off === 0 && end === len ? chunk : chunk.subarray(off, end), now);
      outs = core.outs();
    }
    for (let i = 0; i < outs; i++) each(core.observation(i));
    if (skip === H.H1_SKIP_ALL) return;
  }
}

/** The request every observer hands its sink, filled anew each time (a sink copies what it keeps): one object
 *  for all, so that handing a request over touches nothing per flow (issue 13's cost bound). */
const handed: HttpRequest = { method: '', path: '', status: 0, bytesToServer: 0, bytesToClient: 0, durationMs: 0, grpcStatus: undefined };

/** What differs between the HTTP/1.1 and HTTP/2 observers of a flow: their failure labels and record form. */
export interface ObservedProtocol {
  /** label values of svcnet_http_observer_fallbacks_total, by the core's failure code */
  failures: Readonly<Record<number, string>>;
  /** writes `ob` as the record lists it into `r` (every field, so that one object serves every request) */
  fill(ob: Http1Observation, r: HttpRequest): void;
  /**
   * HTTP/1.1 only: its observations account for every request byte, so request bytes left over at
   * the end are a request cut short (half a head): reported as this fallback reason.
   */
  cutShort?: string;
}

/**
 * The observer of one flow at a listener, over either core (both share the direction and mode codes:
 * H1_REQ/H2_REQ, H1_PARSING/H2_PARSING, H1_FAILED/H2_FAILED): request bytes from the client, response
 * bytes toward it; released once it stops parsing, so it then costs nothing more.
 */
export class HttpFlowObserver implements FlowTap {
  private o: number;
  /** request bytes fed, and those the observations accounted for (cutShort) */
  private sent = 0;
  private accounted = 0;
  private readonly each = (ob: Http1Observation): void => {
    this.accounted += ob.bytesToServer;
    this.protocol.fill(ob, handed);
    this.sink.onRequest(handed);
  };

  /** `o` is -1 when the core had no free observer: the flow is then carried unobserved. */
  constructor(private readonly core: Http1Core, private readonly protocol: ObservedProtocol, private readonly sink: HttpRequestSink, private readonly clock: () => number = () => performance.now()) {
    this.o = core.open();
  }

  /** Whether requests are still being followed. */
  get observing(): boolean { return this.o >= 0; }

  /** Bytes the client sent (toward the server). */
  request(chunk: Uint8Array): void { this.sent += chunk.length; this.feed(H.H1_REQ, chunk); }

  /** Bytes the server sent (toward the client). */
  response(chunk: Uint8Array): void { this.feed(H.H1_RES, chunk); }

  /** The connection ended: what is still open is listed with what was seen of it (status 0 if no response). */
  end(): void {
    if (this.o < 0) return;
    const outs = this.core.end(this.o, this.clock());
    for (let i = 0; i < outs; i++) this.each(this.core.observation(i));
    if (this.protocol.cutShort !== undefined && this.sent > this.accounted) this.sink.onParseError(this.protocol.cutShort);
    this.release();
  }

  private feed(dir: number, chunk: Uint8Array): void {
    if (this.o < 0) return;
    observeChunk(this.core, this.o, dir, chunk, this.clock(), this.each);
    const mode = this.core.mode(this.o);
    if (mode === H.H1_PARSING) return;
    if (mode === H.H1_FAILED) this.sink.onParseError(this.protocol.failures[this.core.failure(this.o)] ?? 'unknown');
    this.release();
  }

  private release(): void {
    this.core.close(this.o);
    this.o = -1;
  }
}

/** The observer of one HTTP/1.1 flow at an `http1` listener. */
export class Http1FlowObserver extends HttpFlowObserver {
  constructor(core: Http1Core, sink: HttpRequestSink, clock?: () => number) {
    super(core, { failures: HTTP1_FAILURES, fill: fillRequest, cutShort: HTTP1_CUT_SHORT }, sink, clock);
  }
}

/** Writes an observation as the record lists it into `r`. */
export function fillRequest(ob: Http1Observation, r: HttpRequest): void {
  r.method = HTTP1_METHODS[ob.method] ?? 'OTHER';
  r.path = ob.segment;
  r.status = ob.status;
  r.bytesToServer = ob.bytesToServer;
  r.bytesToClient = ob.bytesToClient;
  r.durationMs = Math.max(0, ob.endedAt - ob.startedAt);
  r.grpcStatus = undefined;
}

/** The HTTP/1.1 observers of `core`: the wasm core's own (same instance and memory), else the TypeScript twin (a TsCore in tests). */
export function http1CoreOf(core: object): Http1Core {
  const c = core as { http1?: () => Http1Core };
  return typeof c.http1 === 'function' ? c.http1() : new TsHttp1();
}
