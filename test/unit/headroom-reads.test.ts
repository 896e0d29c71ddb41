// Issue 11 (per-byte cost): reads of sockets we create land with room for a frame header in front
// and back to back, and the outbox writes such frames as one buffer (Node's TLS joins a writev of
// several buffers with a copy); frames without headroom still go out as header + payload.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import * as P from '../../wasm/assembly/protocol.js';
import { HeadroomReads, withHeadroomReads } from '../../dataplane/headroom-reads.js';
import { TsCore } from '../../dataplane/core/ts-core.js';
import { Outbox, type FrameWriter } from '../../dataplane/outbox.js';
import type { Socket } from 'node:net';
import { Flow } from '../../dataplane/flow.js';
import { fakeIO, fakeWriter, FakeAppSocket } from '../helpers/fake-stream-io.js';

/** Reads `total` bytes sent by a loopback server in `pieces` writes through HeadroomReads. */
async function readAll(total: number, pieces: number, limit?: (want: number) => number): Promise<Buffer[]> {
  const server = net.createServer((s) => {
    for (let i = 0; i < pieces; i++) s.write(Buffer.alloc(total / pieces, i + 1));
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const reads = new HeadroomReads();
  if (limit) reads.limit = limit;
  const chunks: Buffer[] = [];
  let got = 0;
  reads.onChunk = (c) => { chunks.push(c); got += c.length; };
  const socket = net.connect(withHeadroomReads({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' }, reads));
  const deadline = setTimeout(() => socket.destroy(), 5000);
  await new Promise<void>((r) => { socket.on('end', r); socket.on('close', () => r()); });
  clearTimeout(deadline);
  socket.destroy();
  server.close();
  assert.is(got, total, 'every byte arrived through the callback');
  return chunks;
}

test('issue 11: headroom reads leave HEADER_SIZE bytes in front of every read, reads of a socket lie back to back', async () => {
  const chunks = await readAll(4 * 1024 * 1024, 64);
  assert.ok(chunks.length > 1);
  let adjacent = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    assert.ok(c.byteOffset >= P.HEADER_SIZE, `read ${i} has room for a header`);
    const prev = chunks[i - 1];
    if (prev && prev.buffer === c.buffer) {
      assert.is(c.byteOffset, prev.byteOffset + prev.length + P.HEADER_SIZE, `read ${i} starts one header after the previous read`);
      adjacent++;
    }
  }
  assert.ok(adjacent > chunks.length / 2, 'most reads share a slab with the previous one');
  assert.ok(chunks[0].length <= 1024, 'an idle socket starts with a small read buffer');
  assert.ok(Math.max(...chunks.map((c) => c.length)) > 16 * 1024, 'reads grow while they fill their buffer');
});

test('issue 11: headroom reads are no larger than the consumer allows (its credit)', async () => {
  const chunks = await readAll(1024 * 1024, 16, (want) => Math.min(want, 5000));
  assert.ok(chunks.every((c) => c.length <= 5000), `largest read ${Math.max(...chunks.map((c) => c.length))}`);
});

/** A frame writer that records what it is given (the buffers themselves). */
function recorder(index: number) {
  const writes: Buffer[] = [];
  const w: FrameWriter = { index, congested: false, write(b: Buffer) { writes.push(b); }, whenDrained() {} };
  return { w, writes };
}

/** A core with an open stream on link 0, and its slot. */
function coreWithStream() {
  const core = new TsCore(1 << 20);
  core.linkOpen(0, true);
  const slot = core.openStream(0);
  return { core, slot, outbox: new Outbox(core) };
}

test('issue 11: DATA frames with headroom are handed over with their header in front, back to back, payload untouched', () => {
  const { slot, outbox } = coreWithStream();
  const r = recorder(0);
  const slab = Buffer.alloc(2 * (P.HEADER_SIZE + 3000), 0xee);
  const a = slab.subarray(P.HEADER_SIZE, P.HEADER_SIZE + 3000).fill(1);
  const b = slab.subarray(2 * P.HEADER_SIZE + 3000, 2 * (P.HEADER_SIZE + 3000)).fill(2);
  outbox.stream(r.w, P.FRAME_OPEN, slot, Buffer.from('{}'));
  outbox.flush();
  r.writes.length = 0;
  outbox.data(r.w, slot, a, true);
  outbox.data(r.w, slot, b, true);
  outbox.flush();
  assert.is(r.writes.length, 2);
  assert.ok(r.writes.every((x) => x.buffer === slab.buffer), 'views of the read slab, not copies');
  assert.is(r.writes[0].byteOffset, slab.byteOffset);
  assert.is(r.writes[1].byteOffset, r.writes[0].byteOffset + r.writes[0].length, 'the second frame starts where the first ends');
  for (const [at, fill] of [[0, 1], [P.HEADER_SIZE + 3000, 2]] as const) {
    assert.is(slab.readUInt32BE(at), 3000, 'frame length');
    assert.is(slab[at + 4], P.FRAME_DATA, 'frame type');
    assert.is(slab.readUInt32BE(at + 8), 1, 'the dialer\'s first stream id');
    assert.ok(slab.subarray(at + P.HEADER_SIZE, at + P.HEADER_SIZE + 3000).every((x) => x === fill), 'payload untouched');
  }
});

test('issue 11: frames without headroom are joined with their headers into one buffer; the bytes in front are left alone', () => {
  const { slot, outbox } = coreWithStream();
  const r = recorder(0);
  const buf = Buffer.alloc(P.HEADER_SIZE + 3000, 7);
  outbox.stream(r.w, P.FRAME_OPEN, slot, Buffer.from('{}'));
  outbox.data(r.w, slot, buf.subarray(P.HEADER_SIZE), false);
  outbox.flush();
  assert.equal(r.writes.map((x) => x.length), [P.HEADER_SIZE + 2 + P.HEADER_SIZE + 3000], 'OPEN and DATA in one buffer');
  assert.is(r.writes[0].readUInt32BE(P.HEADER_SIZE + 2), 3000);
  assert.ok(buf.every((x) => x === 7), 'nothing was written into the bytes before the payload');
});

test('issue 11: a flow sizes its next read to the credit it takes ahead, sends each read whole, and stops reading on a shut window', () => {
  const f = fakeIO({ 5: 5000 });
  const socket = new FakeAppSocket();
  const reads = new HeadroomReads();
  const flow = new Flow(f.io, 5, fakeWriter(0), socket as unknown as Socket, () => {}, reads);
  assert.is(reads.limit(4096), 4096, 'credit for the next read is taken ahead');
  reads.onChunk(Buffer.alloc(4096));
  assert.is(reads.limit(4096), 904, 'the rest of the window');
  assert.not.ok(socket.paused);
  reads.onChunk(Buffer.alloc(904));
  assert.ok(socket.paused, 'window shut with nothing left over: reading stops');
  assert.equal(f.sent.map((s) => [s.bytes, s.headroom]), [[4096, true], [904, true]], 'each read one DATA frame, with its headroom');
  f.credit[5] = 2000;
  flow.onCredit();
  assert.not.ok(socket.paused, 'reading resumes when credit arrives');
  assert.is(reads.limit(4096), 2000);
});

test.run();
