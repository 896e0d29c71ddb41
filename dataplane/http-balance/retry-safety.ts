// Whether a failed request may be sent again to another target (issue 13): a proxy must never make
// a server see a request twice unless that is harmless. One attempt's life is a small state machine;
// `retryable` is the rule. Pure.

/** One attempt of one request at one target. */
export enum AttemptState {
  /** a connection is being found (pooled or new); no byte of the request is known to have left */
  Waiting = 'waiting',
  /** the request is being written to a connection that has not yet reached the server (new, still connecting) */
  Connecting = 'connecting',
  /** bytes may have reached the server */
  Sent = 'sent',
  /** the response head arrived: the answer is the server's, whatever happens next */
  Answered = 'answered',
  /** the response ended */
  Done = 'done',
  /** the attempt failed */
  Failed = 'failed',
}

/** Legal moves; anything else is a bug (the balancer ignores it and keeps the current state). */
const MOVES: Readonly<Record<AttemptState, readonly AttemptState[]>> = {
  [AttemptState.Waiting]: [AttemptState.Connecting, AttemptState.Sent, AttemptState.Failed],
  [AttemptState.Connecting]: [AttemptState.Sent, AttemptState.Answered, AttemptState.Failed],
  [AttemptState.Sent]: [AttemptState.Answered, AttemptState.Failed],
  [AttemptState.Answered]: [AttemptState.Done, AttemptState.Failed],
  [AttemptState.Done]: [],
  [AttemptState.Failed]: [],
};

/** Whether `from` may move to `to`. */
export function mayMove(from: AttemptState, to: AttemptState): boolean { return MOVES[from].includes(to); }

/** How an attempt failed, as far as retrying cares. */
export interface Failure {
  /** the state the attempt was in when it failed */
  state: AttemptState;
  /** the connection never reached a server: refused locally, or the far site's RESET said so
   *  (ERR_CONNECT_FAILED, ERR_NO_ROUTE, ERR_STREAM_QUOTA) */
  notReached: boolean;
  /** the connection came from the pool (it had carried earlier requests) */
  reused: boolean;
  /** GET, HEAD, OPTIONS, TRACE, PUT, DELETE (RFC 9110 9.2.2) */
  idempotent: boolean;
  /** the request's body, if any, is fully held, so it can be sent again */
  replayable: boolean;
}

/** Methods a proxy may repeat (RFC 9110 9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
export function isIdempotent(method: string): boolean { return IDEMPOTENT.has(method); }

/**
 * Whether the request may go to another target: never once answered; always when nothing of it
 * can have reached a server (still waiting, or the connection never reached one); and for an
 * idempotent request on a reused pooled connection that closed before any answer (the keep-alive
 * race every pooling proxy meets: the server closed the idle connection as we wrote). The held body
 * must be complete enough to send again.
 */
export function retryable(f: Failure): boolean {
  if (!f.replayable) return false;
  if (f.state === AttemptState.Answered || f.state === AttemptState.Done || f.state === AttemptState.Failed) return false;
  if (f.state === AttemptState.Waiting || f.notReached) return true;
  return f.reused && f.idempotent;
}

/** Attempts one request makes at most (the first and two retries): a network-wide outage does not multiply load. */
export const MAX_ATTEMPTS = 3;
