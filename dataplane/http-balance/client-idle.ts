// The idle timeout of a stream-balanced (HTTP/2) listener's client connections (issue 13): a session
// with no open stream for `ms` is closed with a GOAWAY (NO_ERROR), as the HTTP/1.1 balancer closes a
// connection idle between requests (CLIENT_IDLE_MS); one with a stream open stays however quiet the
// stream is (a gRPC stream waiting for its next message). It also finds a session Node's HTTP/2 end
// gave up on without a word: nghttp2 answers a HEADERS block HPACK cannot decode with a GOAWAY
// (COMPRESSION_ERROR) and Node stops reading the socket — no event, no stream, no close, not even
// at the client's FIN — so only a timer can end it.
import type http2 from 'node:http2';
import { CLIENT_IDLE_MS } from './request-balancer.js';
import { probeEnded } from './h2-liveness.js';

/** The idle timeout: SVCNET_H2_CLIENT_IDLE_MS (tests shorten it) or CLIENT_IDLE_MS. */
export function clientIdleMsFromEnv(): number {
  const v = Number(process.env.SVCNET_H2_CLIENT_IDLE_MS);
  return Number.isInteger(v) && v >= 50 ? v : CLIENT_IDLE_MS;
}

export class ClientIdle {
  private open = 0;
  /** one timer per session, restarted (refresh) when its last stream closes: nothing made per stream */
  private readonly timer: NodeJS.Timeout;

  /** `dead`: called (before the close) when the session turns out to be one nghttp2 had ended. */
  constructor(private readonly s: http2.ServerHttp2Session, private readonly ms: number, private readonly dead: () => void) {
    this.timer = setTimeout(() => this.expire(), ms);
    this.timer.unref();
    s.once('close', () => clearTimeout(this.timer));
  }

  /** A stream of the session opened: no timeout while it is open (the timer, if it fires, finds it). */
  opened(): void {
    this.open++;
  }

  /** A stream of the session closed: the timeout starts again when it was the last. */
  closed(): void {
    if (--this.open === 0 && !this.s.destroyed) this.timer.refresh();
  }

  private expire(): void {
    const s = this.s;
    if (s.destroyed || s.closed || this.open > 0) return;
    // With no stream open nothing of ours is being written: a frame still queued means nghttp2 ended it.
    probeEnded(s, (ended) => {
      if (s.destroyed) return;
      if (ended) { this.dead(); s.destroy(); return; }
      s.close();
      // A client that neither closes after the GOAWAY nor opens anything is dropped one timeout later.
      setTimeout(() => { if (!s.destroyed) s.destroy(); }, this.ms).unref();
    });
  }
}
