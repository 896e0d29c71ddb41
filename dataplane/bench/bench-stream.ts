// One bench stream's end inside the engine (issue 14): a StreamEndpoint with no socket behind it.
// It runs the Flow state machine (flow.ts FLOW_TRANSITIONS) and leaves what to do with the bytes to
// its behaviour (a source, sink, echo or pinger: bench-driver.ts, bench-server.ts), so bench
// traffic crosses links, relays and credit exactly as a flow's does, without touching a listener,
// connector or flow record.
import * as P from '../../wasm/assembly/protocol.js';
import type { StreamEndpoint, StreamIO, FrameWriter } from '../endpoint.js';
import type { DrainWaiter } from '../outbox.js';
import { FlowState, FLOW_TRANSITIONS } from '../flow.js';
import { StateMachine } from '../state-machine.js';

/** What a bench stream does with its events. */
export interface BenchBehaviour {
  /** bytes arrived (already counted in bytesIn; credit is the behaviour's to grant) */
  data(s: BenchStream, payload: Buffer): void;
  /** the peer granted credit, or the link's backlog drained: send more if there is more */
  writable(s: BenchStream): void;
  /** the peer half-closed the stream */
  remoteClosed(s: BenchStream): void;
  /** the stream is over: error unset when both sides closed cleanly (s.endCode says which code reset it) */
  ended(s: BenchStream, error?: string): void;
}

export class BenchStream implements StreamEndpoint, DrainWaiter {
  private readonly machine: StateMachine<FlowState>;
  bytesIn = 0;
  bytesOut = 0;
  /** performance.now() when the stream was made */
  readonly startedAt = performance.now();
  private waitingForLink = false;
  /** the protocol error code that reset the stream (ours, the peer's, or the link's), if one did */
  endCode: number | undefined;

  constructor(
    private readonly io: StreamIO, readonly slot: number, private readonly link: FrameWriter, private readonly behaviour: BenchBehaviour,
    /** the engine's bench byte counters (never the flow records'): both ends count here */
    private readonly counters: { bytesSent: number; bytesReceived: number },
  ) {
    this.machine = new StateMachine('bench-stream', FlowState.Open, FLOW_TRANSITIONS, io.illegal);
  }

  get linkIndex(): number { return this.link.index; }
  get state(): FlowState { return this.machine.state; }
  get over(): boolean { return this.machine.terminal; }
  /** we may still send (we have not sent CLOSE) */
  get sending(): boolean { return this.state === FlowState.Open || this.state === FlowState.RemoteClosed; }

  /** Sends up to `buf.length` bytes of `buf` under the credit the core holds for us, in frames of
   *  at most MAX_DATA_FRAME; returns how many went. Nothing goes while the link holds a backlog
   *  (writable() is called once it drained). `buf` must stay unchanged until the outbox flushed.
   *  `headroom`: the HEADER_SIZE bytes in front of `buf` are ours, and `buf` goes out whole as one
   *  frame or is copied: every whole frame of a stream has the same header (length, type, stream),
   *  so a source may send one buffer again and again without a copy while earlier sends of it
   *  still wait in the link's queue. */
  send(buf: Buffer, headroom = false): number {
    if (!this.sending) return 0;
    if (this.link.congested) { this.waitForLink(); return 0; }
    let off = 0;
    while (off < buf.length) {
      const n = this.io.core.reserveCredit(this.slot, Math.min(buf.length - off, P.MAX_DATA_FRAME));
      if (n === 0) break;
      const whole = off === 0 && n === buf.length;
      this.io.outbox.data(this.link, this.slot, whole ? buf : buf.subarray(off, off + n), headroom && whole);
      off += n;
    }
    this.bytesOut += off;
    this.counters.bytesSent += off;
    return off;
  }

  /** The link is congested: writable() once it drained. */
  private waitForLink(): void {
    if (this.waitingForLink) return;
    this.waitingForLink = true;
    this.link.whenDrained(this);
  }

  /** Hands `n` consumed bytes back to the sender as credit. */
  grant(n: number): void {
    if (this.over) return;
    const credit = this.io.core.consumed(this.slot, n);
    if (credit > 0) this.io.outbox.stream(this.link, P.FRAME_CREDIT, this.slot, null, credit);
  }

  /** Half-closes our side (CLOSE); done once the peer closed too. */
  close(): void {
    if (!this.sending) return;
    const next = this.state === FlowState.RemoteClosed ? FlowState.Done : FlowState.LocalClosed;
    if (!this.machine.to(next)) return;
    this.io.outbox.stream(this.link, P.FRAME_CLOSE, this.slot, null);
    if (next === FlowState.Done) this.finish();
  }

  /** Resets the stream from our side (cancellation, a cap, a peer that misbehaves). */
  reset(code: number, why: string): void {
    if (this.over || !this.machine.to(FlowState.Reset)) return;
    this.endCode = code;
    this.io.outbox.cancelSlot(this.slot);
    this.io.outbox.stream(this.link, P.FRAME_RESET, this.slot, null, code);
    this.finish(why);
  }

  // ---- StreamEndpoint -------------------------------------------------------------------------
  onData(payload: Buffer): void {
    if (this.over) return;
    this.bytesIn += payload.length;
    this.counters.bytesReceived += payload.length;
    this.behaviour.data(this, payload);
  }
  onCredit(): void { if (!this.over) this.behaviour.writable(this); }
  linkDrained(): void { this.waitingForLink = false; if (!this.over) this.behaviour.writable(this); }
  onRemoteClose(): void {
    if (this.over) return;
    const next = this.state === FlowState.LocalClosed ? FlowState.Done : FlowState.RemoteClosed;
    if (!this.machine.to(next)) return;
    if (next === FlowState.Done) { this.finish(); return; }
    this.behaviour.remoteClosed(this);
  }
  onReset(code: number): void {
    if (this.over || !this.machine.to(FlowState.Reset)) return;
    this.endCode = code;
    this.finish(`reset by peer (code ${code})`);
  }
  abort(code: number): void {
    if (this.over || !this.machine.to(FlowState.Reset)) return;
    this.endCode = code;
    this.finish(`link down (code ${code})`);
  }
  resetLocal(code: number, why: string): void { this.reset(code, why); }

  private finish(error?: string): void {
    this.io.done(this);
    this.behaviour.ended(this, error);
  }
}
