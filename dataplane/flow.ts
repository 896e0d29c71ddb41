// A local flow: one application socket (a client at a listener, or the server behind a connector)
// bound to one stream of a link. Bytes are forwarded as the Buffers Node gives us, under credit.
import type { Socket } from 'node:net';
import * as P from '../wasm/assembly/protocol.js';
import type { StreamEndpoint, StreamIO, FrameWriter } from './endpoint.js';
import type { DrainWaiter } from './outbox.js';
import { StateMachine, type Transitions } from './state-machine.js';
import type { EndCause } from './flow-record.js';
import type { HeadroomReads } from './headroom-reads.js';
import type { FlowTap } from './http-observer.js';

/** Bytes an application socket may hold unwritten before credit waits for it to drain. */
export const APP_BUFFER = 256 * 1024;

/** Flow life: both directions open, then each side closes (CLOSE/FIN) or one reset ends both. */
export enum FlowState {
  Open = 'open',
  /** the app sent FIN; we sent CLOSE; the peer may still send */
  LocalClosed = 'local-closed',
  /** the peer sent CLOSE; we ended the app socket's write side; the app may still send */
  RemoteClosed = 'remote-closed',
  /** both directions finished cleanly */
  Done = 'done',
  /** ended by a reset from either side or by the link going down */
  Reset = 'reset',
}

/** The moves a flow may make; Done and Reset are terminal (events after them are ignored, not moves). */
export const FLOW_TRANSITIONS: Transitions<FlowState> = {
  [FlowState.Open]: [FlowState.LocalClosed, FlowState.RemoteClosed, FlowState.Reset],
  [FlowState.LocalClosed]: [FlowState.Done, FlowState.Reset],
  [FlowState.RemoteClosed]: [FlowState.Done, FlowState.Reset],
  [FlowState.Done]: [],
  [FlowState.Reset]: [],
};

export class Flow implements StreamEndpoint, DrainWaiter {
  private readonly machine: StateMachine<FlowState>;
  bytesToApp = 0;
  bytesFromApp = 0;
  /** performance.now() of the first byte each way (flow records' time to first byte); 0 before */
  firstToAppAt = 0;
  firstFromAppAt = 0;
  /** why the flow did not end cleanly (flow-record.ts), set before onEnd */
  endCause: EndCause | undefined;
  /** an http1 listener's observer (issue 13): shown the bytes each way; undefined for tcp */
  tap: FlowTap | undefined = undefined;
  /** bytes read from the app that wait for credit */
  private pending: Buffer | null = null;
  private closeAfterPending = false;
  /** bytes handed to the app socket while it held more than APP_BUFFER, credited on 'drain' */
  private undrained = 0;
  private corked = false;
  /** credit taken from the core ahead of the next read (headroom reads): a read sized to it goes out whole */
  private credit = 0;
  /** paused (headroom reads) until the peer grants credit */
  private waitingForCredit = false;
  /** paused until the link's backlog drains */
  private waitingForLink = false;

  constructor(
    private readonly io: StreamIO,
    readonly slot: number,
    private readonly link: FrameWriter,
    readonly socket: Socket,
    /** called once when the flow ends; error set when it did not end cleanly */
    private readonly onEnd: (flow: Flow, error?: string) => void,
    /** the socket reads through these (made with `withHeadroomReads`): chunks have room for a header */
    reads?: HeadroomReads,
  ) {
    this.machine = new StateMachine('flow', FlowState.Open, FLOW_TRANSITIONS, io.illegal);
    socket.setNoDelay(true);
    if (reads) {
      reads.onChunk = (chunk) => this.fromApp(chunk, true);
      reads.limit = (want) => this.reserve(want);
    } else socket.on('data', (chunk: Buffer) => this.fromApp(chunk, false));
    socket.on('end', () => this.appEnded());
    socket.on('drain', () => this.drained());
    socket.on('error', (err) => this.appFailed(err));
    socket.on('close', () => this.appClosed());
  }

  private fromApp(chunk: Buffer, headroom: boolean): void {
    if (this.bytesFromApp === 0) this.firstFromAppAt = performance.now();
    this.bytesFromApp += chunk.length;
    if (this.tap !== undefined) this.tap.request(chunk);
    this.send(chunk, headroom);
    if (headroom && !this.pending && this.reserve(1) === 0 && !this.isOver()) {
      // Window shut with nothing left over: stop reading now, so the next read is sized to fresh credit and goes out whole.
      this.waitingForCredit = true;
      this.socket.pause();
    }
    if (this.link.congested && !this.waitingForLink) {
      // The link has a backlog: stop reading until it drains (credit still bounds each stream).
      this.waitingForLink = true;
      this.socket.pause();
      this.link.whenDrained(this);
    }
  }

  linkDrained(): void {
    this.waitingForLink = false;
    if (!this.pending && !this.waitingForCredit && !this.isOver()) this.socket.resume();
  }

  /** Sends as much of `chunk` as credit allows; the rest waits and the app socket is paused.
   *  `headroom`: the HEADER_SIZE bytes before `chunk` are free for its frame header. */
  private send(chunk: Buffer, headroom: boolean): void {
    let off = 0;
    while (off < chunk.length) {
      const want = Math.min(chunk.length - off, P.MAX_DATA_FRAME);
      const n = Math.min(want, this.reserve(want));
      if (n === 0) break;
      this.credit -= n;
      this.io.outbox.data(this.link, this.slot, off === 0 && n === chunk.length ? chunk : chunk.subarray(off, off + n), headroom && off === 0);
      off += n;
    }
    if (off < chunk.length) {
      this.pending = chunk.subarray(off);
      this.socket.pause();
    }
  }

  /** Credit for up to `want` bytes, taken from the core into `credit` as needed. */
  private reserve(want: number): number {
    if (this.credit < want && !this.isOver()) this.credit += this.io.core.reserveCredit(this.slot, want - this.credit);
    return this.credit;
  }

  onCredit(): void {
    if (this.waitingForCredit) {
      this.waitingForCredit = false;
      if (!this.waitingForLink && !this.isOver()) this.socket.resume();
    }
    if (!this.pending || this.isOver()) return;
    const p = this.pending;
    this.pending = null;
    this.send(p, false);
    if (this.pending) return;
    if (this.closeAfterPending) this.sendClose();
    else if (!this.waitingForLink) this.socket.resume();
  }

  private appEnded(): void {
    if (this.isOver()) return;
    if (this.pending) this.closeAfterPending = true;
    else this.sendClose();
  }

  get state(): FlowState { return this.machine.state; }

  private sendClose(): void {
    const next = this.state === FlowState.RemoteClosed ? FlowState.Done : FlowState.LocalClosed;
    if (!this.machine.to(next)) return;
    this.io.outbox.stream(this.link, P.FRAME_CLOSE, this.slot, null);
    if (next === FlowState.Done) this.finish();
  }

  onData(payload: Buffer): void {
    if (this.isOver()) return;
    if (this.bytesToApp === 0) this.firstToAppAt = performance.now();
    this.bytesToApp += payload.length;
    if (this.tap !== undefined) this.tap.response(payload);
    if (!this.corked) {
      // Every chunk delivered in this turn goes out in one writev when the outbox flushes.
      this.corked = true;
      this.socket.cork();
      this.io.uncorkLater(this);
    }
    this.socket.write(payload);
    // Credit flows back while the app socket holds little; past APP_BUFFER it waits for 'drain',
    // so a slow application stops its sender without blocking other flows on the link.
    if (this.socket.writableLength <= APP_BUFFER) {
      this.grant(payload.length + this.undrained);
      this.undrained = 0;
    } else {
      this.undrained += payload.length;
    }
  }

  /** Called by the outbox after its flush: releases this turn's corked writes. */
  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }

  private drained(): void {
    const n = this.undrained;
    this.undrained = 0;
    if (n > 0 && !this.isOver()) this.grant(n);
  }

  private grant(n: number): void {
    const credit = this.io.core.consumed(this.slot, n);
    if (credit > 0) this.io.outbox.stream(this.link, P.FRAME_CREDIT, this.slot, null, credit);
  }

  onRemoteClose(): void {
    if (this.isOver()) return;
    const next = this.state === FlowState.LocalClosed ? FlowState.Done : FlowState.RemoteClosed;
    if (!this.machine.to(next)) return;
    this.socket.end();
    if (next === FlowState.Done) this.finish();
  }

  onReset(code: number): void {
    if (this.isOver() || !this.machine.to(FlowState.Reset)) return;
    this.endCause = { by: 'peer', code };
    this.finish(`reset by peer (code ${code})`);
    this.socket.resetAndDestroy();
  }

  abort(code: number): void {
    if (this.isOver() || !this.machine.to(FlowState.Reset)) return;
    this.endCause = { by: 'link', code };
    this.finish(`aborted (code ${code})`);
    this.socket.resetAndDestroy();
  }

  get linkIndex(): number { return this.link.index; }

  resetLocal(code: number, why: string): void { this.reset(code, why); }

  /** Resets the stream from our side (app error, connect failure, shutdown). */
  reset(code: number, why: string, by: EndCause['by'] = 'local'): void {
    if (this.isOver() || !this.machine.to(FlowState.Reset)) return;
    this.endCause = { by, code };
    this.io.outbox.cancelSlot(this.slot);
    this.io.outbox.stream(this.link, P.FRAME_RESET, this.slot, null, code);
    this.finish(why);
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  private appFailed(err: Error): void {
    this.reset((err as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? P.ERR_CONNECT_FAILED : P.ERR_ABORTED, err.message, 'app');
  }

  private appClosed(): void {
    // A socket that closes before both directions finished (destroyed, RST) resets the stream.
    if (!this.isOver()) this.reset(P.ERR_ABORTED, 'application socket closed', 'app');
  }

  private isOver(): boolean { return this.machine.terminal; }

  /** After the move to Done or Reset: the slot is forgotten and the owner told, once. */
  private finish(error?: string): void {
    this.pending = null;
    this.io.done(this);
    this.onEnd(this, error);
  }
}
