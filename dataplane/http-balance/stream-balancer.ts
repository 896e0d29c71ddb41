// A stream-balanced http2 listener (`type: http2`, `balance: request`, issue 13): Node's HTTP/2
// server (h2c, prior knowledge) runs each client connection's session, and each stream goes to a
// target chosen per stream (target-picker.ts), as a new stream on that target's upstream session
// (target-sessions.ts), shared by the streams of every client connection; stream-exchange.ts carries
// it. So one gRPC channel's calls spread over the connectors of its key.
import http2 from 'node:http2';
import type net from 'node:net';
import type { Logger } from 'pino';
import type { ListenerSpec } from '../port/push.js';
import { TargetPicker, type PickerDeps } from './target-picker.js';
import type { TargetPools } from './target-pools.js';
import { TargetSessions, STREAM_WINDOW, SESSION_WINDOW } from './target-sessions.js';
import { StreamExchange, type StreamHost } from './stream-exchange.js';
import type { ClientSink, ListenerBalancer } from './listener-balancer.js';
import { ClientIdle, clientIdleMsFromEnv } from './client-idle.js';

/** Streams one client connection may have open at once (its SETTINGS_MAX_CONCURRENT_STREAMS; Node
 *  refuses more with REFUSED_STREAM). 128 is above RFC 9113's advised minimum of 100, so h2load's
 *  and gRPC's usual settings never meet it, and it bounds what one client holds of the shared
 *  upstream sessions (each stream is an upstream stream with buffers both ways). */
export const CLIENT_STREAMS = 128;
/** Header list a client may send (SETTINGS_MAX_HEADER_LIST_SIZE): the HTTP/1.1 balancer's 64 KiB. */
export const CLIENT_HEADER_LIST = 64 * 1024;

export interface StreamBalancerDeps extends PickerDeps {
  log: Logger;
  /** a client connection with no open stream this long is closed (client-idle.ts); default clientIdleMsFromEnv() */
  clientIdleMs?: number;
  /** an upstream session quiet this long with streams in flight is probed (target-sessions.ts); default UPSTREAM_QUIET_MS */
  upstreamQuietMs?: number;
}

export class StreamBalancer implements ListenerBalancer {
  private readonly server: http2.Http2Server;
  private readonly picker: TargetPicker<TargetSessions>;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** the sink of the connection being handed to the server ('session' follows 'connection' at once) */
  private pending: ClientSink | undefined;
  private readonly sinks = new WeakMap<http2.Http2Session, ClientSink>();
  private readonly idles = new WeakMap<http2.Http2Session, ClientIdle>();
  private readonly idleMs: number;

  constructor(spec: ListenerSpec, d: StreamBalancerDeps) {
    this.picker = new TargetPicker(spec, d, (open) => new TargetSessions(open, d.upstreamQuietMs));
    this.idleMs = d.clientIdleMs ?? clientIdleMsFromEnv();
    this.server = http2.createServer({
      settings: { maxConcurrentStreams: CLIENT_STREAMS, initialWindowSize: STREAM_WINDOW, maxHeaderListSize: CLIENT_HEADER_LIST, enablePush: false },
    });
    this.server.on('session', (s: http2.ServerHttp2Session) => this.onSession(s));
    this.server.on('stream', (stream, headers, flags: number) => this.onStream(stream, headers, flags));
  }

  /** The pools, one per target (tests read them). */
  get pools(): TargetPools<TargetSessions> { return this.picker.pools; }

  /** A new client connection; its streams are reported to `sink`. */
  accept(client: net.Socket, sink: ClientSink): void {
    this.pending = sink;
    // HTTP/2 has no half-closed connection: a client's FIN means it is gone (listener sockets are
    // half-open for raw flows), so its session closes and its streams are cancelled upstream.
    client.allowHalfOpen = false;
    try { this.server.emit('connection', client); } finally { this.pending = undefined; }
  }

  /** Targets by stream count, for the listener's status. */
  status(): ReturnType<TargetPools<TargetSessions>['status']> { return this.pools.status(); }

  /** The site shuts down: client sessions and upstream sessions close. */
  close(): void {
    for (const s of this.sessions) s.destroy();
    this.pools.close();
  }

  private onSession(s: http2.ServerHttp2Session): void {
    const sink = this.pending;
    if (sink) this.sinks.set(s, sink);
    this.sessions.add(s);
    s.once('connect', () => { if (!s.destroyed) s.setLocalWindowSize(SESSION_WINDOW); });
    // Bytes Node's HTTP/2 refuses (no preface: HTTP/1.1, TLS; a protocol error) close the session, counted on the record.
    s.on('error', (err: Error & { code?: string }) => sink?.malformed(err.code === 'ERR_HTTP2_ERROR' || err.code === 'ERR_HTTP2_SESSION_ERROR' ? 'h2_protocol_error' : 'h2_session_error'));
    s.once('close', () => this.sessions.delete(s));
    // A HEADERS block HPACK cannot decode ends the session inside nghttp2 with no event: the idle timer finds it.
    this.idles.set(s, new ClientIdle(s, this.idleMs, () => sink?.malformed('h2_connection_error')));
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number): void {
    const sink = this.sinks.get(stream.session!);
    const idle = this.idles.get(stream.session!);
    if (idle) { idle.opened(); stream.once('close', () => idle.closed()); }
    const host: StreamHost = {
      begin: (tried, retry) => { const p = this.picker.pick(tried, retry); return p && { id: p.id, label: p.label, pool: p.pool }; },
      finish: (id, failed) => this.picker.finish(id, failed),
      done: (q) => sink?.request(q),
    };
    new StreamExchange(stream, headers, flags, host);
  }
}
