// Two Duplex ends joined back to back, each enough of a net.Socket for its user: `outer` is the
// socket an http.Agent pool gets for a connection to a remote target, `inner` the application socket
// of the Flow that carries those bytes as a svcnet stream (flow.ts). What one end writes the other
// reads, with backpressure (a write completes when the other end's reader takes it). Node 20 has no
// stream.duplexPair (22.6+), and a loopback TCP pair would cost a kernel round trip per byte.
import { Duplex } from 'node:stream';

/** The socket methods Flow and http.Agent call besides the Duplex ones; here they have nothing to set. */
class PairEnd extends Duplex {
  other!: PairEnd;
  /** the other end's write waiting for our reader (set by its _write, completed by our _read) */
  private waiting: (() => void) | undefined;
  timeout = 0;
  private timer: NodeJS.Timeout | undefined;
  /** the other end finished writing: nothing more is pushed here */
  private eof = false;

  /** `allowHalfOpen` false ends this end's writing when its reading ends, as a net.Socket made by an Agent does. */
  constructor(allowHalfOpen: boolean) { super({ allowHalfOpen, decodeStrings: true }); }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.other.destroyed || this.other.eof) { cb(); return; }
    if (this.other.push(chunk)) cb();
    else this.other.waiting = cb;
  }

  override _read(): void {
    // Our reader wants more: the other end's write that waited for it completes.
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.other.endInput();
    cb();
  }

  /** Destroyed with an error: the other end sees that error; without: it sees the end of its input. */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    clearTimeout(this.timer);
    const o = this.other;
    if (!o.destroyed) {
      if (err) o.destroy(err);
      else o.endInput();
    }
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
    cb(err);
  }

  private endInput(): void {
    if (this.eof || this.destroyed) return;
    this.eof = true;
    this.push(null);
  }

  setNoDelay(): this { return this; }
  setKeepAlive(): this { return this; }
  ref(): this { return this; }
  unref(): this { return this; }
  /** An idle timer as net.Socket has ('timeout' after `ms` without a read or write); 0 clears it. */
  setTimeout(ms: number, cb?: () => void): this {
    this.timeout = ms;
    clearTimeout(this.timer);
    if (cb) this.once('timeout', cb);
    if (ms > 0) { this.timer = setTimeout(() => this.emit('timeout'), ms); this.timer.unref(); }
    return this;
  }
  /** As net.Socket's: an abortive close, seen by the other end as ECONNRESET. */
  resetAndDestroy(): this {
    return this.destroy(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }));
  }
}

export type { PairEnd };

/** A new pair: bytes written to `outer` are read from `inner` and the other way round. `outer` closes
 *  when its input ends (an HTTP client's socket); `inner` is half-open, as a Flow's app socket is. */
export function streamPair(): { outer: PairEnd; inner: PairEnd } {
  const outer = new PairEnd(false);
  const inner = new PairEnd(true);
  outer.other = inner;
  inner.other = outer;
  return { outer, inner };
}
