// A link's outgoing bytes, handed to its TLS socket one buffer at a time: Node's TLS copies every
// write of several buffers into one before SSL_write (TLSWrap::DoWrite; a corked burst or a writev
// of what queued up while a write was in flight), so the next buffer goes only once the last write
// completed, and buffers that lie back to back in memory (frames read with headroom) are joined as
// views. The queue is bounded by the link's high-water mark, which counts it (link.ts). Each
// completed write tells the read-slab pool its bytes are free (slab-pool.ts).
import { readSlabs, type SlabPool } from './slab-pool.js';

/** The socket surface the queue writes to. */
export interface QueueSocket {
  write(chunk: Buffer, done: (err?: Error | null) => void): boolean;
  readonly destroyed: boolean;
}

export class WriteQueue {
  /** bytes queued here, not yet handed to the socket */
  bytes = 0;
  private readonly queue: Buffer[] = [];
  private writing: Buffer | null = null;
  private readonly done = (): void => {
    const b = this.writing!;
    this.writing = null;
    this.slabs.written(b);
    this.pump();
    this.onWritten();
  };

  /** `onWritten` runs after each write completes (the link's drain check). */
  constructor(private readonly socket: QueueSocket, private readonly onWritten: () => void, private readonly slabs: SlabPool = readSlabs) {}

  /** Queues `b` after everything queued before; written at once when no write is in flight. */
  push(b: Buffer): void {
    const q = this.queue;
    const last = q.length > 0 ? q[q.length - 1] : undefined;
    if (last !== undefined && last.buffer === b.buffer && last.byteOffset + last.length === b.byteOffset) {
      q[q.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + b.length);
    } else q.push(b);
    this.bytes += b.length;
    this.pump();
  }

  /** Hands everything queued to the socket now, in order (before `end()`: nothing may follow it). */
  flushAll(): void {
    while (this.queue.length > 0 && !this.socket.destroyed) {
      const b = this.queue.shift()!;
      this.bytes -= b.length;
      this.socket.write(b, () => {});
    }
  }

  private pump(): void {
    if (this.writing || this.queue.length === 0 || this.socket.destroyed) return;
    const b = this.queue.shift()!;
    this.bytes -= b.length;
    this.writing = b;
    this.socket.write(b, this.done);
  }
}
