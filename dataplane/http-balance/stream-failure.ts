// What the HTTP/2 stream balancer does when one upstream stream fails (issue 13): send it again to
// another target, reset the client's stream with the server's code, or answer 502. A stream may go
// elsewhere only when no server can have processed it (retry-safety.ts's rule, with HTTP/2's own
// signs of "not processed": RST_STREAM REFUSED_STREAM and a GOAWAY naming a lower last stream id,
// RFC 9113 8.7). Pure.
import http2 from 'node:http2';
import { AttemptState, retryable, MAX_ATTEMPTS } from './retry-safety.js';

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = http2.constants;

/** One failed attempt of a stream, as far as the decision cares. */
export interface StreamFailure {
  /** the response's headers had reached the client */
  answered: boolean;
  /** the server reset the stream (RST_STREAM) with `rstCode`; false: the session or its connection failed */
  resetByServer: boolean;
  /** the RST_STREAM code (NGHTTP2_NO_ERROR when none) */
  rstCode: number;
  /** the upstream connection never reached a server (upstreams.ts's notReached: refused, far site's RESET) */
  notReached: boolean;
  /** the stream's id on its session (undefined: never submitted) */
  streamId: number | undefined;
  /** the last stream id of a GOAWAY the session received, if any */
  goawayLastId: number | undefined;
  /** the request's body seen so far is fully held (can be sent again) */
  replayable: boolean;
  /** attempts made so far, this one included */
  attempts: number;
}

/** What to do with the client's stream. */
export type StreamVerdict =
  | { kind: 'retry' }
  | { kind: 'reset'; code: number }
  | { kind: 'answer'; status: number };

/** Whether no server can have processed the stream (RFC 9113 8.7). */
export function unprocessed(f: StreamFailure): boolean {
  if (f.notReached) return true;
  if (f.resetByServer && f.rstCode === NGHTTP2_REFUSED_STREAM) return true;
  return f.goawayLastId !== undefined && (f.streamId === undefined || f.streamId > f.goawayLastId);
}

/**
 * Retry when nothing was processed, the body is held and attempts remain; otherwise a server's
 * RST_STREAM passes to the client with its code, an unanswered stream gets 502 (as the HTTP/1.1
 * balancer answers; gRPC reads it as UNAVAILABLE), and an answered one is reset (INTERNAL_ERROR).
 */
export function streamVerdict(f: StreamFailure): StreamVerdict {
  const state = f.answered ? AttemptState.Answered : AttemptState.Sent;
  if (f.attempts < MAX_ATTEMPTS && retryable({ state, notReached: unprocessed(f), reused: false, idempotent: false, replayable: f.replayable })) return { kind: 'retry' };
  if (f.resetByServer && f.rstCode !== NGHTTP2_NO_ERROR) return { kind: 'reset', code: f.rstCode };
  if (!f.answered) return { kind: 'answer', status: 502 };
  return { kind: 'reset', code: NGHTTP2_INTERNAL_ERROR };
}
