// Issue 11 (per-byte cost): the wasm core is handed only the bytes it parses. The DATA payload a
// chunk starts with (the rest of a frame begun in an earlier chunk) is not copied into its memory;
// headers and control payloads after it are, and the payload still reaches the sink whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import { loadCore, corePath } from '../../dataplane/core/wasm-core.js';
import { RecordingSink, frame } from '../helpers/recording-sink.js';

for (const [name, path] of [['release', corePath()], ['debug', corePath(true)]] as const) {
  test(`issue 11: wasm core (${name}) — a chunk that is all DATA payload is not copied into core memory; what follows it is`, () => {
    const core = loadCore(1 << 20, path);
    const inBuf = new Uint8Array(core.x.memory.buffer, P.IN_BUF, 8192);
    const out = new RecordingSink();
    core.linkOpen(0, false);
    core.decode(0, frame(P.FRAME_OPEN, 1, Buffer.from('k')), out);
    core.decode(0, frame(P.FRAME_DATA, 1, Buffer.alloc(1000, 0xaa), 0, 5000), out);

    inBuf.fill(0x55);
    core.decode(0, Buffer.alloc(3000, 0xbb), out); // payload only: the core walks it unread
    assert.ok(inBuf.subarray(0, 3000).every((b) => b === 0x55), 'core memory untouched by a payload-only chunk');

    // The frame's last 1000 bytes, then a PING: only the PING's header is copied, at its place in the input.
    core.decode(0, Buffer.concat([Buffer.alloc(1000, 0xcc), frame(P.FRAME_PING, 0)]), out);
    assert.ok(inBuf.subarray(0, 1000).every((b) => b === 0x55), 'the payload part of a mixed chunk is not copied');
    assert.equal(Buffer.from(inBuf.subarray(1000, 1000 + P.HEADER_SIZE)), frame(P.FRAME_PING, 0), 'the header after it is');

    const hex = (n: number, b: number) => Buffer.alloc(n, b).toString('hex');
    assert.equal(out.events.slice(1), [
      ['data', 1, hex(1000, 0xaa)], ['data', 1, hex(3000, 0xbb)], ['data', 1, hex(1000, 0xcc)], ['control', P.FRAME_PING, 0, ''],
    ], 'the payload reaches the sink whole, then the PING');
  });
}

test.run();
