// Issue 11 (per-byte cost): the wasm core is handed only the bytes it parses. The DATA payload a
// chunk starts with (the rest of a frame begun in an earlier chunk) is not copied into its memory;
// headers and control payloads after it are, and the payload still reaches the sink whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import type { DecodeSink } from '../../dataplane/core/core.js';
import { loadCore, corePath } from '../../dataplane/core/wasm-core.js';

function header(len: number, type: number, id: number): Buffer {
  const h = Buffer.alloc(P.HEADER_SIZE);
  h.writeUInt32BE(len, 0);
  h[4] = type;
  h.writeUInt32BE(id, 8);
  return h;
}

/** Records DATA payloads (copied) and control frames. */
function sink() {
  const data: Buffer[] = [];
  const control: number[] = [];
  const s: DecodeSink = {
    onData: (_slot, p) => { data.push(Buffer.from(p)); },
    onForward: () => {}, onOpen: () => {}, onCredit: () => {}, onClose: () => {}, onReset: () => {},
    onControl: (type) => { control.push(type); },
    onError: (code) => { throw new Error(`protocol error ${code}`); },
  };
  return { s, data, control };
}

for (const [name, path] of [['release', corePath()], ['debug', corePath(true)]] as const) {
  test(`issue 11: wasm core (${name}) — a chunk that is all DATA payload is not copied into core memory; what follows it is`, () => {
    const core = loadCore(1 << 20, path);
    const inBuf = new Uint8Array(core.x.memory.buffer, P.IN_BUF, 8192);
    const out = sink();
    core.linkOpen(0, false);
    core.decode(0, Buffer.concat([header(1, P.FRAME_OPEN, 1), Buffer.from('k')]), out.s);
    core.decode(0, Buffer.concat([header(5000, P.FRAME_DATA, 1), Buffer.alloc(1000, 0xaa)]), out.s);

    inBuf.fill(0x55);
    core.decode(0, Buffer.alloc(3000, 0xbb), out.s); // payload only: the core walks it unread
    assert.ok(inBuf.subarray(0, 3000).every((b) => b === 0x55), 'core memory untouched by a payload-only chunk');

    // The frame's last 1000 bytes, then a PING: only the PING's header is copied, at its place in the input.
    core.decode(0, Buffer.concat([Buffer.alloc(1000, 0xcc), header(0, P.FRAME_PING, 0)]), out.s);
    assert.ok(inBuf.subarray(0, 1000).every((b) => b === 0x55), 'the payload part of a mixed chunk is not copied');
    assert.equal(Buffer.from(inBuf.subarray(1000, 1000 + P.HEADER_SIZE)), header(0, P.FRAME_PING, 0), 'the header after it is');

    assert.equal(out.data.map((d) => [d.length, d[0]]), [[1000, 0xaa], [3000, 0xbb], [1000, 0xcc]], 'the payload reaches the sink whole');
    assert.equal(out.control, [P.FRAME_PING]);
  });
}

test.run();
