// Slot → StreamEndpoint (a local flow or a relay half): where the decode sink's stream events are
// dispatched, and the StreamIO every endpoint talks to. Slots are data-plane wide, not per link.
import * as P from '../wasm/assembly/protocol.js';
import type { ForwardingCore } from './core/core.js';
import type { Outbox, FrameWriter } from './outbox.js';
import type { StreamEndpoint, StreamIO } from './endpoint.js';
import type { IllegalTransition } from './state-machine.js';

export class EndpointTable implements StreamIO {
  private readonly endpoints: (StreamEndpoint | undefined)[] = new Array(P.MAX_SLOTS);

  constructor(readonly core: ForwardingCore, readonly outbox: Outbox, readonly illegal: IllegalTransition) {}

  /** `ep` now owns its slot: stream events for the slot go to it. */
  set(ep: StreamEndpoint): void { this.endpoints[ep.slot] = ep; }

  /** StreamIO: the endpoint is finished; its slot is forgotten unless another endpoint took it. */
  done(ep: StreamEndpoint): void {
    if (this.endpoints[ep.slot] === ep) this.endpoints[ep.slot] = undefined;
  }

  /** StreamIO: uncork `s` right after this turn's outbox flush. */
  uncorkLater(s: { uncork(): void }): void { this.outbox.uncorkLater(s); }

  // Stream events from the decode sink (link.ts passes them on once the link is ready).
  onData(slot: number, payload: Buffer): void { this.endpoints[slot]?.onData(payload); }
  onForward(target: number, payload: Buffer): void { this.endpoints[target]?.onData(payload); }
  onCredit(slot: number): void { this.endpoints[slot]?.onCredit(); }
  onClose(slot: number, released: boolean): void { this.endpoints[slot]?.onRemoteClose(released); }

  /** The peer reset `slot` (the core released it): frames still queued for it must not go out. */
  onReset(slot: number, code: number): void {
    const ep = this.endpoints[slot];
    this.outbox.cancelSlot(slot);
    this.endpoints[slot] = undefined;
    ep?.onReset(code);
  }

  /** A protocol error on one stream: its endpoint resets it, or, with none, a RESET answers it. */
  onStreamError(link: FrameWriter, slot: number, code: number): void {
    const ep = this.endpoints[slot];
    if (ep) { ep.resetLocal(code, `protocol error ${code}`); return; }
    // No endpoint: the OPEN was refused or is being reset, or the flow has just ended. A RESET may be
    // queued already (then this one finds the slot released and is dropped at encode); releasing the
    // slot here instead would leave the peer's stream without a RESET.
    this.outbox.stream(link, P.FRAME_RESET, slot, null, code);
  }

  /** Link `index` went down: every endpoint on it is aborted (nothing more is sent on its slots). */
  abortLink(index: number, code: number): void {
    for (let s = 1; s < P.MAX_SLOTS; s++) {
      const ep = this.endpoints[s];
      if (ep && ep.linkIndex === index) {
        this.endpoints[s] = undefined;
        ep.abort(code);
      }
    }
  }

  /** Resets every endpoint from our side (shutdown). */
  resetAll(code: number, why: string): void {
    for (let s = 1; s < P.MAX_SLOTS; s++) this.endpoints[s]?.resetLocal(code, why);
  }
}
