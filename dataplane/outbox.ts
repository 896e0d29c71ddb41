// Coalesces every outbound frame of one event-loop turn: one encode() call into the core, then per
// link as few buffers as the frames allow — headers and payloads without headroom joined into one,
// frames read with headroom (header written in front) as views, back-to-back ones merged — handed
// to the link, which writes one buffer per TLS write (write-queue.ts).
import * as P from '../wasm/assembly/protocol.js';
import type { ForwardingCore } from './core/core.js';

/** The socket side of a link, as the outbox needs it. */
export interface FrameWriter {
  readonly index: number;
  /** queues `chunk` for the socket after everything written before */
  write(chunk: Buffer): void;
  /** more than LINK_HIGH_WATER bytes are waiting to be sent on this link */
  readonly congested: boolean;
  /** calls `w.linkDrained()` once when the link's backlog has gone out */
  whenDrained(w: DrainWaiter): void;
}

/** Something paused because a link was congested. */
export interface DrainWaiter { linkDrained(): void }

/**
 * Bytes a link may hold unsent before its senders stop reading their sockets. Credit alone would let
 * every stream park a whole window here; long-lived payload buffers then reach V8's old generation
 * and cost major GCs.
 */
export const LINK_HIGH_WATER = 512 * 1024;

export class Outbox {
  private readonly writers: (FrameWriter | null)[] = [];
  private readonly payloads: (Buffer | null)[] = [];
  private readonly slots: number[] = [];
  private readonly types: number[] = [];
  /** per request: its DATA payload has HEADER_SIZE free bytes in front (headroom-reads.ts) */
  private readonly headroom: boolean[] = [];
  private scheduled = false;
  private readonly corkedSockets: { uncork(): void }[] = [];
  /** per link index: the frames without headroom being gathered in the current flush */
  private readonly runs: (Run | undefined)[] = [];
  private readonly flushBound = () => this.flush();

  constructor(private readonly core: ForwardingCore) {}

  /** Queues a stream frame on `slot`; CREDIT and RESET carry `aux` inline. */
  stream(w: FrameWriter, type: number, slot: number, payload: Buffer | null, aux = 0): void {
    this.push(w, type, 0, slot, payload, aux);
  }

  /** Queues a DATA frame; `headroom`: the HEADER_SIZE bytes before `payload` are free for its header. */
  data(w: FrameWriter, slot: number, payload: Buffer, headroom: boolean): void {
    this.push(w, P.FRAME_DATA, 0, slot, payload, 0, headroom);
  }

  /** Queues a link frame (HELLO, PING, ROUTES, ...). */
  control(w: FrameWriter, type: number, payload: Buffer | null, flags = 0): void {
    this.push(w, type, flags, 0, payload, 0);
  }

  /** Queues a RESET for a stream id that never got a slot (a refused OPEN). */
  resetRaw(w: FrameWriter, id: number, code: number): void {
    this.push(w, P.FRAME_RESET, P.REQ_FLAG_RAW_ID, id, null, code);
  }

  private push(w: FrameWriter, type: number, flags: number, slot: number, payload: Buffer | null, aux: number, headroom = false): void {
    let i = this.core.queue(type, flags, w.index, slot, payload ? payload.length : 0, aux);
    if (i < 0) {
      this.flush();
      i = this.core.queue(type, flags, w.index, slot, payload ? payload.length : 0, aux);
    }
    this.writers[i] = w;
    this.payloads[i] = payload;
    this.slots[i] = slot;
    this.types[i] = type;
    this.headroom[i] = headroom;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  /** Uncorks `s` after the next flush (app sockets written during this turn). */
  uncorkLater(s: { uncork(): void }): void {
    this.corkedSockets.push(s);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  /** A stream was released before the batch went out: its queued frames must not reach a reused slot. */
  cancelSlot(slot: number): void {
    const n = this.core.queued();
    for (let i = 0; i < n; i++) {
      if (this.slots[i] === slot && this.types[i] !== P.FRAME_RESET && this.writers[i]) this.drop(i);
    }
  }

  /** A link went down: nothing queued for it is written. */
  cancelLink(index: number): void {
    const n = this.core.queued();
    for (let i = 0; i < n; i++) if (this.writers[i]?.index === index) this.drop(i);
  }

  private drop(i: number): void {
    this.core.cancel(i);
    this.writers[i] = null;
    this.payloads[i] = null;
  }

  /** Encodes and writes everything queued. Runs once per turn (setImmediate) or when the batch is full. */
  flush(): void {
    this.scheduled = false;
    if (this.corkedSockets.length > 0) {
      for (const s of this.corkedSockets) s.uncork();
      this.corkedSockets.length = 0;
    }
    const n = this.core.queued();
    if (n === 0) return;
    const { heads, status } = this.core.encode();
    const touched: FrameWriter[] = [];
    for (let i = 0; i < n; i++) {
      const w = this.writers[i];
      const payload = this.payloads[i];
      this.writers[i] = null;
      this.payloads[i] = null;
      if (!w || (status[i] & 0xff) !== 0) continue; // cancelled, or its stream is gone: nothing to send
      let run = this.runs[w.index];
      if (!run) run = this.runs[w.index] = { pieces: [], bytes: 0, touched: false };
      if (!run.touched) { run.touched = true; touched.push(w); }
      const t = this.types[i];
      const at = i * P.OUT_STRIDE;
      if (this.headroom[i] && payload !== null && payload.length > 0) {
        // The header goes in front of the payload: one buffer (the link joins it to the last one if they touch).
        this.gather(w, run);
        const frame = Buffer.from(payload.buffer, payload.byteOffset - P.HEADER_SIZE, payload.length + P.HEADER_SIZE);
        heads.copy(frame, 0, at, at + P.HEADER_SIZE);
        w.write(frame);
        continue;
      }
      const inline = payload === null && (t === P.FRAME_CREDIT || t === P.FRAME_RESET) ? 4 : 0;
      run.pieces.push(heads.subarray(at, at + P.HEADER_SIZE + inline));
      run.bytes += P.HEADER_SIZE + inline;
      if (payload === null || payload.length === 0) continue;
      // Without headroom the payload is copied next to its header (Node's TLS would join them anyway).
      run.pieces.push(payload);
      run.bytes += payload.length;
    }
    for (const w of touched) {
      const run = this.runs[w.index]!;
      this.gather(w, run);
      run.touched = false;
    }
  }

  /** Writes the frames without headroom gathered so far as one buffer. */
  private gather(w: FrameWriter, run: Run): void {
    if (run.pieces.length === 0) return;
    w.write(run.pieces.length === 1 ? run.pieces[0] : Buffer.concat(run.pieces, run.bytes));
    run.pieces.length = 0;
    run.bytes = 0;
  }
}

/** Frames gathered for one link during a flush. */
interface Run { pieces: Buffer[]; bytes: number; touched: boolean }

