// Reads of a socket we create (Node's `onread`) into a slab of our own, each read HEADER_SIZE bytes
// after the previous one: a DATA frame's header is written in front of its payload and successive
// frames of one socket lie back to back, so the link writes them as one buffer and Node's TLS makes
// no join copy (it copies every writev of several buffers into one before SSL_write).
import type { NetConnectOpts, OnReadOpts } from 'node:net';
import * as P from '../wasm/assembly/protocol.js';
import { readSlabs, type SlabPool } from './slab-pool.js';

/** First read size: an idle socket holds one slab of this (plus a header's room). */
const FIRST_READ = 256;
/** A read that fills its buffer makes the next one 4× larger, up to this: a frame plus its header is
 *  64 KiB, four full TLS records (256 KiB reads measured worse: bench/analysis/per-byte.md). */
export const MAX_READ = 64 * 1024 - P.HEADER_SIZE;
/** Reads from this size up go into the pool's slabs (bulk traffic); smaller ones (an interactive or
 *  idle socket) into a slab of the socket's own for a few reads, freed by GC once written. */
const POOLED_READ = 16 * 1024;
const READS_PER_SLAB = 4;

/** The reads of one socket: give `options` as `onread` and set `onChunk` before data can arrive. */
export class HeadroomReads {
  /** each read, as a view whose HEADER_SIZE bytes in front are the consumer's to overwrite */
  onChunk: (chunk: Buffer) => void = () => {};
  /** set by the consumer: how many of `want` bytes the next read may bring (its stream's credit) */
  limit: (want: number) => number = (want) => want;
  private slab: Buffer = Buffer.alloc(0);
  /** the slab is the pool's (256 KiB: four full-size reads back to back, which the link writes as one
   *  buffer), recycled once its frames are written */
  private pooled = false;
  private pos = 0;
  private size = FIRST_READ;
  private current: Buffer = this.slab;
  readonly options: OnReadOpts = { buffer: () => this.next(), callback: (n) => this.read(n) };

  /** `pool` recycles slabs once their frames are written (slab-pool.ts). */
  constructor(private readonly pool: SlabPool = readSlabs) {}

  /** The buffer of the next read: after the previous read's bytes and room for a header. */
  private next(): Buffer {
    const size = Math.max(FIRST_READ, this.limit(this.size));
    const need = P.HEADER_SIZE + size;
    if (this.slab.length - this.pos < need) {
      if (this.pooled) this.pool.retire(this.slab);
      this.pooled = size >= POOLED_READ;
      this.slab = this.pooled ? this.pool.take() : Buffer.allocUnsafeSlow(size <= FIRST_READ ? need : need * READS_PER_SLAB);
      this.pos = 0;
    }
    this.current = this.slab.subarray(this.pos + P.HEADER_SIZE, this.pos + need);
    return this.current;
  }

  private read(n: number): true {
    const chunk = this.current.subarray(0, n);
    this.pos += P.HEADER_SIZE + n;
    if (this.pooled) this.pool.lend(this.slab, P.HEADER_SIZE + n);
    if (n === this.current.length) this.size = Math.min(MAX_READ, this.size * 4);
    else if (n * 16 < this.size) this.size = Math.max(FIRST_READ, this.size >> 2);
    this.onChunk(chunk);
    return true; // the consumer pauses the socket itself when it must
  }
}

/** `net.connect` options that read through `reads` (no 'data' events then). */
export function withHeadroomReads<T extends NetConnectOpts>(opts: T, reads: HeadroomReads): T & { onread: OnReadOpts } {
  return { ...opts, onread: reads.options };
}
