// The link protocol's error codes (shared with the wasm core through protocol.ts) as typed errors
// with stable names, for logs, GOAWAY reasons and status. docs/errors.md documents every name.
import * as P from '../wasm/assembly/protocol.js';

/** Stable name per protocol error code. */
export const PROTOCOL_ERROR_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [P.ERR_BAD_TYPE]: 'SVCNET_ERR_FRAME_TYPE',
  [P.ERR_FRAME_TOO_LARGE]: 'SVCNET_ERR_FRAME_TOO_LARGE',
  [P.ERR_BAD_STREAM]: 'SVCNET_ERR_FRAME_STREAM',
  [P.ERR_FLOW_CONTROL]: 'SVCNET_ERR_FLOW_CONTROL',
  [P.ERR_BAD_LENGTH]: 'SVCNET_ERR_FRAME_MALFORMED',
  [P.ERR_STREAM_LIMIT]: 'SVCNET_ERR_STREAM_LIMIT',
  [P.ERR_BAD_LINK]: 'SVCNET_ERR_LINK_SLOT',
  [P.ERR_BAD_STATE]: 'SVCNET_ERR_STREAM_STATE',
  [P.ERR_NO_ROUTE]: 'SVCNET_ERR_NO_ROUTE',
  [P.ERR_CONNECT_FAILED]: 'SVCNET_ERR_CONNECT_FAILED',
  [P.ERR_LINK_DOWN]: 'SVCNET_ERR_LINK_DOWN',
  [P.ERR_ABORTED]: 'SVCNET_ERR_ABORTED',
  [P.ERR_TABLE_FULL]: 'SVCNET_ERR_TABLE_FULL',
  [P.ERR_PEER_IDENTITY]: 'SVCNET_ERR_PEER_IDENTITY',
  [P.ERR_ROUTES_BUDGET]: 'SVCNET_ERR_ROUTES_BUDGET',
  [P.ERR_HELLO_TIMEOUT]: 'SVCNET_ERR_HELLO_TIMEOUT',
  [P.ERR_OVER_BUDGET]: 'SVCNET_ERR_OVER_BUDGET',
  [P.ERR_STREAM_QUOTA]: 'SVCNET_ERR_STREAM_QUOTA',
  [P.ERR_CERT_REVOKED]: 'SVCNET_ERR_CERT_REVOKED',
  [P.ERR_POLICY_DENIED]: 'SVCNET_ERR_POLICY_DENIED',
});

/** A protocol error reported by the core: code, stable name, and where in the input it was found. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(readonly code: number, readonly offset: number, readonly slot = 0) {
    super(`${protocolErrorName(code)} (code ${code}) at offset ${offset}${slot ? ` on slot ${slot}` : ''}`);
  }
  get id(): string { return protocolErrorName(this.code); }
}

/** The stable name of a protocol error code (unknown codes from a newer peer included). */
export function protocolErrorName(code: number): string {
  return PROTOCOL_ERROR_NAMES[code] ?? `SVCNET_ERR_PROTOCOL_${code}`;
}
