// The TypeScript reference's stream table: the same slots, LIFO free stack and (link, id) index as
// wasm/assembly/streams.ts, so slot numbers agree with the wasm core call for call.
import * as P from '../../wasm/assembly/protocol.js';

/** Slots 1..MAX_SLOTS-1 as parallel typed arrays (u32 fields wrap like the wasm core's). */
export class TsStreams {
  readonly state = new Uint8Array(P.MAX_SLOTS);
  readonly link = new Uint8Array(P.MAX_SLOTS);
  readonly id = new Uint32Array(P.MAX_SLOTS);
  readonly sendCredit = new Uint32Array(P.MAX_SLOTS);
  readonly recvAllowed = new Uint32Array(P.MAX_SLOTS);
  readonly forward = new Uint32Array(P.MAX_SLOTS);
  readonly recvPending = new Uint32Array(P.MAX_SLOTS);
  readonly bytesIn = new Uint32Array(P.MAX_SLOTS);
  readonly bytesOut = new Uint32Array(P.MAX_SLOTS);
  private readonly free = new Uint32Array(P.MAX_SLOTS);
  private top = 0;
  // (link, id) -> slot. The wasm hash's probe order is not observable; only the mapping is.
  private readonly index = new Map<number, number>();

  constructor() {
    // Pushed high to low so that slot 1 is handed out first, as in resetStreams().
    for (let s = P.MAX_SLOTS - 1; s >= 1; s--) this.free[this.top++] = s;
  }

  /** Slot for (link, id), or 0. */
  lookup(link: number, id: number): number {
    return this.index.get(link * 0x100000000 + id) ?? 0;
  }

  /** Takes the top free slot for (link, id); 0 when none is left. */
  acquire(link: number, id: number, sendCredit: number, recvAllowed: number): number {
    if (this.top === 0) return 0;
    const s = this.free[--this.top];
    this.state[s] = P.ST_USED;
    this.link[s] = link;
    this.id[s] = id;
    this.sendCredit[s] = sendCredit;
    this.recvAllowed[s] = recvAllowed;
    this.forward[s] = 0;
    this.recvPending[s] = 0;
    this.bytesIn[s] = 0;
    this.bytesOut[s] = 0;
    this.index.set(link * 0x100000000 + id, s);
    return s;
  }

  /** Frees a used slot (pushed on the free stack, so it is the next one handed out). */
  release(s: number): void {
    if ((this.state[s] & P.ST_USED) === 0) return;
    const f = this.forward[s]; // a relay partner stops forwarding into the freed slot (streams.ts)
    if (f !== 0 && f < P.MAX_SLOTS && this.forward[f] === s && (this.state[f] & P.ST_USED) !== 0) {
      this.forward[f] = 0;
      this.state[f] |= P.ST_BROKEN;
    }
    this.index.delete(this.link[s] * 0x100000000 + this.id[s]);
    this.state[s] = 0;
    this.free[this.top++] = s;
  }

  /** Slots in use. */
  used(): number {
    return P.MAX_SLOTS - 1 - this.top;
  }
}
