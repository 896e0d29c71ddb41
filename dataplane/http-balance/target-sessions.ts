// One target's upstream HTTP/2 sessions for the stream balancer (issue 13): streams of every client
// connection that go to this target share one session (one connection from upstreams.ts: a local
// connector's server dialed directly, or a svcnet stream to the far site's lane). A session that
// closes or receives GOAWAY takes no new stream (its in-flight ones finish on it) and the next
// stream opens a new one; a session at UPSTREAM_STREAMS in flight hands new streams to a new one.
// A session nghttp2 ended by itself (a server's HEADERS block HPACK cannot decode) is found by a probe
// after a quiet spell and destroyed, so its streams fail instead of waiting forever.
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Pool } from './target-pools.js';
import { probeEnded } from './h2-liveness.js';

/** Streams in flight on one upstream session before new ones open another session. A server's own
 *  SETTINGS_MAX_CONCURRENT_STREAMS is lower more often than not (nghttp2 then queues ours), but Node's
 *  and grpc-js's servers advertise none: this bounds what one connection to one server carries
 *  (its buffers, and what one lost connection takes down). */
export const UPSTREAM_STREAMS = 100;
/** Each upstream stream's receive window: a stream of ~1 ms round trip runs at 256 MiB/s with it. */
export const STREAM_WINDOW = 256 * 1024;
/** An upstream session's connection-level receive window (shared by its streams). */
export const SESSION_WINDOW = 4 * 1024 * 1024;
/** Node's per-session memory bound (MB), above its 10 MB default: one session carries many clients' streams. */
export const SESSION_MEMORY_MB = 32;

/** A session with streams in flight that has read and written nothing this long is probed (h2-liveness.ts). */
export const UPSTREAM_QUIET_MS = 2000;

/** `suspect`: the last probe's SETTINGS was still queued and is not ACKed */
interface Live { session: http2.ClientHttp2Session; inFlight: number; goawayLastId?: number; suspect?: boolean }

export class TargetSessions implements Pool {
  private current: Live | undefined;
  private readonly all = new Set<Live>();

  /** `open`: a new connection to the target (its failures arrive as 'error', never thrown). */
  constructor(private readonly open: () => Duplex, private readonly quietMs = UPSTREAM_QUIET_MS) {}

  /** The session for a new stream, counted in flight until `release`; made or replaced as needed. */
  take(): Live {
    let l = this.current;
    if (!l || l.session.closed || l.session.destroyed || l.goawayLastId !== undefined || l.inFlight >= UPSTREAM_STREAMS) l = this.current = this.connect();
    l.inFlight++;
    return l;
  }

  /** A stream of `l` ended: a session no longer current closes once it carries none. */
  release(l: Live): void {
    l.inFlight--;
    if (l !== this.current && l.inFlight === 0 && !l.session.closed) l.session.close();
  }

  /** The target is gone (no stream in flight): its sessions close. */
  destroy(): void {
    this.current = undefined;
    for (const l of this.all) l.session.close();
  }

  /** Sessions open now (tests and status). */
  get sessions(): number { return this.all.size; }

  private connect(): Live {
    // The authority is svcnet's: each stream carries its client's own :authority.
    const session = http2.connect('http://svcnet.upstream', {
      createConnection: () => this.open(),
      settings: { enablePush: false, initialWindowSize: STREAM_WINDOW },
      maxSessionMemory: SESSION_MEMORY_MB,
    });
    const l: Live = { session, inFlight: 0 };
    this.all.add(l);
    // Its streams see the failure (each decides on its own: retry, reset or 502).
    session.on('error', () => {});
    session.once('connect', () => { if (!session.destroyed) session.setLocalWindowSize(SESSION_WINDOW); });
    session.on('goaway', (_code: number, lastStreamId: number) => {
      l.goawayLastId = lastStreamId;
      if (this.current === l) this.current = undefined;
    });
    session.setTimeout(this.quietMs);
    session.on('timeout', () => this.quiet(l));
    session.once('close', () => {
      this.all.delete(l);
      if (this.current === l) this.current = undefined;
    });
    return l;
  }

  /** Nothing read or written for quietMs: with streams waiting, is the session still alive? */
  private quiet(l: Live): void {
    const s = l.session;
    if (l.inFlight === 0 || s.destroyed) return;
    probeEnded(s, (queued) => {
      if (!queued || s.destroyed) { l.suspect = false; return; }
      // Queued over a whole quiet spell (the probe re-arms the timer) and never ACKed: nghttp2 ended it
      // (or its connection took no byte for that long). Its streams fail; each decides (retry, reset or 502).
      if (l.suspect) s.destroy(new Error('the upstream HTTP/2 session was ended by a connection error svcnet\'s end found (such as a HEADERS block HPACK cannot decode)'));
      else l.suspect = true;
    }, () => { l.suspect = false; });
  }
}

export type { Live as UpstreamSession };
