// A pure TypeScript ForwardingCore with exactly the wasm core's observable behaviour (descriptors,
// error codes and offsets, slot numbers, credit, encode statuses): the oracle for differential and
// fuzz tests and the baseline of bench/micro. Arguments are coerced the way JS→wasm i32 calls coerce.
import * as P from '../../wasm/assembly/protocol.js';
import { hostClock, type CoreClock, type DecodeSink, type EncodedBatch, type ForwardingCore } from './core.js';
import { TsStreams } from './ts-streams.js';
import { TsDecoder, TsLink } from './ts-decoder.js';
import { isSlotRequest } from './wasm-core.js';
import { windowConsumed } from './window-policy.js';

/** The reference core; `window` is the HELLO window (receive ceiling per stream) and `clock` the host clock, as for loadCore(). */
export class TsCore implements ForwardingCore {
  private readonly t = new TsStreams();
  private readonly links: TsLink[] = Array.from({ length: P.MAX_LINKS }, () => new TsLink());
  private readonly dec: TsDecoder;
  private readonly window: number;
  // The request table and the frame heads persist across batches like REQ_BUF and OUT_BUF do, so even
  // the bytes of a failed request's head (left from an earlier batch) match the wasm core's.
  private readonly rType = new Uint8Array(P.REQ_CAP);
  private readonly rFlags = new Uint8Array(P.REQ_CAP);
  private readonly rLink = new Uint16Array(P.REQ_CAP);
  private readonly rSlot = new Uint32Array(P.REQ_CAP);
  private readonly rLen = new Uint32Array(P.REQ_CAP);
  private readonly rAux = new Uint32Array(P.REQ_CAP);
  private readonly out = Buffer.alloc(P.REQ_CAP * P.OUT_STRIDE);
  private nReq = 0;
  /** a decoded chunk's descriptors are being dispatched: released slots must stay in limbo */
  private dispatching = false;

  constructor(window: number, private readonly clock: CoreClock = hostClock) {
    this.window = window >>> 0;
    this.dec = new TsDecoder(this.t, this.links);
    this.dec.window = this.window;
  }

  private linkOk(link: number): boolean { return link < P.MAX_LINKS && this.links[link].used; }

  linkOpen(link: number, dialer: boolean): void {
    link >>>= 0;
    if (link >= P.MAX_LINKS) return;
    if (this.links[link].used) this.linkClose(link);
    const L = new TsLink();
    L.used = true;
    L.dialer = dialer;
    L.nextId = dialer ? 1 : 2;
    L.peerWindow = 65536;
    this.links[link] = L;
  }

  linkSetPeerWindow(link: number, window: number): void {
    if (this.linkOk(link >>> 0)) this.links[link >>> 0].peerWindow = window >>> 0;
  }

  linkClose(link: number): void {
    link >>>= 0;
    if (link >= P.MAX_LINKS) return;
    const t = this.t;
    for (let s = 1; s < P.MAX_SLOTS; s++) if ((t.state[s] & P.ST_USED) !== 0 && t.link[s] === link) t.release(s);
    this.links[link].used = false;
  }

  openStream(link: number): number {
    link >>>= 0;
    if (!this.linkOk(link)) return 0;
    const L = this.links[link];
    const id = L.nextId;
    if (id >= 0x7ffffffe) return 0;
    const s = this.t.acquire(link, id, L.peerWindow, this.window);
    if (s !== 0) L.nextId = id + 2;
    return s;
  }

  setForward(slot: number, target: number): void {
    slot >>>= 0;
    if (slot > 0 && slot < P.MAX_SLOTS) this.t.forward[slot] = target;
  }

  reserveCredit(slot: number, n: number): number {
    slot >>>= 0;
    if (slot === 0 || slot >= P.MAX_SLOTS) return 0;
    const t = this.t, st = t.state[slot];
    if ((st & P.ST_USED) === 0 || (st & P.ST_LOCAL_CLOSED) !== 0) return 0;
    const take = Math.min(t.sendCredit[slot], n >>> 0);
    t.sendCredit[slot] -= take;
    return take;
  }

  consumed(slot: number, n: number): number {
    this.t.now = this.clock() >>> 0;
    slot >>>= 0;
    if (slot === 0 || slot >= P.MAX_SLOTS) return 0;
    const t = this.t, st = t.state[slot];
    if ((st & P.ST_USED) === 0 || (st & (P.ST_REMOTE_CLOSED | P.ST_BROKEN)) !== 0) return 0;
    return windowConsumed(t.win, slot, t.now, n >>> 0, this.window, t.recvAllowed[slot]);
  }

  release(slot: number): void {
    slot >>>= 0;
    if (slot > 0 && slot < P.MAX_SLOTS) this.t.release(slot);
  }

  usedSlots(): number { return this.t.used(); }

  peerStreams(link: number): number { link >>>= 0; return link < P.MAX_LINKS ? this.t.peerStreams[link] : 0; }

  /** Slot of (link, stream id), or 0 (the wasm core's find()). */
  find(link: number, id: number): number { return this.t.lookup(link >>> 0, id >>> 0); }

  decode(link: number, chunk: Buffer, sink: DecodeSink): void {
    // Same pieces as WasmCore (IN_CAP bytes, or fewer when the descriptor table fills), same dispatch,
    // same settle points (wasm-core.ts explains them).
    if (this.nReq === 0 && !this.dispatching) this.t.settle();
    this.dispatching = true;
    try {
      let base = 0;
      while (base < chunk.length) {
        const len = Math.min(chunk.length - base, P.IN_CAP);
        this.t.now = this.clock() >>> 0;
        const n = this.dec.call(link >>> 0, chunk.subarray(base, base + len));
        const used = this.dec.consumed;
        if (this.dispatch(n, chunk, base, sink) || used === 0) return;
        base += used;
      }
    } finally {
      this.dispatching = false;
    }
  }

  private dispatch(n: number, chunk: Buffer, base: number, sink: DecodeSink): boolean {
    const d = this.dec;
    let linkBroken = false;
    for (let i = 0; i < n; i++) {
      const slot = d.slot[i], off = d.off[i], len = d.len[i];
      switch (d.kind[i]) {
        case P.DESC_DATA: sink.onData(slot, chunk.subarray(base + off, base + off + len)); break;
        case P.DESC_FORWARD: sink.onForward(slot, chunk.subarray(base + off, base + off + len)); break;
        case P.DESC_OPEN: sink.onOpen(slot, d.buf[i] ?? chunk.subarray(base + off, base + off + len)); break;
        case P.DESC_CREDIT: sink.onCredit(slot, len); break;
        case P.DESC_CLOSE: sink.onClose(slot, (d.dflags[i] & P.DESC_FLAG_RELEASED) !== 0); break;
        case P.DESC_RESET: sink.onReset(slot, len); break;
        case P.DESC_CONTROL: sink.onControl(d.ftype[i], d.fflags[i], d.buf[i] ?? chunk.subarray(base + off, base + off + len)); break;
        case P.DESC_ERROR:
          if (d.dflags[i] & P.DESC_FLAG_RAW_ID) sink.onError(len, 0, 0, off >>> 0);
          else {
            sink.onError(len, Math.max(0, base + off), slot, 0);
            linkBroken = slot === 0;
          }
          break;
      }
      d.buf[i] = null;
    }
    return linkBroken;
  }

  queue(type: number, flags: number, link: number, slot: number, len: number, aux: number): number {
    if (this.nReq >= P.REQ_CAP) return -1;
    // As WasmCore.queue: a request for a slot that holds no stream of this link names nothing.
    if (isSlotRequest(type, flags)) {
      const s = slot >>> 0, t = this.t;
      if (s === 0 || s >= P.MAX_SLOTS || (t.state[s] & P.ST_USED) === 0 || t.link[s] !== (link & 0xffff)) slot = 0;
    }
    const i = this.nReq;
    this.rType[i] = type; this.rFlags[i] = flags; this.rLink[i] = link;
    this.rSlot[i] = slot; this.rLen[i] = len; this.rAux[i] = aux;
    return this.nReq++;
  }

  queued(): number { return this.nReq; }

  cancel(index: number): void {
    if (index >= 0 && index < this.nReq) this.rType[index] = 0;
  }

  encode(): EncodedBatch {
    const count = this.nReq;
    this.nReq = 0;
    for (let i = 0; i < count; i++) this.rAux[i] = this.encodeOne(i, i * P.OUT_STRIDE);
    if (!this.dispatching) this.t.settle();
    return { heads: Buffer.from(this.out.subarray(0, count * P.OUT_STRIDE)), status: this.rAux.slice(0, count), count };
  }

  private head(o: number, len: number, type: number, flags: number, id: number): void {
    const out = this.out;
    out.writeUInt32BE(len, o);
    out[o + 4] = type;
    out[o + 5] = flags;
    out[o + 6] = 0;
    out[o + 7] = 0;
    out.writeUInt32BE(id, o + 8);
  }

  /** wasm/assembly/encoder.ts encodeOne(): a status, possibly | ENC_RELEASED. */
  private encodeOne(i: number, o: number): number {
    const type = this.rType[i], flags = this.rFlags[i], link = this.rLink[i];
    const slot = this.rSlot[i], len = this.rLen[i], aux = this.rAux[i];
    if (type === 0 || type > P.FRAME_MAX_TYPE) return P.ERR_BAD_TYPE;
    if (type < P.FRAME_OPEN || type > P.FRAME_RESET) {
      if (!this.linkOk(link)) return P.ERR_BAD_LINK;
      if (len > P.MAX_CONTROL_FRAME) return P.ERR_FRAME_TOO_LARGE;
      this.head(o, len, type, flags, 0);
      return 0;
    }
    if (type === P.FRAME_RESET && (flags & P.REQ_FLAG_RAW_ID) !== 0) {
      if (!this.linkOk(link)) return P.ERR_BAD_LINK;
      this.head(o, 4, type, 0, slot);
      this.out.writeUInt32BE(aux, o + 12);
      return 0;
    }
    const t = this.t;
    if (slot === 0 || slot >= P.MAX_SLOTS) return P.ERR_BAD_STATE;
    const st = t.state[slot];
    if ((st & P.ST_USED) === 0 || t.link[slot] !== link) return P.ERR_BAD_STATE;
    const id = t.id[slot];
    switch (type) {
      case P.FRAME_DATA:
        if (st & P.ST_LOCAL_CLOSED) return P.ERR_BAD_STATE;
        if (len > P.MAX_DATA_FRAME) return P.ERR_FRAME_TOO_LARGE;
        t.bytesOut[slot] += len;
        this.head(o, len, type, flags, id);
        return 0;
      case P.FRAME_OPEN:
        if (len > P.MAX_CONTROL_FRAME) return P.ERR_FRAME_TOO_LARGE;
        this.head(o, len, type, flags, id);
        return 0;
      case P.FRAME_CREDIT:
        t.recvAllowed[slot] += aux;
        this.head(o, 4, type, 0, id);
        this.out.writeUInt32BE(aux, o + 12);
        return 0;
      case P.FRAME_CLOSE:
        if (st & P.ST_LOCAL_CLOSED) return P.ERR_BAD_STATE;
        this.head(o, 0, type, 0, id);
        if (st & P.ST_REMOTE_CLOSED) { t.release(slot); return P.ENC_RELEASED; }
        t.state[slot] = st | P.ST_LOCAL_CLOSED;
        return 0;
      default: // RESET
        this.head(o, 4, type, 0, id);
        this.out.writeUInt32BE(aux, o + 12);
        t.release(slot);
        return P.ENC_RELEASED;
    }
  }
}
