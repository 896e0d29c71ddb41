// Recycles the slabs that headroom reads fill (headroom-reads.ts): a slab goes back to a free list
// once every byte read into it has been written to its link (write-queue.ts), instead of waiting for
// a GC while new slabs are allocated — under bulk load those dead slabs were most of the connector
// engine's RSS (bench/analysis/windows.md). A slab whose bytes are not all written (a reset stream,
// a read split by credit and copied) is simply left to the GC.

interface SlabState { slab: Buffer; lent: number; retired: boolean }

export class SlabPool {
  private readonly free: Buffer[] = [];
  // Keyed by the ArrayBuffer, so a written view finds its slab; weak, so an unaccounted slab is collected.
  private readonly state = new WeakMap<ArrayBufferLike, SlabState>();
  /** slabs allocated, and slabs put back for reuse (tests, bench/analysis/windows.md) */
  allocated = 0;
  recycled = 0;

  /** `size`: bytes per slab; `keep`: free slabs held at most (the rest go to the GC). */
  constructor(readonly size: number, readonly keep: number) {}

  /** A slab to read into: a free one when there is one. */
  take(): Buffer {
    let slab = this.free.pop();
    if (!slab) { slab = Buffer.allocUnsafeSlow(this.size); this.allocated++; }
    this.state.set(slab.buffer, { slab, lent: 0, retired: false });
    return slab;
  }

  /** `n` bytes of `slab` (a frame: header and payload) were handed out to be written. */
  lend(slab: Buffer, n: number): void {
    const s = this.state.get(slab.buffer);
    if (s) s.lent += n;
  }

  /** The reader moved on from `slab`: it is free once what was lent from it is written. */
  retire(slab: Buffer): void {
    const s = this.state.get(slab.buffer);
    if (!s) return;
    s.retired = true;
    this.release(s);
  }

  /** `b` was written to a socket (its bytes are no longer needed); views of other buffers are ignored. */
  written(b: Buffer): void {
    const s = this.state.get(b.buffer);
    if (!s) return;
    s.lent -= b.length;
    if (s.lent < 0) { this.state.delete(b.buffer); return; } // more written than lent: never reuse it
    this.release(s);
  }

  private release(s: SlabState): void {
    if (!s.retired || s.lent !== 0) return;
    this.state.delete(s.slab.buffer);
    if (this.free.length < this.keep) {
      this.free.push(s.slab);
      this.recycled++;
    }
  }
}

/** The engine's pool of read slabs: 256 KiB (four 64 KiB reads with their headers; 1 MiB slabs held
 *  64 MiB at 64 flows for the slab each socket was filling), at most 64 (16 MiB) kept free. */
export const readSlabs = new SlabPool(256 * 1024, 64);
