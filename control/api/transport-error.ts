// gRPC transport failures (no connection, name not resolved, deadline) in plain words: grpc-js's
// details ("No connection established. Last error: … Resolution note:", "Waiting for LB pick") are
// its internals, not something a user can act on (issue 15). Pure: tested with tables of cases.
import * as grpc from '@grpc/grpc-js';

const ERRNO_WORDS: Readonly<Record<string, string>> = Object.freeze({
  ECONNREFUSED: 'connection refused', ENOENT: 'no socket there', EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable', ETIMEDOUT: 'connection timed out', ECONNRESET: 'connection reset',
  EACCES: 'permission denied', EPIPE: 'connection closed', EADDRNOTAVAIL: 'address not available',
});

/** True when a failed call never reached a server that answered it (so the failure says nothing about the request). */
export function isTransportFailure(err: { code: number; details?: string }): boolean {
  return err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED;
}

/** `target` as a user wrote it: a host:port, or the path of a unix socket. */
export function plainTarget(target: string): string {
  return target.replace(/^unix:(\/\/)?/, '').replace(/^dns:(\/\/\/)?/, '');
}

/**
 * One short clause for a transport failure of a call to `target`: "no answer at HOST:PORT
 * (connection refused)", "cannot resolve host H", "no answer at HOST:PORT within 10 s".
 * `timeoutMs` is the deadline the caller set.
 */
export function transportReason(err: { code: number; details?: string }, target: string, timeoutMs?: number): string {
  const details = err.details ?? '';
  const where = plainTarget(target);
  if (/Name resolution failed|ENOTFOUND|EAI_AGAIN/.test(details)) {
    return `cannot resolve host ${where.replace(/:\d+$/, '')}`;
  }
  if (err.code === grpc.status.DEADLINE_EXCEEDED || /Deadline exceeded/i.test(details)) {
    return `no answer at ${where}${timeoutMs ? ` within ${+(timeoutMs / 1000).toFixed(1)} s` : ''}`;
  }
  const errno = /\b(E[A-Z]{3,})\b/.exec(details)?.[1];
  if (errno) return `no answer at ${where} (${ERRNO_WORDS[errno] ?? errno})`;
  const last = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/.exec(details)?.[1];
  return `no answer at ${where}${last ? ` (${last.trim()})` : ''}`;
}

/** What a TLS verification failure said, without grpc-js's wrapping ("self-signed certificate in certificate chain"). */
export function tlsReason(details: string): string {
  return (/Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/.exec(details)?.[1] ?? details).trim();
}
