// Multi-hop: a site between two others joins an inbound stream to an outbound one. The core
// forwards DATA slot-to-slot (DESC_FORWARD); the relay only sends it on under the next hop's credit
// and returns credit upstream once bytes are handed on, so a slow far end bounds our memory.
import * as P from '../wasm/assembly/protocol.js';
import type { StreamEndpoint, StreamIO, FrameWriter } from './endpoint.js';
import type { DrainWaiter } from './outbox.js';
import { StateMachine, type Transitions } from './state-machine.js';

/** A relay half's stream (`slot`), seen from this site: we send on it what the other half receives. */
export enum RelayState {
  /** both directions of the slot open */
  Open = 'open',
  /** we sent CLOSE on the slot (the other half's sender finished and its bytes are out) */
  LocalClosed = 'local-closed',
  /** CLOSE arrived on the slot; passed on through the other half */
  RemoteClosed = 'remote-closed',
  /** both directions of the slot closed; the relay ends when the other half is Closed too */
  Closed = 'closed',
  /** the whole relay finished cleanly */
  Done = 'done',
  /** reset from either side, or the link under either half went down */
  Reset = 'reset',
}

/** The moves a relay half may make. Done is reached by both halves together, from Closed. */
export const RELAY_TRANSITIONS: Transitions<RelayState> = {
  [RelayState.Open]: [RelayState.LocalClosed, RelayState.RemoteClosed, RelayState.Reset],
  [RelayState.LocalClosed]: [RelayState.Closed, RelayState.Reset],
  [RelayState.RemoteClosed]: [RelayState.Closed, RelayState.Reset],
  [RelayState.Closed]: [RelayState.Done, RelayState.Reset],
  [RelayState.Done]: [],
  [RelayState.Reset]: [],
};

/** One direction of a relay: sends on `slot` what arrives on `peer.slot`. */
export class RelayHalf implements StreamEndpoint, DrainWaiter {
  peer!: RelayHalf;
  private queue: Buffer[] = [];
  /** a CLOSE waits for queued bytes to go out (under credit) */
  private closeQueued = false;
  private readonly machine: StateMachine<RelayState>;

  constructor(private readonly io: StreamIO, readonly slot: number, readonly link: FrameWriter, private readonly onEnd: (error?: string) => void) {
    this.machine = new StateMachine('relay-half', RelayState.Open, RELAY_TRANSITIONS, io.illegal);
  }

  get state(): RelayState { return this.machine.state; }
  /** Done or Reset: nothing more is sent or received on this half */
  get over(): boolean { return this.machine.terminal; }
  /** no more DATA can arrive on this half's slot */
  private get receiveClosed(): boolean { const s = this.state; return s !== RelayState.Open && s !== RelayState.LocalClosed; }
  /** we sent CLOSE on this half's slot (or it is over) */
  private get sendClosed(): boolean { const s = this.state; return s !== RelayState.Open && s !== RelayState.RemoteClosed; }

  /** Joins two halves in the core and here. */
  static join(a: RelayHalf, b: RelayHalf): void {
    a.peer = b;
    b.peer = a;
    a.io.core.setForward(a.slot, b.slot);
    b.io.core.setForward(b.slot, a.slot);
  }

  /** Forwarded bytes (arrived on peer.slot) to send on this half's slot. */
  onData(payload: Buffer): void {
    if (this.over) return;
    if (this.queue.length > 0) { this.queue.push(payload); return; }
    this.sendSome(payload);
  }

  private sendSome(payload: Buffer): boolean {
    const n = this.io.core.reserveCredit(this.slot, payload.length);
    if (n > 0) {
      this.io.outbox.stream(this.link, P.FRAME_DATA, this.slot, n === payload.length ? payload : payload.subarray(0, n));
      // Upstream credit waits while the next link has a backlog, so a relay holds little.
      if (this.link.congested) {
        this.owed += n;
        if (this.owed === n) this.link.whenDrained(this);
      } else this.grantUpstream(n);
    }
    if (n < payload.length) { this.queue.unshift(payload.subarray(n)); return false; }
    return true;
  }

  /** bytes sent on but not yet credited upstream (the next link was congested) */
  private owed = 0;

  linkDrained(): void {
    const n = this.owed;
    this.owed = 0;
    if (n > 0 && !this.over) this.grantUpstream(n);
  }

  private grantUpstream(n: number): void {
    // Credit upstream matters only while the peer half may still receive DATA; once it is over or
    // closed by its sender its slot may be released and, once settled, belong to another stream.
    if (this.peer.receiveClosed) return;
    const credit = this.io.core.consumed(this.peer.slot, n);
    if (credit > 0) this.io.outbox.stream(this.peer.link, P.FRAME_CREDIT, this.peer.slot, null, credit);
  }

  onCredit(): void {
    while (this.queue.length > 0 && !this.over) {
      if (!this.sendSome(this.queue.shift()!)) return;
    }
    if (this.closeQueued) this.sendClose();
  }

  /** The peer of the *other* half closed: close our side once queued bytes are out. */
  closeWhenFlushed(): void {
    if (this.queue.length > 0) this.closeQueued = true;
    else this.sendClose();
  }

  private sendClose(): void {
    this.closeQueued = false;
    if (this.sendClosed) return;
    if (!this.machine.to(this.state === RelayState.RemoteClosed ? RelayState.Closed : RelayState.LocalClosed)) return;
    this.io.outbox.stream(this.link, P.FRAME_CLOSE, this.slot, null);
    this.finishIfDone();
  }

  /** CLOSE arrived on this half's slot: pass it on through the other half. */
  onRemoteClose(): void {
    if (this.over) return;
    if (!this.machine.to(this.state === RelayState.LocalClosed ? RelayState.Closed : RelayState.RemoteClosed)) return;
    this.peer.closeWhenFlushed();
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.state === RelayState.Closed && this.peer.state === RelayState.Closed) {
      this.end(RelayState.Done);
      this.peer.end(RelayState.Done);
      this.onEnd();
    }
  }

  private end(how: RelayState.Done | RelayState.Reset): void {
    if (this.over || !this.machine.to(how)) return;
    this.queue = [];
    this.io.done(this);
  }

  onReset(code: number): void {
    if (this.over) return;
    this.end(RelayState.Reset);
    this.peer.resetOut(code);
    this.onEnd(`reset by peer (code ${code})`);
  }

  abort(code: number): void {
    if (this.over) return;
    this.end(RelayState.Reset);
    this.peer.resetOut(code);
    this.onEnd(`link down (code ${code})`);
  }

  get linkIndex(): number { return this.link.index; }

  resetLocal(code: number, why: string): void {
    if (this.over) return;
    this.resetOut(code);
    this.peer.resetOut(code);
    this.onEnd(why);
  }

  /** Resets this half's slot toward its link. */
  resetOut(code: number): void {
    if (this.over) return;
    this.io.outbox.cancelSlot(this.slot);
    this.io.outbox.stream(this.link, P.FRAME_RESET, this.slot, null, code);
    this.end(RelayState.Reset);
  }
}
