// What the data plane needs from whatever owns a stream slot: a local flow or one half of a relay.
import type { ForwardingCore } from './core/core.js';
import type { Outbox, FrameWriter } from './outbox.js';
import type { IllegalTransition } from './state-machine.js';

export interface StreamEndpoint {
  readonly slot: number;
  /** DATA arrived for this slot (local flows) or is to be sent on it (relay halves) */
  onData(payload: Buffer): void;
  /** the peer granted credit on this slot */
  onCredit(): void;
  /** the peer half-closed this slot */
  onRemoteClose(released: boolean): void;
  /** the peer reset this slot; the core already released it */
  onReset(code: number): void;
  /** the link under this slot is gone; the core releases it; nothing may be sent on it */
  abort(code: number): void;
  /** we reset the stream ourselves (protocol error on it, shutdown): RESET goes out */
  resetLocal(code: number, why: string): void;
  /** index of the link this slot belongs to */
  readonly linkIndex: number;
}

/** The pieces an endpoint talks to, shared by all endpoints of a data plane. */
export interface StreamIO {
  readonly core: ForwardingCore;
  readonly outbox: Outbox;
  /** the endpoint is finished: forget its slot */
  done(endpoint: StreamEndpoint): void;
  /** uncork `s` right after this turn's outbox flush (coalesces app-socket writes per turn) */
  uncorkLater(s: { uncork(): void }): void;
  /** an endpoint's state machine was asked for a move its table refuses (state-machine.ts) */
  readonly illegal: IllegalTransition;
}

export type { FrameWriter };
