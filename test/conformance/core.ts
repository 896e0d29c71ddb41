// The ForwardingCore conformance suite (style rule 11): the same cases, with expected values written
// out, run against every implementation (the wasm core's builds and the TypeScript reference).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import type { ForwardingCore } from '../../dataplane/core/core.js';
import { RecordingSink, frame, u32 } from '../helpers/recording-sink.js';
import { wire } from '../helpers/core-wire.js';

/** Makes a fresh core granting `window` bytes of receive credit per stream. */
export type CoreFactory = (window: number) => ForwardingCore;

const W = 65536;

/** Registers and runs the suite for one implementation. */
export function runCoreConformance(name: string, make: CoreFactory): void {
  const test = suite(`core conformance: ${name}`);

  /** A core with link 0 open; `dialer` picks our id parity. */
  const one = (dialer = false, window = W): ForwardingCore => {
    const c = make(window);
    c.linkOpen(0, dialer);
    return c;
  };
  const decode = (c: ForwardingCore, ...chunks: Buffer[]): RecordingSink => {
    const sink = new RecordingSink();
    for (const ch of chunks) c.decode(0, ch, sink);
    return sink;
  };
  const hex = (s: string | Buffer): string => Buffer.from(s).toString('hex');

  test('slots come from a LIFO free stack starting at 1; ids are never reused, dialer odd, acceptor even', () => {
    const a = one(true);
    assert.equal([a.openStream(0), a.openStream(0), a.openStream(0)], [1, 2, 3]);
    a.release(2);
    assert.is(a.openStream(0), 4, 'a released slot is not reused before the next encode (it may still be named by queued requests)');
    a.release(4);
    a.encode();
    assert.is(a.openStream(0), 4, 'after encode the slot released last is handed out first');
    assert.is(a.openStream(0), 2);
    const ids = (c: ForwardingCore, slots: number[]): number[] => {
      const { heads } = wire(c, slots.map((slot) => ({ type: P.FRAME_OPEN, slot })));
      return slots.map((_, i) => heads.readUInt32BE(i * P.OUT_STRIDE + 8));
    };
    assert.equal(ids(a, [1, 2, 3, 4]), [1, 11, 5, 9]);
    const b = one(false);
    assert.equal([b.openStream(0), b.openStream(0)], [1, 2]);
    assert.equal(ids(b, [1, 2]), [2, 4]);
    assert.is(a.usedSlots(), 4);
  });

  test('open, data, half-close both ways: the slot is released by whichever side finishes last', () => {
    const a = one(true), b = one(false);
    const s = a.openStream(0);
    assert.is(a.reserveCredit(s, 5), 5);
    const out = wire(a, [{ type: P.FRAME_OPEN, slot: s, payload: Buffer.from('{"k":1}') }, { type: P.FRAME_DATA, slot: s, payload: Buffer.from('hello') }, { type: P.FRAME_CLOSE, slot: s }]);
    assert.equal(out.status, [0, 0, 0]);
    assert.equal(decode(b, out.bytes).events, [['open', 1, '{"k":1}'], ['data', 1, hex('hello')], ['close', 1, false]]);
    const back = wire(b, [{ type: P.FRAME_DATA, slot: 1, payload: Buffer.from('ok') }, { type: P.FRAME_CLOSE, slot: 1 }, { type: P.FRAME_DATA, slot: 1, payload: Buffer.from('x') }]);
    assert.equal(back.status, [0, P.ENC_RELEASED, P.ERR_BAD_STATE]);
    assert.is(b.usedSlots(), 0);
    assert.equal(decode(a, back.bytes).events, [['data', s, hex('ok')], ['close', s, true]]);
    assert.is(a.usedSlots(), 0);
  });

  test('encode statuses and heads', () => {
    const a = one(true);
    const s = a.openStream(0);
    const big = { length: P.MAX_DATA_FRAME + 1 } as Buffer;
    const cases: [string, Parameters<typeof wire>[1][0], number][] = [
      ['PING on an open link', { type: P.FRAME_PING, payload: Buffer.alloc(8) }, 0],
      ['PING on a closed link', { type: P.FRAME_PING, link: 5 }, P.ERR_BAD_LINK],
      ['type 0', { type: 0 }, P.ERR_BAD_TYPE],
      ['type 12 (past FRAME_MAX_TYPE)', { type: P.FRAME_MAX_TYPE + 1, slot: s }, P.ERR_BAD_TYPE],
      ['ROUTES too large', { type: P.FRAME_ROUTES, payload: { length: P.MAX_CONTROL_FRAME + 1 } as Buffer }, P.ERR_FRAME_TOO_LARGE],
      ['TRAFFIC (issue 12)', { type: P.FRAME_TRAFFIC, payload: Buffer.alloc(100) }, 0],
      ['TRAFFIC too large', { type: P.FRAME_TRAFFIC, payload: { length: P.MAX_CONTROL_FRAME + 1 } as Buffer }, P.ERR_FRAME_TOO_LARGE],
      ['DATA too large', { type: P.FRAME_DATA, slot: s, payload: big }, P.ERR_FRAME_TOO_LARGE],
      ['DATA on slot 0', { type: P.FRAME_DATA, slot: 0 }, P.ERR_BAD_STATE],
      ['DATA on a free slot', { type: P.FRAME_DATA, slot: 9 }, P.ERR_BAD_STATE],
      ['DATA on slot MAX_SLOTS', { type: P.FRAME_DATA, slot: P.MAX_SLOTS }, P.ERR_BAD_STATE],
      ['CREDIT', { type: P.FRAME_CREDIT, slot: s, aux: 1234 }, 0],
      ['CLOSE', { type: P.FRAME_CLOSE, slot: s }, 0],
      ['DATA after CLOSE', { type: P.FRAME_DATA, slot: s, payload: Buffer.from('x') }, P.ERR_BAD_STATE],
      ['CLOSE twice', { type: P.FRAME_CLOSE, slot: s }, P.ERR_BAD_STATE],
      ['RESET a raw id on a closed link', { type: P.FRAME_RESET, flags: P.REQ_FLAG_RAW_ID, slot: 8, link: 3, aux: 1 }, P.ERR_BAD_LINK],
      ['RESET releases', { type: P.FRAME_RESET, slot: s, aux: P.ERR_ABORTED }, P.ENC_RELEASED],
      ['RESET of a released slot', { type: P.FRAME_RESET, slot: s, aux: P.ERR_ABORTED }, P.ERR_BAD_STATE],
    ];
    for (const [what, req, status] of cases) assert.equal(wire(a, [req]).status, [status], what);
    const { heads, status } = wire(a, [{ type: P.FRAME_RESET, flags: P.REQ_FLAG_RAW_ID, slot: 8, aux: P.ERR_STREAM_LIMIT }, { type: P.FRAME_PING, flags: 0xa5, payload: Buffer.alloc(3) }]);
    assert.equal(status, [0, 0]);
    assert.is(heads.subarray(0, 16).toString('hex'), '00000004060000000000000800000006');
    assert.is(heads.subarray(16, 28).toString('hex'), '0000000307a5000000000000');
    const c = one(true);
    const q = c.queue(P.FRAME_PING, 0, 0, 0, 0, 0);
    c.queue(P.FRAME_PONG, 0, 0, 0, 0, 0);
    assert.is(c.queued(), 2);
    c.cancel(q);
    assert.equal([...c.encode().status], [P.ERR_BAD_TYPE, 0], 'a cancelled request is refused, the others go');
    assert.is(c.queued(), 0);
  });

  test('credit: the peer window limits reserveCredit, CREDIT reopens it, consumed() batches a quarter window', () => {
    const a = one(true), b = one(false);
    const s = a.openStream(0);
    assert.is(a.reserveCredit(s, W + 100), W, 'the default peer window before HELLO is 64 KiB');
    assert.is(a.reserveCredit(s, 1), 0);
    a.linkSetPeerWindow(0, 1000);
    assert.is(a.reserveCredit(a.openStream(0), 5000), 1000, 'a HELLO window applies to streams opened later');
    decode(b, wire(a, [{ type: P.FRAME_OPEN, slot: s }]).bytes);
    assert.equal([b.consumed(1, W / 8), b.consumed(1, W / 8 - 1), b.consumed(1, 1), b.consumed(1, 5)], [0, 0, W / 4, 0]);
    assert.equal(decode(a, wire(b, [{ type: P.FRAME_CREDIT, slot: 1, aux: 300 }]).bytes).events, [['credit', s, 300]]);
    assert.is(a.reserveCredit(s, 1000), 300);
    assert.equal([a.reserveCredit(0, 1), a.reserveCredit(P.MAX_SLOTS, 1), a.consumed(0, W), a.consumed(12345, W)], [0, 0, 0, 0]);
    const credit = frame(P.FRAME_CREDIT, 1, u32(0x7fffffff));
    const over = decode(a, Buffer.concat([credit, credit]), frame(P.FRAME_DATA, 1, Buffer.from('x')));
    assert.equal(over.events, [['credit', s, 0x7fffffff], ['error', P.ERR_FLOW_CONTROL, 16, s, 0]], 'credit past 2^31-1 breaks the stream');
  });

  test('DATA beyond the window is a stream error; the broken stream drops DATA and grants no credit', () => {
    const c = one(false, 100);
    const sink = decode(c, Buffer.concat([frame(P.FRAME_OPEN, 1), frame(P.FRAME_DATA, 1, Buffer.alloc(60)), frame(P.FRAME_DATA, 1, Buffer.alloc(41)), frame(P.FRAME_DATA, 1, Buffer.from('z'))]));
    assert.equal(sink.events, [['open', 1, ''], ['data', 1, '00'.repeat(60)], ['error', P.ERR_FLOW_CONTROL, 84, 1, 0]]);
    assert.is(c.consumed(1, 1000), 0);
    assert.equal(decode(c, frame(P.FRAME_RESET, 1, u32(4))).events, [['reset', 1, 4]]);
    assert.is(c.usedSlots(), 0);
  });

  test('malformed frames are link errors at the bad header, relative to the chunk', () => {
    const cases: [string, Buffer, number, number][] = [
      ['unknown type', frame(99, 0), P.ERR_BAD_TYPE, 0],
      ['type 0 after a PING', Buffer.concat([frame(P.FRAME_PING, 0), frame(0, 0)]), P.ERR_BAD_TYPE, 12],
      ['DATA too large', frame(P.FRAME_DATA, 1, Buffer.alloc(0), 0, P.MAX_DATA_FRAME + 1), P.ERR_FRAME_TOO_LARGE, 0],
      ['control too large', frame(P.FRAME_HELLO, 0, Buffer.alloc(0), 0, P.MAX_CONTROL_FRAME + 1), P.ERR_FRAME_TOO_LARGE, 0],
      ['DATA on stream 0', frame(P.FRAME_DATA, 0, Buffer.from('x')), P.ERR_BAD_STREAM, 0],
      ['OPEN of our parity', frame(P.FRAME_OPEN, 2), P.ERR_BAD_STREAM, 0],
      ['OPEN on stream 0', frame(P.FRAME_OPEN, 0), P.ERR_BAD_STREAM, 0],
      ['OPEN twice', Buffer.concat([frame(P.FRAME_OPEN, 1), frame(P.FRAME_OPEN, 1, Buffer.from('k'))]), P.ERR_BAD_STREAM, 12],
      ['GOAWAY on a stream', frame(P.FRAME_GOAWAY, 3, u32(1)), P.ERR_BAD_STREAM, 0],
      ['CREDIT on stream 0', frame(P.FRAME_CREDIT, 0, u32(1)), P.ERR_BAD_STREAM, 0],
      ['RESET with 5 bytes', frame(P.FRAME_RESET, 1, Buffer.alloc(5)), P.ERR_BAD_LENGTH, 0],
      ['CLOSE with a byte', Buffer.concat([frame(P.FRAME_PONG, 0, Buffer.alloc(4)), frame(P.FRAME_CLOSE, 1, Buffer.alloc(1))]), P.ERR_BAD_LENGTH, 16],
    ];
    for (const [what, bytes, code, at] of cases) {
      const sink = decode(one(), bytes);
      assert.equal(sink.events[sink.events.length - 1], ['error', code, at, 0, 0], what);
    }
    const closed = make(W);
    const sink = new RecordingSink();
    closed.decode(0, frame(P.FRAME_PING, 0), sink);
    closed.decode(P.MAX_LINKS, frame(P.FRAME_PING, 0), sink);
    assert.equal(sink.events, [['error', P.ERR_BAD_LINK, 0, 0, 0], ['error', P.ERR_BAD_LINK, 0, 0, 0]]);
  });

  test('a frame that began in an earlier chunk reports offset 0; one split inside a large chunk its real offset', () => {
    const bad = Buffer.concat([frame(P.FRAME_PING, 0, Buffer.alloc(10)), frame(P.FRAME_OPEN, 4, Buffer.from('xy'))]);
    for (const cut of [23, 25, 30, 35]) {
      const sink = decode(one(), bad.subarray(0, cut), bad.subarray(cut));
      assert.equal(sink.events[sink.events.length - 1], ['error', P.ERR_BAD_STREAM, 0, 0, 0], `cut ${cut}`);
    }
    // A chunk larger than IN_CAP is decoded in several calls: a bad OPEN whose header (lead 5) or
    // payload (lead 13) straddles the boundary between calls is still reported at its own offset.
    for (const [lead, body] of [[5, ''], [13, 'xyz']] as const) {
      const fill: Buffer[] = [];
      for (let left = P.IN_CAP - lead; left > 0; left -= Math.min(left, 50012)) fill.push(frame(P.FRAME_ROUTES, 0, Buffer.alloc(Math.min(left, 50012) - 12)));
      const sink = decode(one(), Buffer.concat([...fill, frame(P.FRAME_OPEN, 2, Buffer.from(body))]));
      assert.is(sink.events.length, fill.length + 1);
      assert.equal(sink.events[fill.length], ['error', P.ERR_BAD_STREAM, P.IN_CAP - lead, 0, 0], `lead ${lead}`);
    }
  });

  test('headers and control payloads straddling chunks decode the same at every split; flags survive', () => {
    const bytes = Buffer.concat([frame(P.FRAME_HELLO, 0, Buffer.from('{"v":1}'), 0xf3), frame(P.FRAME_OPEN, 1, Buffer.from('key')), frame(P.FRAME_DATA, 1, Buffer.from('abcdef')), frame(P.FRAME_CREDIT, 1, u32(9)), frame(P.FRAME_CLOSE, 1), frame(P.FRAME_PING, 0, Buffer.from('12345678'), 0x40), frame(P.FRAME_TRAFFIC, 0, Buffer.from('summary'))]);
    const expected = [['control', P.FRAME_HELLO, 0xf3, hex('{"v":1}')], ['open', 1, 'key'], ['data', 1, hex('abcdef')], ['credit', 1, 9], ['close', 1, false], ['control', P.FRAME_PING, 0x40, hex('12345678')], ['control', P.FRAME_TRAFFIC, 0, hex('summary')]];
    assert.equal(decode(one(), bytes).events, expected);
    for (let a = 1; a < bytes.length; a += 3) {
      const b = Math.min(bytes.length - 1, a + 1 + (a % 17));
      assert.equal(decode(one(), bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)).merged(), expected, `cuts ${a} ${b}`);
    }
    const bytewise = decode(one(), ...Array.from(bytes, (x) => Buffer.from([x])));
    assert.equal(bytewise.merged(), expected, 'one byte per chunk');
  });

  test('frames for unknown streams are dropped; a stream reset by the peer is gone', () => {
    const c = one();
    const sink = decode(c, Buffer.concat([frame(P.FRAME_DATA, 7, Buffer.from('late')), frame(P.FRAME_CREDIT, 7, u32(5)), frame(P.FRAME_CLOSE, 7), frame(P.FRAME_RESET, 7, u32(1)), frame(P.FRAME_OPEN, 9), frame(P.FRAME_RESET, 9, u32(P.ERR_ABORTED)), frame(P.FRAME_DATA, 9, Buffer.from('after'))]));
    assert.equal(sink.events, [['open', 1, ''], ['reset', 1, P.ERR_ABORTED]]);
    assert.is(c.usedSlots(), 0);
  });

  test('relay: setForward turns DATA into FORWARD to the target, and back', () => {
    const c = make(W);
    c.linkOpen(0, false);
    c.linkOpen(1, true);
    decode(c, frame(P.FRAME_OPEN, 1));
    const out = c.openStream(1);
    c.setForward(1, out);
    const sink = decode(c, frame(P.FRAME_DATA, 1, Buffer.from('on')));
    c.setForward(1, 0);
    c.decode(0, frame(P.FRAME_DATA, 1, Buffer.from('here')), sink);
    assert.equal(sink.events, [['forward', out, hex('on')], ['data', 1, hex('here')]]);
  });

  test('regression (issue 6): the rest of a DATA frame whose slot the host released never reaches the slot', () => {
    const c = one(false);
    const bytes = Buffer.concat([frame(P.FRAME_OPEN, 1), frame(P.FRAME_DATA, 1, Buffer.from('0123456789'))]);
    const sink = decode(c, bytes.subarray(0, 30));
    c.queue(P.FRAME_RESET, 0, 0, 1, 0, P.ERR_ABORTED);
    assert.equal([...c.encode().status], [P.ENC_RELEASED]);
    c.linkOpen(1, true);
    assert.is(c.openStream(1), 1, 'the slot is reused at once');
    c.decode(0, bytes.subarray(30), sink);
    c.decode(0, frame(P.FRAME_PING, 0), sink);
    assert.equal(sink.events, [['open', 1, ''], ['data', 1, hex('012345')], ['control', P.FRAME_PING, 0, '']]);
  });

  test('regression (issue 6): relayed DATA never reaches a stream that took the released partner slot', () => {
    const c = make(W);
    c.linkOpen(0, false);
    c.linkOpen(1, false);
    decode(c, frame(P.FRAME_OPEN, 1));
    const sink = new RecordingSink();
    c.decode(1, frame(P.FRAME_OPEN, 1), sink);
    c.setForward(1, 2);
    c.setForward(2, 1);
    // The next hop resets its half, then (after a batch was encoded) opens a new stream: it gets slot 2 back.
    c.decode(1, frame(P.FRAME_RESET, 1, u32(P.ERR_ABORTED)), sink);
    c.encode();
    c.decode(1, frame(P.FRAME_OPEN, 3, Buffer.from('new')), sink);
    assert.equal(sink.events, [['open', 2, ''], ['reset', 2, P.ERR_ABORTED], ['open', 2, 'new']]);
    assert.equal(decode(c, frame(P.FRAME_DATA, 1, Buffer.from('relayed'))).events, [], 'dropped, not forwarded to the new stream');
    assert.is(c.consumed(1, W), 0, 'the orphaned half grants no credit');
    assert.equal(decode(c, frame(P.FRAME_RESET, 1, u32(0))).events, [['reset', 1, 0]]);
  });

  test('link close releases only that link; linkOpen on an open link drops its old streams', () => {
    const c = make(W);
    c.linkOpen(0, true);
    c.linkOpen(1, true);
    c.openStream(0); c.openStream(1); c.openStream(0);
    c.linkClose(0);
    assert.is(c.usedSlots(), 1);
    assert.is(c.openStream(0), 0, 'a closed link opens nothing');
    c.linkOpen(1, false);
    assert.is(c.usedSlots(), 0);
    assert.equal(decode(c, frame(P.FRAME_PING, 0)).events, [['error', P.ERR_BAD_LINK, 0, 0, 0]]);
  });

  test('a full descriptor table splits the call without losing or reordering anything', () => {
    const n = P.DESC_CAP + 20;
    const bytes = Buffer.concat([...Array.from({ length: n }, (_, i) => frame(P.FRAME_PING, 0, Buffer.alloc(0), i & 0xff)), frame(42, 0)]);
    const sink = decode(one(), bytes);
    assert.is(sink.events.length, n + 1);
    assert.ok(sink.events.slice(0, n).every((e, i) => e[0] === 'control' && e[2] === (i & 0xff)));
    assert.equal(sink.events[n], ['error', P.ERR_BAD_TYPE, n * 12, 0, 0]);
  });

  test('a full stream table refuses OPEN with the raw id; slots return on link close', () => {
    const c = one(true);
    for (let i = 1; i < P.MAX_SLOTS; i++) if (c.openStream(0) !== i) assert.unreachable(`slot ${i}`);
    assert.is(c.openStream(0), 0);
    assert.equal(decode(c, frame(P.FRAME_OPEN, 4, Buffer.from('k'))).events, [['error', P.ERR_STREAM_LIMIT, 0, 0, 4]]);
    c.linkClose(0);
    assert.is(c.usedSlots(), 0);
    c.linkOpen(0, true);
    assert.is(c.openStream(0), 0, 'released slots wait for the next encode');
    c.encode();
    assert.is(c.openStream(0), P.MAX_SLOTS - 1, 'linkClose pushed slots in ascending order');
  });

  test('issue 10 #3: a slot released between queue and encode is not reused: the queued frame never reaches a new stream', () => {
    const c = make(W);
    c.linkOpen(0, true);
    c.linkOpen(1, true);
    const s = c.openStream(0);
    c.queue(P.FRAME_RESET, 0, 0, s, 0, P.ERR_ABORTED);
    c.queue(P.FRAME_CREDIT, 0, 0, s, 0, 77);
    c.release(s); // a second error on the stream released it before the batch went out
    const same = c.openStream(0), other = c.openStream(1);
    assert.ok(same !== s && other !== s, `slot ${s} reused at once (got ${same}, ${other})`);
    const { status, heads } = c.encode();
    assert.equal([...status], [P.ERR_BAD_STATE, P.ERR_BAD_STATE], 'nothing goes out for the released slot');
    assert.ok(!heads.subarray(0, 2 * P.OUT_STRIDE).includes(Buffer.from([0, 0, 0, 3])), 'no head names the new stream id 3');
    assert.is(c.openStream(1), s, 'after encode the slot is handed out again');
    // A request for a slot that holds no stream (a stale handle) names nothing, even if the slot is taken before encode.
    const free = c.openStream(0) + 1;
    c.queue(P.FRAME_CREDIT, 0, 0, free, 0, 5);
    c.queue(P.FRAME_CREDIT, 0, 0, s, 0, 5); // s is now a stream of link 1
    assert.is(c.openStream(0), free);
    assert.equal([...c.encode().status], [P.ERR_BAD_STATE, P.ERR_BAD_STATE], 'a stale slot, and a slot of another link, send nothing');
  });

  test('issue 10 #3: a slot released while a chunk is dispatched stays unused even if a full batch is encoded mid-dispatch', () => {
    const c = one(false);
    let reused = -1;
    const sink = new RecordingSink();
    const orig = sink.onError.bind(sink);
    sink.onError = (code, off, slot, raw) => {
      orig(code, off, slot, raw);
      c.queue(P.FRAME_RESET, 0, 0, slot, 0, code);
      c.encode(); // the outbox flushes when its request table is full
      c.linkOpen(1, true);
      reused = c.openStream(1);
    };
    c.decode(0, Buffer.concat([frame(P.FRAME_OPEN, 1), frame(P.FRAME_CREDIT, 1, u32(0xffffffff)), frame(P.FRAME_CLOSE, 1)]), sink);
    assert.equal(sink.events, [['open', 1, ''], ['error', P.ERR_FLOW_CONTROL, 12, 1, 0], ['close', 1, false]]);
    assert.is(reused, 2, 'slot 1, still named by the CLOSE event dispatched after it, was not handed out');
    decode(c, frame(P.FRAME_PING, 0));
    assert.is(c.openStream(1), 1, 'the next decode with nothing queued settles it');
  });

  test('issue 10 #12: several errors on one stream in one chunk are reported once', () => {
    const c = one(false);
    const bad = (id: number): Buffer => frame(P.FRAME_CREDIT, id, u32(0xffffffff));
    const sink = decode(c, Buffer.concat([frame(P.FRAME_OPEN, 1), bad(1), bad(1), frame(P.FRAME_CLOSE, 1), frame(P.FRAME_CLOSE, 1), frame(P.FRAME_OPEN, 3), bad(3), bad(3)]));
    assert.equal(sink.events, [['open', 1, ''], ['error', P.ERR_FLOW_CONTROL, 12, 1, 0], ['close', 1, false], ['open', 2, ''], ['error', P.ERR_FLOW_CONTROL, 80, 2, 0]]);
    assert.equal(decode(c, bad(1)).events, [], 'nor in a later chunk');
  });

  test('issue 10 #8: a peer holds at most MAX_PEER_STREAMS slots on a link until they are settled; our opens and other links are not limited', () => {
    const c = make(W);
    c.linkOpen(0, false);
    c.linkOpen(1, false);
    const opens = (first: number, n: number): Buffer => Buffer.concat(Array.from({ length: n }, (_, i) => frame(P.FRAME_OPEN, first + 2 * i)));
    const sink = decode(c, opens(1, P.MAX_PEER_STREAMS + 2));
    assert.is(sink.events.length, P.MAX_PEER_STREAMS + 2);
    assert.equal(sink.events.slice(-3), [['open', P.MAX_PEER_STREAMS, ''], ['error', P.ERR_STREAM_QUOTA, 0, 0, 2 * P.MAX_PEER_STREAMS + 1], ['error', P.ERR_STREAM_QUOTA, 0, 0, 2 * P.MAX_PEER_STREAMS + 3]]);
    assert.is(c.peerStreams(0), P.MAX_PEER_STREAMS);
    assert.ok(c.openStream(0) !== 0, 'our own streams on the link are not counted');
    const other = new RecordingSink();
    c.decode(1, opens(1, 3), other);
    assert.equal(other.events.map((e) => e[0]), ['open', 'open', 'open'], 'another link is unaffected');
    // A RESET frees a live stream, but its slot counts until settled: a RESET/OPEN loop cannot churn past the quota.
    const churn = decode(c, Buffer.concat([frame(P.FRAME_RESET, 1, u32(0)), frame(P.FRAME_OPEN, 9001)]));
    assert.equal(churn.events, [['reset', 1, 0], ['error', P.ERR_STREAM_QUOTA, 0, 0, 9001]]);
    assert.is(c.usedSlots(), P.MAX_PEER_STREAMS - 1 + 1 + 3);
    c.encode();
    assert.is(c.peerStreams(0), P.MAX_PEER_STREAMS - 1);
    assert.equal(decode(c, frame(P.FRAME_OPEN, 9003)).events, [['open', 1, '']], 'settled: room for one more');
    c.linkClose(0);
    c.linkOpen(0, false);
    assert.is(c.peerStreams(0), P.MAX_PEER_STREAMS, 'a closed link\'s streams count until settled, even after linkOpen');
    c.encode();
    assert.equal([c.peerStreams(0), c.peerStreams(1), c.usedSlots()], [0, 3, 3]);
  });

  test.run();
}
