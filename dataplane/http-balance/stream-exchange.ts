// One stream of a client connection of a stream-balanced (HTTP/2) listener (issue 13): its request
// sent as a new stream on a target's shared upstream session, the answer passed back — 1xx, headers,
// body and trailers (gRPC's grpc-status is in them) — with each body piped under both sides' flow
// control (Node's stream backpressure holds WINDOW_UPDATEs). A reset on either side resets the other
// with the same code; a failure before anything was processed goes to another target
// (stream-failure.ts), the request body held up to RETRY_BODY_MAX for that.
import http2 from 'node:http2';
import { requestHeaders, responseHeaders, trailerHeaders, firstSegment, grpcStatusOf } from './h2-headers.js';
import { streamVerdict } from './stream-failure.js';
import { isNotReached } from './upstreams.js';
import { HeldBody } from './held-body.js';
import type { TargetSessions, UpstreamSession } from './target-sessions.js';
import type { HttpRequest } from '../port/report.js';

const { NGHTTP2_FLAG_END_STREAM, NGHTTP2_NO_ERROR, NGHTTP2_CANCEL } = http2.constants;

/** What an exchange asks of its listener's balancer. */
export interface StreamHost {
  /** a target not in `tried` and its sessions, counted as begun; undefined when none is left */
  begin(tried: ReadonlySet<string>, retry: boolean): { id: string; label: string; pool: TargetSessions } | undefined;
  /** the attempt at target `id` ended */
  finish(id: string, failed: boolean): void;
  /** the stream is over (answered, reset, or failed for good) */
  done(q: HttpRequest): void;
}

interface Attempt {
  id: string;
  label: string;
  pool: TargetSessions;
  live: UpstreamSession;
  up: http2.ClientHttp2Stream;
  answered: boolean;
  /** the upstream's response body ended (a clean end of the stream) */
  ended: boolean;
  closed: boolean;
  err: (Error & { code?: string; cause?: unknown }) | undefined;
}

export class StreamExchange {
  private attempt: Attempt | undefined;
  private readonly tried = new Set<string>();
  private attempts = 0;
  private readonly held = new HeldBody();
  private bodyEnded: boolean;
  private clientTrailers: http2.OutgoingHttpHeaders | undefined;
  private upTrailers: http2.OutgoingHttpHeaders | undefined;
  private toServer = 0;
  private toClient = 0;
  private status = 0;
  private grpcStatus: number | undefined;
  private over = false;
  private readonly t0 = performance.now();

  constructor(private readonly client: http2.ServerHttp2Stream, private readonly headers: http2.IncomingHttpHeaders, flags: number, private readonly host: StreamHost) {
    this.bodyEnded = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    client.on('data', (c: Buffer) => this.body(c));
    client.on('end', () => { this.bodyEnded = true; const a = this.attempt; if (a && !a.closed && !a.up.writableEnded) a.up.end(); });
    client.on('trailers', (h: http2.IncomingHttpHeaders) => { this.clientTrailers = trailerHeaders(h); });
    client.on('wantTrailers', () => { try { client.sendTrailers(this.upTrailers ?? {}); } catch { client.close(); } });
    // Errors end in 'close', where the peer stream is dealt with.
    client.on('error', () => {});
    client.on('close', () => this.clientClosed());
    this.send(false);
  }

  private body(chunk: Buffer): void {
    this.toServer += chunk.length;
    this.held.add(chunk);
    const a = this.attempt;
    if (a && !a.closed && !a.up.write(chunk)) {
      this.client.pause();
      a.up.once('drain', () => this.client.resume());
    }
  }

  private send(retry: boolean): void {
    const t = this.host.begin(this.tried, retry);
    if (!t) { this.answerError(this.attempts === 0 ? 503 : 502, this.attempts === 0 ? 'no target for the routing key' : 'every target failed'); return; }
    this.tried.add(t.id);
    this.attempts++;
    const live = t.pool.take();
    const endNow = this.bodyEnded && this.clientTrailers === undefined && this.held.count === 0;
    let up: http2.ClientHttp2Stream;
    try {
      up = live.session.request(requestHeaders(this.headers), endNow ? { endStream: true } : { waitForTrailers: true });
    } catch (err) {
      // Headers Node refuses to send (or a session closing under us): nothing left for a server.
      t.pool.release(live);
      this.host.finish(t.id, true);
      this.answerError(502, `upstream refused the request: ${(err as Error).message}`);
      return;
    }
    const a: Attempt = { id: t.id, label: t.label, pool: t.pool, live, up, answered: false, ended: false, closed: false, err: undefined };
    this.attempt = a;
    up.on('wantTrailers', () => { try { up.sendTrailers(this.clientTrailers ?? {}); } catch { up.close(); } });
    // Informational answers (1xx other than 101) pass on while the client's headers are unsent.
    up.on('headers', (h: http2.IncomingHttpHeaders) => {
      if (this.attempt !== a || this.client.headersSent || this.client.destroyed) return;
      try { this.client.additionalHeaders(responseHeaders(h)); } catch { /* a 1xx Node refuses is dropped */ }
    });
    up.on('response', (h: http2.IncomingHttpHeaders, f: number) => this.answered(a, h, f));
    up.on('trailers', (h: http2.IncomingHttpHeaders) => {
      this.upTrailers = trailerHeaders(h);
      this.grpcStatus = grpcStatusOf(h) ?? this.grpcStatus;
    });
    up.on('end', () => { a.ended = true; });
    up.on('error', (err: Error) => { a.err = err; });
    up.on('close', () => this.upClosed(a));
    if (!endNow) {
      this.held.replay(up);
      if (this.bodyEnded) up.end();
      else if (this.client.isPaused()) this.client.resume();
    }
  }

  private answered(a: Attempt, h: http2.IncomingHttpHeaders, flags: number): void {
    if (this.attempt !== a || this.over) return;
    a.answered = true;
    this.held.release();
    this.status = Number(h[':status']) || 0;
    this.grpcStatus = grpcStatusOf(h);
    const c = this.client;
    if (c.destroyed || c.closed) return;
    // A trailers-only answer (gRPC's errors, a HEAD) ends with its headers: so must the client's.
    if ((flags & NGHTTP2_FLAG_END_STREAM) !== 0) {
      c.respond(responseHeaders(h), { endStream: true });
      a.up.resume();
      return;
    }
    c.respond(responseHeaders(h), { waitForTrailers: true });
    // Only now does the upstream body flow: Node emits 'response' a tick after the HEADERS, and DATA
    // that came in the same read waits in the stream's buffer for these readers.
    a.up.on('data', (chunk: Buffer) => { this.toClient += chunk.length; });
    a.up.pipe(c);
  }

  private upClosed(a: Attempt): void {
    if (a.closed) return;
    a.closed = true;
    a.pool.release(a.live);
    const up = a.up;
    const clean = a.ended && (up.rstCode === undefined || up.rstCode === NGHTTP2_NO_ERROR);
    this.host.finish(a.id, !clean);
    if (clean || this.attempt !== a || this.over || this.client.destroyed) return;
    const err = a.err;
    const rstCode = up.rstCode ?? NGHTTP2_NO_ERROR;
    const v = streamVerdict({
      answered: a.answered,
      // Node reports a peer's RST_STREAM as ERR_HTTP2_STREAM_ERROR (none for NO_ERROR or CANCEL); a session's end otherwise.
      resetByServer: err === undefined ? rstCode !== NGHTTP2_NO_ERROR && !a.live.session.destroyed : err.code === 'ERR_HTTP2_STREAM_ERROR',
      rstCode,
      notReached: isNotReached(err) || isNotReached(err?.cause),
      streamId: up.id,
      goawayLastId: a.live.goawayLastId,
      replayable: this.held.replayable,
      attempts: this.attempts,
    });
    if (v.kind === 'retry') { this.send(true); return; }
    if (v.kind === 'answer') { this.answerError(v.status, `upstream failed: ${err?.message ?? `stream closed with code ${rstCode}`}`); return; }
    this.client.close(v.code);
  }

  /** The client's stream closed (answered, reset by the client, or its connection gone): an upstream still open is reset with the client's code. */
  private clientClosed(): void {
    const a = this.attempt;
    if (a && !a.closed) {
      const code = this.client.rstCode;
      a.up.close(code !== undefined && code !== NGHTTP2_NO_ERROR ? code : NGHTTP2_CANCEL);
    }
    this.complete(a?.label ?? '');
  }

  /** svcnet's own answer when no server gave one. */
  private answerError(status: number, why: string): void {
    this.status = status;
    const c = this.client;
    if (c.destroyed || c.closed || c.headersSent) { c.close(http2.constants.NGHTTP2_INTERNAL_ERROR); return; }
    c.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8' });
    c.end(`svcnet: ${why}\n`);
  }

  private complete(target: string): void {
    if (this.over) return;
    this.over = true;
    this.held.release();
    const q: HttpRequest = { method: String(this.headers[':method'] ?? 'OTHER'), path: firstSegment(this.headers[':path']), status: this.status, bytesToServer: this.toServer, bytesToClient: this.toClient, durationMs: performance.now() - this.t0, target };
    if (this.grpcStatus !== undefined) q.grpcStatus = this.grpcStatus;
    this.host.done(q);
  }
}
