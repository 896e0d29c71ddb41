// Issue 11 item 6 (footprint): full-size read slabs are recycled once every frame read into them has
// been written to the link, never earlier; anything not accounted for (a frame never written, more
// written than lent) leaves the slab to the GC.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import { SlabPool } from '../../dataplane/slab-pool.js';
import { HeadroomReads, MAX_READ } from '../../dataplane/headroom-reads.js';
import { WriteQueue, type QueueSocket } from '../../dataplane/write-queue.js';
import { Outbox, type FrameWriter } from '../../dataplane/outbox.js';
import { TsCore } from '../../dataplane/core/ts-core.js';

test('issue 11: a retired slab comes back once all it lent is written, not before', () => {
  const pool = new SlabPool(1000, 4);
  const a = pool.take();
  pool.lend(a, 300);
  pool.lend(a, 300);
  pool.written(a.subarray(0, 300));
  pool.retire(a);
  assert.is(pool.recycled, 0, 'one frame still unwritten');
  assert.is.not(pool.take().buffer, a.buffer, 'a new slab meanwhile');
  pool.written(a.subarray(300, 600));
  assert.is(pool.recycled, 1);
  assert.is(pool.take().buffer, a.buffer, 'handed out again');
});

test('issue 11: a slab still being read into is not recycled, however much was written', () => {
  const pool = new SlabPool(1000, 4);
  const a = pool.take();
  pool.lend(a, 500);
  pool.written(a.subarray(0, 500));
  assert.is(pool.recycled, 0);
  pool.retire(a);
  assert.is(pool.recycled, 1);
});

test('issue 11: more written than lent means the accounting is off: the slab is never reused', () => {
  const pool = new SlabPool(1000, 4);
  const a = pool.take();
  pool.lend(a, 100);
  pool.written(a.subarray(0, 200));
  pool.retire(a);
  pool.written(a.subarray(0, 0));
  assert.is(pool.recycled, 0);
  assert.is.not(pool.take().buffer, a.buffer);
});

test('issue 11: at most `keep` free slabs are held; buffers that are not slabs are ignored', () => {
  const pool = new SlabPool(100, 2);
  const slabs = [pool.take(), pool.take(), pool.take()];
  for (const s of slabs) { pool.retire(s); }
  assert.is(pool.recycled, 2);
  pool.written(Buffer.alloc(10));
  assert.is(pool.recycled, 2);
});

/** A socket whose writes complete when the test says so. */
function fakeSocket() {
  const pending: (() => void)[] = [];
  const s: QueueSocket = { destroyed: false, write(_b, done) { pending.push(() => done()); return true; } };
  return { s, completeAll: () => { while (pending.length) pending.shift()!(); } };
}

test('issue 11: full-size reads through a write queue reuse their slabs, and a frame held back is never overwritten', () => {
  const pool = new SlabPool(1024 * 1024, 4);
  const reads = new HeadroomReads(pool);
  const f = fakeSocket();
  const q = new WriteQueue(f.s, () => {}, pool);
  const held: { chunk: Buffer; copy: Buffer }[] = [];
  const slabsSeen = new Set<ArrayBufferLike>();
  let k = 0;
  reads.onChunk = (chunk) => {
    slabsSeen.add(chunk.buffer);
    // Every 37th frame is never written (a stream reset before its flush): its slab must stay its own.
    if (++k % 37 === 0) { held.push({ chunk, copy: Buffer.from(chunk) }); return; }
    q.push(Buffer.from(chunk.buffer, chunk.byteOffset - P.HEADER_SIZE, chunk.length + P.HEADER_SIZE));
    if (k % 5 === 0) f.completeAll();
  };
  const opts = reads.options as { buffer: () => Buffer; callback: (n: number) => boolean };
  for (let i = 0; i < 400; i++) {
    const b = opts.buffer();
    const n = i < 4 ? b.length : (i % 9 === 0 ? b.length - 100 : b.length);
    b.fill(i & 0xff, 0, n);
    opts.callback(n);
  }
  f.completeAll();
  assert.ok(pool.recycled > 5, `recycled ${pool.recycled}`);
  assert.ok(slabsSeen.size < 400 * MAX_READ / (1024 * 1024), `${slabsSeen.size} slabs for ${400} reads`);
  for (const h of held) assert.ok(h.chunk.equals(h.copy), 'a frame that was not written is intact');
});

test('issue 11: frames sent through the outbox with their headroom count as written from their slab', () => {
  const pool = new SlabPool(4 * (P.HEADER_SIZE + 1000), 4);
  const f = fakeSocket();
  const q = new WriteQueue(f.s, () => {}, pool);
  const w: FrameWriter = { index: 0, congested: false, write: (b) => q.push(b), whenDrained() {} };
  const core = new TsCore(1 << 20);
  core.linkOpen(0, true);
  const slot = core.openStream(0);
  const outbox = new Outbox(core);
  outbox.stream(w, P.FRAME_OPEN, slot, Buffer.from('{}'));
  outbox.flush();
  f.completeAll();
  const slab = pool.take();
  for (let i = 0; i < 4; i++) {
    const at = i * (P.HEADER_SIZE + 1000) + P.HEADER_SIZE;
    pool.lend(slab, P.HEADER_SIZE + 1000);
    outbox.data(w, slot, slab.subarray(at, at + 1000), true);
  }
  pool.retire(slab);
  outbox.flush();
  assert.is(pool.recycled, 0, 'queued, not yet written');
  f.completeAll();
  assert.is(pool.recycled, 1, 'all four frames written: the slab is free');
  assert.is(pool.take().buffer, slab.buffer);
});

test.run();
