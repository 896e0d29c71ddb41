// The wasm core's codec and stream state: round trips between two cores, chunking at every
// boundary, and malformed input turned into clean error codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import { loadCore, type WasmCore } from '../../dataplane/core/wasm-core.js';
import { RecordingSink, frame, u32 } from '../helpers/recording-sink.js';
import { wire } from '../helpers/core-wire.js';

const WINDOW = 65536;

/** Two cores joined by link 0: `a` dialed, `b` accepted. */
function pair(): { a: WasmCore; b: WasmCore } {
  const a = loadCore(WINDOW);
  const b = loadCore(WINDOW);
  a.linkOpen(0, true);
  b.linkOpen(0, false);
  a.linkSetPeerWindow(0, WINDOW);
  b.linkSetPeerWindow(0, WINDOW);
  return { a, b };
}

test('open, data both ways, half-close and release round-trip between two cores', () => {
  const { a, b } = pair();
  const s = a.openStream(0);
  assert.is(s, 1);
  const payload = Buffer.from('hello through the core');
  assert.is(a.reserveCredit(s, payload.length), payload.length);
  const out = wire(a, [{ type: P.FRAME_OPEN, slot: s, payload: Buffer.from('{"key":"k"}') }, { type: P.FRAME_DATA, slot: s, payload }, { type: P.FRAME_CLOSE, slot: s }]);
  assert.equal(out.status, [0, 0, 0]);
  const sink = new RecordingSink();
  b.decode(0, out.bytes, sink);
  assert.equal(sink.events, [['open', 1, '{"key":"k"}'], ['data', 1, payload.toString('hex')], ['close', 1, false]]);
  // b answers and closes: both directions done, so b's slot is released at encode.
  const back = wire(b, [{ type: P.FRAME_DATA, slot: 1, payload: Buffer.from('ok') }, { type: P.FRAME_CLOSE, slot: 1 }]);
  assert.is(back.status[1], P.ENC_RELEASED);
  assert.is(b.usedSlots(), 0);
  const sinkA = new RecordingSink();
  a.decode(0, back.bytes, sinkA);
  assert.equal(sinkA.events, [['data', 1, Buffer.from('ok').toString('hex')], ['close', 1, true]]);
  assert.is(a.usedSlots(), 0);
});

test('every split of a stream of frames decodes to the same events', () => {
  const { a } = pair();
  const s1 = a.openStream(0);
  const s2 = a.openStream(0);
  const big = Buffer.alloc(3000, 0xab);
  a.reserveCredit(s1, 5000);
  a.reserveCredit(s2, 5000);
  const { bytes } = wire(a, [
    { type: P.FRAME_OPEN, slot: s1, payload: Buffer.from('one') },
    { type: P.FRAME_OPEN, slot: s2, payload: Buffer.alloc(200, 0x41) },
    { type: P.FRAME_DATA, slot: s1, payload: big },
    { type: P.FRAME_PING, payload: Buffer.from('12345678') },
    { type: P.FRAME_DATA, slot: s2, payload: Buffer.from('x') },
    { type: P.FRAME_CREDIT, slot: s1, aux: 777 },
    { type: P.FRAME_RESET, slot: s2, aux: P.ERR_ABORTED },
  ]);
  const whole = loadCore(WINDOW);
  whole.linkOpen(0, false);
  whole.linkSetPeerWindow(0, WINDOW);
  const ref = new RecordingSink();
  whole.decode(0, bytes, ref);
  const expected = ref.merged();
  assert.is(expected.length, 7);
  for (let cut = 1; cut < bytes.length; cut += 7) {
    const c = loadCore(WINDOW);
    c.linkOpen(0, false);
    c.linkSetPeerWindow(0, WINDOW);
    const sink = new RecordingSink();
    c.decode(0, bytes.subarray(0, cut), sink);
    c.decode(0, bytes.subarray(cut), sink);
    assert.equal(sink.merged(), expected, `split at ${cut}`);
  }
});

test('credit: a sender gets only the window, CREDIT frames reopen it, overruns reset the stream', () => {
  const { a, b } = pair();
  const s = a.openStream(0);
  assert.is(a.reserveCredit(s, WINDOW + 100), WINDOW);
  assert.is(a.reserveCredit(s, 1), 0);
  const sink = new RecordingSink();
  b.decode(0, wire(a, [{ type: P.FRAME_OPEN, slot: s, payload: Buffer.from('k') }]).bytes, sink);
  // b consumes a quarter window: the core asks for a CREDIT of that size.
  assert.is(b.consumed(1, WINDOW / 8), 0);
  assert.is(b.consumed(1, WINDOW / 8), WINDOW / 4);
  const credit = wire(b, [{ type: P.FRAME_CREDIT, slot: 1, aux: WINDOW / 4 }]);
  const sinkA = new RecordingSink();
  a.decode(0, credit.bytes, sinkA);
  assert.equal(sinkA.events, [['credit', s, WINDOW / 4]]);
  assert.is(a.reserveCredit(s, WINDOW), WINDOW / 4);
  // A peer that ignores credit: a DATA frame larger than the window is a stream error.
  const c = loadCore(WINDOW);
  c.linkOpen(0, false);
  const bad = new RecordingSink();
  c.decode(0, Buffer.concat([frame(P.FRAME_OPEN, 1, Buffer.from('k')), frame(P.FRAME_DATA, 1, Buffer.alloc(WINDOW + 1))]), bad);
  assert.equal(bad.events[1], ['error', P.ERR_FLOW_CONTROL, 13, 1, 0]);
  assert.is(bad.events.length, 2, 'the overrun payload is dropped, not delivered');
});

test('malformed input: unknown type, oversized frames, bad stream ids and bad lengths are link errors with offsets', () => {
  const cases: [string, Buffer, number, number][] = [
    ['unknown frame type', frame(99, 0), P.ERR_BAD_TYPE, 0],
    ['type zero', Buffer.concat([frame(P.FRAME_PING, 0), frame(0, 0)]), P.ERR_BAD_TYPE, 12],
    ['DATA larger than the maximum', frame(P.FRAME_DATA, 1, Buffer.alloc(0), 0, P.MAX_DATA_FRAME + 1), P.ERR_FRAME_TOO_LARGE, 0],
    ['control larger than the maximum', frame(P.FRAME_ROUTES, 0, Buffer.alloc(0), 0, P.MAX_CONTROL_FRAME + 1), P.ERR_FRAME_TOO_LARGE, 0],
    ['DATA on stream 0', frame(P.FRAME_DATA, 0, Buffer.from('x')), P.ERR_BAD_STREAM, 0],
    ['OPEN with our own parity', frame(P.FRAME_OPEN, 2, Buffer.from('k')), P.ERR_BAD_STREAM, 0],
    ['OPEN twice on one id', Buffer.concat([frame(P.FRAME_OPEN, 1), frame(P.FRAME_OPEN, 1)]), P.ERR_BAD_STREAM, 12],
    ['PING on a stream', frame(P.FRAME_PING, 5), P.ERR_BAD_STREAM, 0],
    ['CREDIT with 3 bytes', frame(P.FRAME_CREDIT, 1, Buffer.alloc(3)), P.ERR_BAD_LENGTH, 0],
    ['CLOSE with a payload', frame(P.FRAME_CLOSE, 1, Buffer.alloc(1)), P.ERR_BAD_LENGTH, 0],
  ];
  for (const [name, bytes, code, offset] of cases) {
    const c = loadCore(WINDOW);
    c.linkOpen(0, false);
    const sink = new RecordingSink();
    c.decode(0, bytes, sink);
    const last = sink.events[sink.events.length - 1];
    assert.equal(last, ['error', code, offset, 0, 0], name);
  }
});

test('frames for streams already gone are dropped quietly; ids are never reused', () => {
  const c = loadCore(WINDOW);
  c.linkOpen(0, false);
  const sink = new RecordingSink();
  c.decode(0, Buffer.concat([
    frame(P.FRAME_DATA, 7, Buffer.from('late')), frame(P.FRAME_CREDIT, 7, u32(5)), frame(P.FRAME_CLOSE, 7), frame(P.FRAME_RESET, 7, u32(1)),
    frame(P.FRAME_OPEN, 9, Buffer.from('k')), frame(P.FRAME_RESET, 9, u32(P.ERR_ABORTED)),
  ]), sink);
  assert.equal(sink.events, [['open', 1, 'k'], ['reset', 1, P.ERR_ABORTED]]);
  assert.is(c.usedSlots(), 0);
  const d = loadCore(WINDOW);
  d.linkOpen(0, true);
  const ids = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const s = d.openStream(0);
    d.queue(P.FRAME_RESET, 0, 0, s, 0, 1);
    const { heads } = d.encode();
    ids.add(heads.readUInt32BE(8));
  }
  assert.is(ids.size, 50);
});

test('a refused OPEN (stream table full) comes back as an error with the raw id', () => {
  const c = loadCore(WINDOW);
  c.linkOpen(0, true);
  for (let i = 1; i < P.MAX_SLOTS; i++) assert.ok(c.openStream(0) > 0);
  assert.is(c.openStream(0), 0);
  const sink = new RecordingSink();
  c.decode(0, frame(P.FRAME_OPEN, 4, Buffer.from('k')), sink);
  assert.equal(sink.events, [['error', P.ERR_STREAM_LIMIT, 0, 0, 4]]);
  c.linkClose(0);
  assert.is(c.usedSlots(), 0);
});

test('relay: DATA of a forwarded stream comes out as FORWARD to the joined slot', () => {
  const c = loadCore(WINDOW);
  c.linkOpen(0, false);
  c.linkOpen(1, true);
  const sink = new RecordingSink();
  c.decode(0, frame(P.FRAME_OPEN, 1, Buffer.from('k')), sink);
  const out = c.openStream(1);
  c.setForward(1, out);
  c.setForward(out, 1);
  c.decode(0, frame(P.FRAME_DATA, 1, Buffer.from('pass me on')), sink);
  assert.equal(sink.events[1], ['forward', out, Buffer.from('pass me on').toString('hex')]);
});

test.run();
