// The TypeScript reference of wasm/assembly/decoder.ts: one call() walks the frames of one input
// piece and fills a descriptor table with exactly what the wasm decode() would write, in order.
import * as P from '../../wasm/assembly/protocol.js';
import type { TsStreams } from './ts-streams.js';
import { windowData } from './window-policy.js';

/** Per-link decoder state (wasm/assembly/links.ts). */
export class TsLink {
  used = false;
  dialer = false;
  nextId = 0;
  peerWindow = 0;
  readonly hdr = Buffer.alloc(P.HEADER_SIZE);
  hdrFill = 0;
  active = false;
  remain = 0;
  type = 0;
  flags = 0;
  discard = false;
  stream = 0;
  slot = 0;
  len = 0;
  /** start of the current frame relative to the current call, an i32 (negative: an earlier call) */
  frameAt = 0;
  ctrl: Buffer = Buffer.alloc(0);
  ctrlFill = 0;
}

/** The descriptor table and the walk. Fields mirror DESC_BUF entries; `buf` holds a reassembled payload. */
export class TsDecoder {
  readonly kind = new Uint8Array(P.DESC_CAP);
  readonly dflags = new Uint8Array(P.DESC_CAP);
  readonly ftype = new Uint8Array(P.DESC_CAP);
  readonly fflags = new Uint8Array(P.DESC_CAP);
  readonly slot = new Uint32Array(P.DESC_CAP);
  readonly off = new Int32Array(P.DESC_CAP);
  readonly len = new Uint32Array(P.DESC_CAP);
  readonly buf: (Buffer | null)[] = new Array(P.DESC_CAP).fill(null);
  n = 0;
  consumed = 0;
  window = 0;

  constructor(private readonly t: TsStreams, private readonly links: TsLink[]) {}

  private emit(kind: number, flags: number, ftype: number, slot: number, off: number, len: number, fflags = 0, buf: Buffer | null = null): void {
    const i = this.n++;
    this.kind[i] = kind; this.dflags[i] = flags; this.ftype[i] = ftype; this.fflags[i] = fflags;
    this.slot[i] = slot; this.off[i] = off; this.len[i] = len; this.buf[i] = buf;
  }

  private linkError(code: number, at: number): number {
    this.emit(P.DESC_ERROR, 0, 0, 0, at, code);
    return code;
  }

  private streamError(s: number, code: number, at: number): void {
    const st = this.t.state[s];
    this.t.state[s] = st | P.ST_BROKEN | P.ST_ERRORED;
    if ((st & P.ST_ERRORED) === 0) this.emit(P.DESC_ERROR, 0, 0, s, at, code); // once per stream
  }

  /** decode(link, len) of the wasm core on `input` (at most IN_CAP bytes); returns descriptors written. */
  call(link: number, input: Buffer): number {
    this.n = 0;
    this.consumed = 0;
    const L = this.links[link];
    if (link >= P.MAX_LINKS || !L.used || input.length > P.IN_CAP) { this.linkError(P.ERR_BAD_LINK, 0); return this.n; }
    if (L.active && L.type === P.FRAME_DATA && !L.discard) {
      const t = this.t, s = L.slot;
      if ((t.state[s] & P.ST_USED) === 0 || t.link[s] !== link || t.id[s] !== L.stream) L.discard = true;
    }
    this.consumed = this.walk(link, L, input);
    L.frameAt = (L.frameAt - this.consumed) | 0;
    return this.n;
  }

  private walk(link: number, L: TsLink, input: Buffer): number {
    const len = input.length;
    let p = 0;
    while (p < len && this.n + 2 <= P.DESC_CAP) {
      if (!L.active) {
        let fill = L.hdrFill;
        const at = p - fill;
        let h = input, ho = p;
        if (fill === 0 && len - p >= P.HEADER_SIZE) {
          p += P.HEADER_SIZE;
        } else {
          const take = Math.min(P.HEADER_SIZE - fill, len - p);
          input.copy(L.hdr, fill, p, p + take);
          fill += take;
          p += take;
          if (fill < P.HEADER_SIZE) { L.hdrFill = fill; break; }
          L.hdrFill = 0;
          h = L.hdr; ho = 0;
        }
        const flen = h.readUInt32BE(ho), type = h[ho + 4], flags = h[ho + 5], id = h.readUInt32BE(ho + 8);
        if (this.beginFrame(link, L, flen, type, flags, id, at, input) !== 0) return p;
        continue;
      }
      const remain = L.remain;
      const take = Math.min(remain, len - p);
      const type = L.type;
      const left = remain - take;
      if (type === P.FRAME_DATA) {
        if (!L.discard) {
          const fwd = this.t.forward[L.slot];
          if (fwd !== 0) this.emit(P.DESC_FORWARD, 0, type, fwd, p, take);
          else this.emit(P.DESC_DATA, 0, type, L.slot, p, take);
        }
        p += take;
      } else {
        const flen = L.len, fill = L.ctrlFill;
        if (fill === 0 && take === flen) {
          const off = p;
          p += take;
          L.active = false;
          if (this.finishControl(link, L, type, L.flags, L.stream, input, off, flen, false, L.frameAt) !== 0) return p;
          continue;
        }
        if (fill === 0) L.ctrl = Buffer.alloc(flen); // the wasm core alternates two fixed buffers; only the bytes matter
        input.copy(L.ctrl, fill, p, p + take);
        L.ctrlFill = fill + take;
        p += take;
        if (left === 0) {
          L.active = false;
          L.ctrlFill = 0;
          if (this.finishControl(link, L, type, L.flags, L.stream, L.ctrl, 0, flen, true, L.frameAt) !== 0) return p;
          continue;
        }
      }
      L.remain = left;
      if (left === 0) L.active = false;
    }
    return p;
  }

  private beginFrame(link: number, L: TsLink, len: number, type: number, flags: number, id: number, at: number, input: Buffer): number {
    if (type === 0 || type > P.FRAME_MAX_TYPE) return this.linkError(P.ERR_BAD_TYPE, at);
    L.len = len; L.frameAt = at; L.type = type; L.flags = flags; L.stream = id;
    if (type === P.FRAME_DATA) {
      if (len > P.MAX_DATA_FRAME) return this.linkError(P.ERR_FRAME_TOO_LARGE, at);
      if (id === 0) return this.linkError(P.ERR_BAD_STREAM, at);
      const t = this.t;
      let discard = false;
      const s = t.lookup(link, id);
      if (s === 0) discard = true;
      else {
        const st = t.state[s], allowed = t.recvAllowed[s];
        if (st & P.ST_BROKEN) discard = true;
        else if (st & P.ST_REMOTE_CLOSED) { this.streamError(s, P.ERR_BAD_STATE, at); discard = true; }
        else if (len > allowed) { this.streamError(s, P.ERR_FLOW_CONTROL, at); discard = true; }
        else { t.recvAllowed[s] = allowed - len; t.bytesIn[s] += len; windowData(t.win, s, t.now); }
      }
      L.slot = s;
      L.discard = discard;
      if (len > 0) { L.remain = len; L.active = true; }
      return 0;
    }
    if (len > P.MAX_CONTROL_FRAME) return this.linkError(P.ERR_FRAME_TOO_LARGE, at);
    if (len === 0) return this.finishControl(link, L, type, flags, id, input, 0, 0, false, at);
    L.remain = len;
    L.ctrlFill = 0;
    L.active = true;
    return 0;
  }

  /** A complete control frame whose payload is src[off, off+len); 0 or a link error code. */
  private finishControl(link: number, L: TsLink, type: number, flags: number, id: number, src: Buffer, off: number, len: number, inCore: boolean, at: number): number {
    const t = this.t;
    const dflags = inCore ? P.DESC_FLAG_IN_CORE : 0;
    const buf = inCore ? src : null;
    if (type === P.FRAME_OPEN) {
      const peerParity = L.dialer ? (id & 1) === 0 : (id & 1) === 1;
      if (id === 0 || !peerParity || t.lookup(link, id) !== 0) return this.linkError(P.ERR_BAD_STREAM, at);
      if (t.peerStreams[link] >= P.MAX_PEER_STREAMS) { this.emit(P.DESC_ERROR, P.DESC_FLAG_RAW_ID, type, 0, id | 0, P.ERR_STREAM_QUOTA); return 0; }
      const s = t.acquire(link, id, L.peerWindow, this.window);
      if (s === 0) { this.emit(P.DESC_ERROR, P.DESC_FLAG_RAW_ID, type, 0, id | 0, P.ERR_STREAM_LIMIT); return 0; }
      t.markPeer(s);
      this.emit(P.DESC_OPEN, dflags, type, s, off, len, 0, buf);
      return 0;
    }
    if (type === P.FRAME_CREDIT || type === P.FRAME_RESET || type === P.FRAME_CLOSE) {
      if (id === 0) return this.linkError(P.ERR_BAD_STREAM, at);
      if (type !== P.FRAME_CLOSE && len !== 4) return this.linkError(P.ERR_BAD_LENGTH, at);
      if (type === P.FRAME_CLOSE && len !== 0) return this.linkError(P.ERR_BAD_LENGTH, at);
      const s = t.lookup(link, id);
      if (s === 0) return 0; // stale: ids are never reused
      const st = t.state[s];
      if (type === P.FRAME_CREDIT) {
        const v = src.readUInt32BE(off), c = t.sendCredit[s];
        if (c + v > 0x7fffffff) { this.streamError(s, P.ERR_FLOW_CONTROL, at); return 0; }
        t.sendCredit[s] = c + v;
        this.emit(P.DESC_CREDIT, 0, type, s, 0, v);
        return 0;
      }
      if (type === P.FRAME_RESET) {
        const code = src.readUInt32BE(off);
        t.release(s);
        this.emit(P.DESC_RESET, P.DESC_FLAG_RELEASED, type, s, 0, code);
        return 0;
      }
      if (st & P.ST_REMOTE_CLOSED) { this.streamError(s, P.ERR_BAD_STATE, at); return 0; }
      t.state[s] = st | P.ST_REMOTE_CLOSED;
      if (st & P.ST_LOCAL_CLOSED) {
        t.release(s);
        this.emit(P.DESC_CLOSE, P.DESC_FLAG_RELEASED, type, s, 0, 0);
      } else {
        this.emit(P.DESC_CLOSE, 0, type, s, 0, 0);
      }
      return 0;
    }
    if (id !== 0) return this.linkError(P.ERR_BAD_STREAM, at);
    this.emit(P.DESC_CONTROL, dflags, type, 0, off, len, flags, buf);
    return 0;
  }
}
