// Issue 11 (per-byte cost): a link hands its TLS socket one buffer per write, the next only when the
// last completed (Node's TLS copies a write of several buffers into one), joining buffers that lie
// back to back in memory; flushAll() hands everything over before end(); the backlog is counted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WriteQueue, type QueueSocket } from '../../dataplane/write-queue.js';

/** A socket whose writes complete when the test says so. */
function fakeSocket() {
  const writes: Buffer[] = [];
  const pending: (() => void)[] = [];
  const s: QueueSocket & { destroyed: boolean } = {
    destroyed: false,
    write(b, done) { writes.push(b); pending.push(() => done()); return true; },
  };
  return { s, writes, complete: () => pending.shift()!() };
}

test('issue 11: one write in flight; the rest waits, then goes as one buffer when it lies back to back', () => {
  const f = fakeSocket();
  let written = 0;
  const q = new WriteQueue(f.s, () => { written++; });
  const slab = Buffer.alloc(300);
  q.push(slab.subarray(0, 100));
  q.push(slab.subarray(100, 200));
  q.push(slab.subarray(200, 300));
  assert.is(f.writes.length, 1, 'only the first is handed over');
  assert.is(q.bytes, 200, 'the backlog counts what waits');
  f.complete();
  assert.is(written, 1);
  assert.is(f.writes.length, 2);
  assert.is(f.writes[1].length, 200, 'the two waiting views were joined into one (no copy)');
  assert.is(f.writes[1].buffer, slab.buffer);
  assert.is(q.bytes, 0);
});

test('issue 11: buffers that do not touch stay apart and keep their order', () => {
  const f = fakeSocket();
  const q = new WriteQueue(f.s, () => {});
  const a = Buffer.from('a'), b = Buffer.from('b'), c = Buffer.from('c');
  q.push(a); q.push(b); q.push(c);
  f.complete(); f.complete();
  assert.equal(f.writes.map((x) => x.toString()), ['a', 'b', 'c']);
});

test('issue 11: flushAll hands every queued buffer over at once, in order (GOAWAY before end)', () => {
  const f = fakeSocket();
  const q = new WriteQueue(f.s, () => {});
  q.push(Buffer.from('x')); q.push(Buffer.from('y')); q.push(Buffer.from('z'));
  q.flushAll();
  assert.equal(f.writes.map((x) => x.toString()), ['x', 'y', 'z']);
  assert.is(q.bytes, 0);
  f.complete();
  assert.is(f.writes.length, 3, 'nothing written twice');
});

test('issue 11: nothing is written to a destroyed socket', () => {
  const f = fakeSocket();
  const q = new WriteQueue(f.s, () => {});
  q.push(Buffer.from('x'));
  q.push(Buffer.from('y'));
  f.s.destroyed = true;
  f.complete();
  assert.equal(f.writes.map((x) => x.toString()), ['x']);
});

test.run();
