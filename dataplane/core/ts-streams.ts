// The TypeScript reference's stream table: the same slots, LIFO free stack, limbo and (link, id) index
// as wasm/assembly/streams.ts, so slot numbers agree with the wasm core call for call.
import * as P from '../../wasm/assembly/protocol.js';
import { WindowTable, windowOpen } from './window-policy.js';

/** Slots 1..MAX_SLOTS-1 as parallel typed arrays (u32 fields wrap like the wasm core's). */
export class TsStreams {
  readonly state = new Uint8Array(P.MAX_SLOTS);
  readonly link = new Uint8Array(P.MAX_SLOTS);
  readonly id = new Uint32Array(P.MAX_SLOTS);
  readonly sendCredit = new Uint32Array(P.MAX_SLOTS);
  readonly recvAllowed = new Uint32Array(P.MAX_SLOTS);
  readonly forward = new Uint32Array(P.MAX_SLOTS);
  /** the adaptive receive window of each slot (window-policy.ts); its `pending` is SLOT_RECV_PENDING */
  readonly win = new WindowTable(P.MAX_SLOTS);
  /** the host's clock (µs, u32) as last given to the core (window.ts clockNow) */
  now = 0;
  readonly bytesIn = new Uint32Array(P.MAX_SLOTS);
  readonly bytesOut = new Uint32Array(P.MAX_SLOTS);
  private readonly free = new Uint32Array(P.MAX_SLOTS);
  private top = 0;
  /** released slots not yet reusable (settle() frees them) */
  private readonly limbo = new Uint32Array(P.MAX_SLOTS);
  private limboTop = 0;
  /** per link: peer-opened streams still holding a slot, live or in limbo */
  readonly peerStreams = new Uint32Array(P.MAX_LINKS);
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

  /** Takes the top free slot for (link, id); 0 when none is left. `recvAllowed` is the HELLO window. */
  acquire(link: number, id: number, sendCredit: number, recvAllowed: number): number {
    if (this.top === 0) return 0;
    const s = this.free[--this.top];
    this.state[s] = P.ST_USED;
    this.link[s] = link;
    this.id[s] = id;
    this.sendCredit[s] = sendCredit;
    this.recvAllowed[s] = recvAllowed;
    this.forward[s] = 0;
    windowOpen(this.win, s, this.now, recvAllowed);
    this.bytesIn[s] = 0;
    this.bytesOut[s] = 0;
    this.index.set(link * 0x100000000 + id, s);
    return s;
  }

  /** Marks `s` as opened by the peer: it counts against its link's quota until settled. */
  markPeer(s: number): void {
    this.state[s] |= P.ST_PEER;
    this.peerStreams[this.link[s]]++;
  }

  /** Ends a used slot's stream; the slot waits in limbo until settle(). */
  release(s: number): void {
    if ((this.state[s] & P.ST_USED) === 0) return;
    const f = this.forward[s]; // a relay partner stops forwarding into the freed slot (streams.ts)
    if (f !== 0 && f < P.MAX_SLOTS && this.forward[f] === s && (this.state[f] & P.ST_USED) !== 0) {
      this.forward[f] = 0;
      this.state[f] |= P.ST_BROKEN;
    }
    this.index.delete(this.link[s] * 0x100000000 + this.id[s]);
    this.state[s] &= P.ST_PEER;
    this.limbo[this.limboTop++] = s;
  }

  /** Limbo to the free stack in release order (the last released is handed out first). */
  settle(): void {
    for (let k = 0; k < this.limboTop; k++) {
      const s = this.limbo[k];
      if (this.state[s] & P.ST_PEER) this.peerStreams[this.link[s]]--;
      this.state[s] = 0;
      this.free[this.top++] = s;
    }
    this.limboTop = 0;
  }

  /** Live slots (limbo not counted). */
  used(): number {
    return P.MAX_SLOTS - 1 - this.top - this.limboTop;
  }
}
