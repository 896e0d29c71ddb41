// The interface between the data plane and its forwarding core (wasm in production, the TypeScript
// reference in tests). The rest of dataplane/ depends only on this.

/** The host's clock as the core takes it: µs (the core keeps it as a wrapping u32; no clock inside wasm). */
export type CoreClock = () => number;
/** performance.now() in µs: the receive windows' round trips and idle spells (window-policy.ts). */
export const hostClock: CoreClock = () => performance.now() * 1000;

/** What decode() tells the host, one callback per descriptor, in wire order. Payloads are views. */
export interface DecodeSink {
  /** bytes for the local flow on `slot` */
  onData(slot: number, payload: Buffer): void;
  /** bytes to send on as DATA on `target` (a stream of another link): multi-hop relay */
  onForward(target: number, payload: Buffer): void;
  /** the peer opened `slot`; payload is the OPEN body */
  onOpen(slot: number, payload: Buffer): void;
  /** the peer granted `n` more bytes of credit on `slot` */
  onCredit(slot: number, n: number): void;
  /** the peer half-closed `slot`; `released` when both directions are now done */
  onClose(slot: number, released: boolean): void;
  /** the peer reset `slot` (always released) */
  onReset(slot: number, code: number): void;
  /** a link-level frame (HELLO, PING, PONG, ROUTES, GOAWAY) */
  onControl(type: number, flags: number, payload: Buffer): void;
  /** a protocol error; slot != 0: reset that stream; rawId != 0: reset that unslotted id; else the link is broken */
  onError(code: number, offset: number, slot: number, rawId: number): void;
}

/** Result of encode(): frame heads OUT_STRIDE apart and one status per request. */
export interface EncodedBatch {
  heads: Buffer;
  status: Uint32Array;
  count: number;
}

/** The forwarding core: codec, stream table, credit and relay decisions. Never throws on input. */
export interface ForwardingCore {
  linkOpen(link: number, dialer: boolean): void;
  linkSetPeerWindow(link: number, window: number): void;
  linkClose(link: number): void;
  openStream(link: number): number;
  setForward(slot: number, target: number): void;
  reserveCredit(slot: number, n: number): number;
  consumed(slot: number, n: number): number;
  release(slot: number): void;
  /** live streams (slots released but not yet settled are not counted) */
  usedSlots(): number;
  /** streams the peer opened on `link` still holding a slot (live or released, not yet settled) */
  peerStreams(link: number): number;
  /** Decodes one chunk read from `link`, calling `sink` per descriptor. */
  decode(link: number, chunk: Buffer, sink: DecodeSink): void;
  /** Queues a frame request; returns its index in the current batch, or -1 when the batch is full. */
  queue(type: number, flags: number, link: number, slot: number, len: number, aux: number): number;
  /** Drops a queued request (its stream went away before the batch was encoded). */
  cancel(index: number): void;
  /** Requests queued since the last encode(). */
  queued(): number;
  /** Encodes every queued request. Released slots become reusable afterwards, unless a decoded chunk
   *  is still being dispatched (then at the next decode with nothing queued, or the next encode). */
  encode(): EncodedBatch;
}
