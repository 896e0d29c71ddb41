// The control API's error catalogue: stable codes, the gRPC status each maps to, and the
// conversions between an ApiError and a gRPC status (metadata carries the code and the field).
import * as grpc from '@grpc/grpc-js';
import { UnsafeNameError } from '../state/safe-name.js';
import { isTransportFailure, transportReason, plainTarget } from './transport-error.js';

/** Every error the control API returns, with its gRPC status and what it means (docs/errors.md). */
export const API_ERRORS = {
  SVCNET_ERR_INVALID_ARGUMENT: { status: grpc.status.INVALID_ARGUMENT, doc: 'a request or manifest field is malformed; svcnet-field names it' },
  SVCNET_ERR_NOT_FOUND: { status: grpc.status.NOT_FOUND, doc: 'no resource of that kind and name' },
  SVCNET_ERR_ALREADY_EXISTS: { status: grpc.status.ALREADY_EXISTS, doc: 'the resource exists and the call asked to create only' },
  SVCNET_ERR_STALE_VERSION: { status: grpc.status.ABORTED, doc: 'the resource changed since the caller read it (resourceVersion differs); read again and retry' },
  SVCNET_ERR_PRECONDITION: { status: grpc.status.FAILED_PRECONDITION, doc: 'the request is valid but the site state refuses it (port in use, credentials missing, token refused)' },
  SVCNET_ERR_NOT_RUNNING: { status: grpc.status.FAILED_PRECONDITION, doc: 'the call needs the running site (metrics, live status)' },
  SVCNET_ERR_UNAUTHENTICATED: { status: grpc.status.UNAUTHENTICATED, doc: 'no client certificate, or one not signed by this site\'s CA' },
  SVCNET_ERR_PERMISSION_DENIED: { status: grpc.status.PERMISSION_DENIED, doc: 'a certificate of this site\'s CA that is not an API client certificate (e.g. a link certificate)' },
  SVCNET_ERR_UNIMPLEMENTED: { status: grpc.status.UNIMPLEMENTED, doc: 'the call is not available yet' },
  SVCNET_ERR_WATCH_OVERFLOW: { status: grpc.status.RESOURCE_EXHAUSTED, doc: 'a watcher fell too far behind and was cut off; watch again' },
  SVCNET_ERR_UNAVAILABLE: { status: grpc.status.UNAVAILABLE, doc: 'the site (or the site a token points at) cannot be reached' },
  SVCNET_ERR_BENCH_BUSY: { status: grpc.status.RESOURCE_EXHAUSTED, doc: 'a bench between the same two sites is already running (RunBenchmark, issue 14)' },
  SVCNET_ERR_BENCH_FAILED: { status: grpc.status.ABORTED, doc: 'a bench stopped before its figures: a flow was reset or refused on the path (the message says which code)' },
  SVCNET_ERR_CANCELLED: { status: grpc.status.CANCELLED, doc: 'the bench was cancelled; every flow it opened was closed' },
  SVCNET_ERR_INTERNAL: { status: grpc.status.INTERNAL, doc: 'a bug; the site logs the details' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** An expected API failure: a stable code, a one-line message, and for bad input the field path. */
export class ApiError extends Error {
  constructor(readonly code: ApiErrorCode, message: string, readonly field?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
  get status(): grpc.status { return API_ERRORS[this.code].status; }
}

/**
 * The ApiError for any thrown value: itself, INVALID_ARGUMENT for a name the store refused (the
 * edges check first; this is the second line), else INTERNAL with `internalMessage`.
 */
export function asApiError(err: unknown, internalMessage: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof UnsafeNameError) return new ApiError('SVCNET_ERR_INVALID_ARGUMENT', err.message, 'name', { cause: err });
  return new ApiError('SVCNET_ERR_INTERNAL', internalMessage, undefined, { cause: err });
}

/** The gRPC status for any thrown value; unexpected errors become INTERNAL without their details. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  const e = asApiError(err, 'internal error; see the site log');
  const metadata = new grpc.Metadata();
  metadata.set('svcnet-error', e.code);
  if (e.field) metadata.set('svcnet-field', e.field);
  return { code: e.status, details: e.message, metadata };
}

/** Who a client calls, for messages about a call that reached no server ("site east" at its socket). */
export interface CallTarget { target: string; who?: string; timeoutMs?: number }

/**
 * The ApiError a client sees for a failed call (code and field from trailing metadata). A call
 * that reached no server is SVCNET_ERR_UNAVAILABLE in plain words (issue 15), not grpc-js's details.
 */
export function fromServiceError(err: grpc.ServiceError, to?: CallTarget): ApiError {
  const code = String(err.metadata?.get('svcnet-error')[0] ?? '');
  if (!code && to && isTransportFailure(err)) {
    return new ApiError('SVCNET_ERR_UNAVAILABLE', `${to.who ?? `the control API at ${plainTarget(to.target)}`} is not running or not reachable: ${transportReason(err, to.target, to.timeoutMs)}`, undefined, { cause: err });
  }
  const field = err.metadata?.get('svcnet-field')[0];
  const known = (code in API_ERRORS ? code : undefined) as ApiErrorCode | undefined;
  const byStatus = (Object.keys(API_ERRORS) as ApiErrorCode[]).find((k) => API_ERRORS[k].status === err.code);
  return new ApiError(known ?? byStatus ?? 'SVCNET_ERR_INTERNAL', err.details || err.message, field === undefined ? undefined : String(field), { cause: err });
}
