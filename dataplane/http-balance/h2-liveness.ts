// Whether nghttp2 has ended an HTTP/2 session on its own (issue 13). On a connection error it finds
// in what it reads — a HEADERS block HPACK cannot decode — nghttp2 queues a GOAWAY (COMPRESSION_ERROR),
// sends it, then sends nothing more, and Node stops reading the socket: no 'error', no 'goaway', no
// 'close', streams neither answered nor closed, not even the peer's FIN is seen. The one trace left
// is its outbound queue, which no longer drains: a frame submitted now stays in it.
import type http2 from 'node:http2';

/**
 * Submits an empty SETTINGS frame (any peer must take one and ACK it; unlike PING, no server counts
 * it against a ping policy) and, once Node has had its turn to write, tells `verdict` whether the
 * frame is still queued. A live session's frame leaves at once unless a write of the session is
 * stuck; callers that cannot rule that out ask twice (`acked` says whether the last one was ACKed).
 */
export function probeEnded(s: http2.Http2Session, verdict: (queued: boolean) => void, acked?: () => void): void {
  try {
    s.settings({}, () => acked?.());
  } catch {
    // Too many SETTINGS unacknowledged (Node's limit): the peer or the session is not answering.
    verdict(true);
    return;
  }
  setImmediate(() => verdict(!s.destroyed && (s.state.outboundQueueSize ?? 0) > 0));
}
