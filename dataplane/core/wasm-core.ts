// The only file that touches WebAssembly: loads the AssemblyScript core once and adapts its
// memory-table contract to the ForwardingCore interface. Memory is fixed-size, so views never detach.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as P from '../../wasm/assembly/protocol.js';
import { hostClock, type CoreClock, type DecodeSink, type EncodedBatch, type ForwardingCore } from './core.js';
import { HTTP1_EXPORT_NAMES, WasmHttp1, type Http1Exports } from './wasm-http1.js';
import { HTTP2_EXPORT_NAMES, WasmHttp2, type Http2Exports } from './wasm-http2.js';

/** Exports of build/core.wasm; test/unit/wasm-exports checks this against the module. */
export interface CoreExports extends Http1Exports, Http2Exports {
  memory: WebAssembly.Memory;
  init(window: number): number;
  linkOpen(link: number, dialer: number): number;
  linkSetPeerWindow(link: number, window: number): void;
  linkClose(link: number): void;
  openStream(link: number): number;
  setForward(slot: number, target: number): void;
  consumedBytes(slot: number, n: number, now: number): number;
  reserveCredit(slot: number, n: number): number;
  release(slot: number): void;
  find(link: number, id: number): number;
  usedSlots(): number;
  settle(): void;
  linkPeerStreams(link: number): number;
  decode(link: number, len: number, now: number): number;
  consumed: WebAssembly.Global;
  dataAhead(link: number): number;
  encode(n: number): number;
}

export const CORE_EXPORT_NAMES: readonly (keyof CoreExports)[] = [
  'memory', 'init', 'linkOpen', 'linkSetPeerWindow', 'linkClose', 'openStream', 'setForward',
  'consumedBytes', 'reserveCredit', 'release', 'find', 'usedSlots', 'settle', 'linkPeerStreams', 'decode', 'consumed', 'dataAhead', 'encode',
  ...HTTP1_EXPORT_NAMES, ...HTTP2_EXPORT_NAMES,
];

/** Path of the compiled core; `debug` selects the build with assertions and names. */
export function corePath(debug = false): string {
  return fileURLToPath(new URL(`../../../build/core${debug ? '.debug' : ''}.wasm`, import.meta.url));
}

let compiled: WebAssembly.Module | undefined;

/** Instantiates the core (compiled once per process; each call makes an independent instance). */
export function loadCore(window: number, path = corePath(), clock: CoreClock = hostClock): WasmCore {
  if (!compiled || path !== corePath()) compiled = new WebAssembly.Module(readFileSync(path));
  const instance = new WebAssembly.Instance(compiled, { env: { abort: coreAbort } });
  return new WasmCore(instance.exports as unknown as CoreExports, window, clock);
}

function coreAbort(): never {
  throw new Error('svcnet wasm core aborted (a broken invariant in the core)');
}

export class WasmCore implements ForwardingCore {
  readonly x: CoreExports;
  private readonly u8: Uint8Array;
  private readonly dv: DataView;
  private readonly in: Uint8Array;
  private nReq = 0;
  /** a decoded chunk's descriptors are being dispatched: released slots must stay in limbo */
  private dispatching = false;

  constructor(x: CoreExports, window: number, private readonly clock: CoreClock = hostClock) {
    this.x = x;
    const buf = x.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    this.in = new Uint8Array(buf, P.IN_BUF, P.IN_CAP);
    const rc = x.init(window);
    if (rc !== 0) throw new Error(`svcnet wasm core: init failed with code ${rc}`);
  }

  /** The HTTP/1.1 observers of this instance, over the same memory (issue 13). */
  http1(): WasmHttp1 { return new WasmHttp1(this.x, this.u8, this.dv); }

  /** The HTTP/2 observers of this instance, over the same memory (issue 13). */
  http2(): WasmHttp2 { return new WasmHttp2(this.x, this.u8, this.dv); }

  linkOpen(link: number, dialer: boolean): void { this.x.linkOpen(link, dialer ? 1 : 0); }
  linkSetPeerWindow(link: number, window: number): void { this.x.linkSetPeerWindow(link, window); }
  linkClose(link: number): void { this.x.linkClose(link); }
  openStream(link: number): number { return this.x.openStream(link); }
  setForward(slot: number, target: number): void { this.x.setForward(slot, target); }
  reserveCredit(slot: number, n: number): number { return this.x.reserveCredit(slot, n) >>> 0; }
  consumed(slot: number, n: number): number { return this.x.consumedBytes(slot, n, this.clock() >>> 0) >>> 0; }
  release(slot: number): void { this.x.release(slot); }
  usedSlots(): number { return this.x.usedSlots(); }
  peerStreams(link: number): number { return this.x.linkPeerStreams(link) >>> 0; }

  decode(link: number, chunk: Buffer, sink: DecodeSink): void {
    // Released slots become reusable (settle) only when nothing the host holds can name them: here
    // when no request is queued, and after an encode() that ran outside a dispatch. A flush forced
    // mid-dispatch (full request table) leaves them in limbo, as later descriptors may name them.
    if (this.nReq === 0 && !this.dispatching) this.x.settle();
    this.dispatching = true;
    try {
      let base = 0;
      while (base < chunk.length) {
        const len = Math.min(chunk.length - base, P.IN_CAP);
        // The core must see headers and control payloads to parse them, not the DATA payload this input
        // starts with (the rest of a frame begun earlier): it is walked unread and left out of the copy.
        // Payloads leave as views of `chunk`.
        const skip = Math.min(this.x.dataAhead(link) >>> 0, len);
        if (skip === 0) this.in.set(base === 0 && len === chunk.length ? chunk : chunk.subarray(base, base + len));
        else if (skip < len) this.in.set(chunk.subarray(base + skip, base + len), skip);
        const n = this.x.decode(link, len, this.clock() >>> 0);
        const used = this.x.consumed.value as number;
        const linkBroken = this.dispatch(n, chunk, base, sink);
        if (linkBroken || used === 0) return;
        base += used;
      }
    } finally {
      this.dispatching = false;
    }
  }

  /** Calls the sink per descriptor; true when the batch ended with a link-level error. */
  private dispatch(n: number, chunk: Buffer, base: number, sink: DecodeSink): boolean {
    let linkBroken = false;
    const dv = this.dv;
    for (let i = 0; i < n; i++) {
      const d = P.DESC_BUF + i * P.DESC_SIZE;
      const kind = this.u8[d];
      const flags = this.u8[d + 1];
      const slot = dv.getUint32(d + 4, true);
      const off = dv.getUint32(d + 8, true);
      const len = dv.getUint32(d + 12, true);
      switch (kind) {
        case P.DESC_DATA: sink.onData(slot, chunk.subarray(base + off, base + off + len)); break;
        case P.DESC_FORWARD: sink.onForward(slot, chunk.subarray(base + off, base + off + len)); break;
        case P.DESC_OPEN: sink.onOpen(slot, this.payload(flags, chunk, base, off, len)); break;
        case P.DESC_CREDIT: sink.onCredit(slot, len); break;
        case P.DESC_CLOSE: sink.onClose(slot, (flags & P.DESC_FLAG_RELEASED) !== 0); break;
        case P.DESC_RESET: sink.onReset(slot, len); break;
        case P.DESC_CONTROL: sink.onControl(this.u8[d + 2], this.u8[d + 3], this.payload(flags, chunk, base, off, len)); break;
        case P.DESC_ERROR:
          if (flags & P.DESC_FLAG_RAW_ID) sink.onError(len, 0, 0, off);
          else {
            // off is signed: a frame that began in an earlier call sits at base + off, or before this chunk (0).
            sink.onError(len, Math.max(0, base + (off | 0)), slot, 0);
            linkBroken = slot === 0;
          }
          break;
        default: throw new Error(`svcnet wasm core: unknown descriptor kind ${kind}`);
      }
    }
    return linkBroken;
  }

  /** A control payload: a view of the chunk, or a copy out of the core's reassembly buffer. */
  private payload(flags: number, chunk: Buffer, base: number, off: number, len: number): Buffer {
    if (flags & P.DESC_FLAG_IN_CORE) return Buffer.from(this.u8.subarray(off, off + len));
    return chunk.subarray(base + off, base + off + len);
  }

  queue(type: number, flags: number, link: number, slot: number, len: number, aux: number): number {
    if (this.nReq >= P.REQ_CAP) return -1;
    // A stream request names the stream its slot holds now. A slot holding none on this link (free,
    // or released and waiting to settle) makes it name nothing (slot 0, refused at encode), so it
    // cannot go out on a stream that takes the slot before the batch is encoded.
    if (isSlotRequest(type, flags) && !this.holds(link & 0xffff, slot >>> 0)) slot = 0;
    const r = P.REQ_BUF + this.nReq * P.REQ_SIZE;
    const dv = this.dv;
    this.u8[r] = type;
    this.u8[r + 1] = flags;
    dv.setUint16(r + 2, link, true);
    dv.setUint32(r + 4, slot, true);
    dv.setUint32(r + 8, len, true);
    dv.setUint32(r + 12, aux, true);
    return this.nReq++;
  }

  /** `slot` holds a live stream of `link`. */
  private holds(link: number, slot: number): boolean {
    if (slot === 0 || slot >= P.MAX_SLOTS) return false;
    const p = P.SLOT_BUF + slot * P.SLOT_SIZE;
    return (this.u8[p + P.SLOT_STATE] & P.ST_USED) !== 0 && this.u8[p + P.SLOT_LINK] === link;
  }

  queued(): number { return this.nReq; }

  cancel(index: number): void {
    if (index >= 0 && index < this.nReq) this.u8[P.REQ_BUF + index * P.REQ_SIZE] = 0;
  }

  encode(): EncodedBatch {
    const count = this.nReq;
    this.nReq = 0;
    this.x.encode(count);
    if (!this.dispatching) this.x.settle();
    // Heads are copied out once per batch: queued socket writes must not alias memory the next batch rewrites.
    const heads = Buffer.from(this.u8.subarray(P.OUT_BUF, P.OUT_BUF + count * P.OUT_STRIDE));
    const status = new Uint32Array(count);
    for (let i = 0; i < count; i++) status[i] = this.dv.getUint32(P.REQ_BUF + i * P.REQ_SIZE + 12, true);
    return { heads, status, count };
  }
}

/** A request that names a stream by slot: OPEN, DATA, CREDIT, CLOSE, or RESET without a raw id (as u8 fields). */
export function isSlotRequest(type: number, flags: number): boolean {
  const t = type & 0xff;
  return t >= P.FRAME_OPEN && t <= P.FRAME_RESET && (flags & P.REQ_FLAG_RAW_ID) === 0;
}
