// The micro-benchmark cases: decode (small and large DATA frames, the FORWARD relay path), the wasm
// walk alone, encode batches, and the JS→wasm boundary (a call, the copy-in). Each case builds its
// input once and returns a Step per implementation (wasm core, TsCore).
import * as P from '../../wasm/assembly/protocol.js';
import type { DecodeSink, ForwardingCore } from '../../dataplane/core/core.js';
import { loadCore, type WasmCore } from '../../dataplane/core/wasm-core.js';
import { TsCore } from '../../dataplane/core/ts-core.js';
import { TsStreams } from '../../dataplane/core/ts-streams.js';
import { TsDecoder, TsLink } from '../../dataplane/core/ts-decoder.js';
import type { Case, Step } from './measure.js';
import { http1Cases } from './http1-cases.js';
import { http2Cases } from './http2-cases.js';

const WINDOW = 0x7fffffff;

/** Counts what the core hands out, so no payload view is optimised away. */
class CountingSink implements DecodeSink {
  bytes = 0;
  n = 0;
  onData(_s: number, p: Buffer): void { this.bytes += p.length; }
  onForward(_t: number, p: Buffer): void { this.bytes += p.length; }
  onOpen(): void { this.n++; }
  onCredit(): void { this.n++; }
  onClose(): void { this.n++; }
  onReset(): void { this.n++; }
  onControl(): void { this.n++; }
  onError(code: number): void { throw new Error(`bench input made a protocol error ${code}`); }
}

function header(len: number, type: number, id: number): Buffer {
  const h = Buffer.alloc(P.HEADER_SIZE);
  h.writeUInt32BE(len, 0);
  h[4] = type;
  h.writeUInt32BE(id, 8);
  return h;
}

/** `count` DATA frames of `size` bytes on stream 1, as one buffer. */
function dataFrames(size: number, count: number): Buffer {
  const one = Buffer.concat([header(size, P.FRAME_DATA, 1), Buffer.alloc(size, 0x5a)]);
  return Buffer.concat(Array.from({ length: count }, () => one));
}

/** Cuts `buf` into chunks of `size` (the last may be shorter): what successive socket reads deliver. */
function chunks(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < buf.length; at += size) out.push(buf.subarray(at, at + size));
  return out;
}

/** A core that accepted stream 1 on link 0 (slot 1); with `forward`, slot 1 relays to a stream on link 1. */
function receiver(core: ForwardingCore, forward: boolean): ForwardingCore {
  core.linkOpen(0, false);
  core.decode(0, Buffer.concat([header(1, P.FRAME_OPEN, 1), Buffer.from('k')]), new CountingSink());
  if (forward) {
    core.linkOpen(1, true);
    core.setForward(1, core.openStream(1));
  }
  return core;
}

/** One pass over all chunks, then the credit those bytes used is granted back (one CREDIT per pass). */
function decodeStep(core: ForwardingCore, input: Buffer[], frames: number, payload: number): Step {
  const sink = new CountingSink();
  const bytes = input.reduce((n, c) => n + c.length, 0);
  return () => {
    for (const c of input) core.decode(0, c, sink);
    core.queue(P.FRAME_CREDIT, 0, 0, 1, 0, payload);
    core.encode();
    return { units: frames, bytes };
  };
}

function decodeCase(name: string, size: number, total: number, chunk: number, forward = false): Case {
  const count = Math.max(1, Math.floor(total / (size + P.HEADER_SIZE)));
  const input = chunks(dataFrames(size, count), chunk);
  return {
    name, unit: 'frame',
    wasm: () => decodeStep(receiver(loadCore(WINDOW), forward), input, count, size * count),
    ts: () => decodeStep(receiver(new TsCore(WINDOW), forward), input, count, size * count),
  };
}

/** The walk alone: a chunk of whole 64 B frames already in core memory, decoded again and again. */
function walkCase(): Case {
  const n = Math.floor(65536 / 76);
  const chunk = dataFrames(64, n);
  const REFILL = 1000; // calls between credit refills, so the window never shuts
  return {
    name: 'walk only: 64 B DATA, 64 KiB in core memory (no copy-in, no dispatch)', unit: 'frame',
    wasm: () => {
      const core = receiver(loadCore(WINDOW), false) as WasmCore;
      new Uint8Array(core.x.memory.buffer, P.IN_BUF, P.IN_CAP).set(chunk);
      let k = 0;
      return () => {
        core.x.decode(0, chunk.length, 0);
        if (++k % REFILL === 0) { core.queue(P.FRAME_CREDIT, 0, 0, 1, 0, 64 * n * REFILL); core.encode(); }
        return { units: n, bytes: chunk.length };
      };
    },
    ts: () => {
      const t = new TsStreams();
      const links = Array.from({ length: P.MAX_LINKS }, () => new TsLink());
      const dec = new TsDecoder(t, links);
      dec.window = WINDOW;
      links[0].used = true;
      links[0].peerWindow = 65536;
      dec.call(0, Buffer.concat([header(0, P.FRAME_OPEN, 1)]));
      let k = 0;
      return () => {
        dec.call(0, chunk);
        if (++k % REFILL === 0) t.recvAllowed[1] += 64 * n * REFILL;
        return { units: n, bytes: chunk.length };
      };
    },
  };
}

function encodeCase(batch: number): Case {
  const step = (core: ForwardingCore): Step => {
    core.linkOpen(0, true);
    const s = core.openStream(0);
    return () => {
      for (let i = 0; i < batch; i++) core.queue(P.FRAME_DATA, 0, 0, s, 16384, 0);
      core.encode();
      return { units: batch, bytes: 0 };
    };
  };
  return { name: `encode: ${batch} DATA requests per batch (queue + encode + heads copy)`, unit: 'frame', wasm: () => step(loadCore(WINDOW)), ts: () => step(new TsCore(WINDOW)) };
}

const CALLS = 10000;
/** Results of the call loops land here so the calls are not optimised away. */
export let blackhole = 0;

/** Every case, in table order. Inputs are 1–2 MiB, so mostly cache-resident, like a chunk just decrypted. */
export function cases(): Case[] {
  const chunk64k = Buffer.alloc(65536, 1);
  return [
    decodeCase('decode: 64 B DATA frames, 64 KiB chunks', 64, 1 << 20, 65536),
    decodeCase('decode: 1 KiB DATA frames, 64 KiB chunks', 1024, 1 << 20, 65536),
    decodeCase('decode: 16 KiB DATA frames, 16 KiB chunks (straddling)', 16384, 1 << 20, 16384),
    decodeCase('decode: 1 MiB DATA frames, 64 KiB chunks', P.MAX_DATA_FRAME, 2 * P.MAX_DATA_FRAME + 24, 65536),
    // What a link reads under bulk load: 64 KiB app reads as frames, Node's TLS hands them over 16 KiB at a time.
    decodeCase('decode: 64 KiB DATA frames, 16 KiB chunks (TLS reads)', 65536, 1 << 21, 16384),
    decodeCase('relay: 64 B DATA frames forwarded (FORWARD), 64 KiB chunks', 64, 1 << 20, 65536, true),
    walkCase(),
    encodeCase(256),
    encodeCase(8),
    {
      name: 'boundary: one JS→wasm call (usedSlots) vs a JS method call', unit: 'call',
      wasm: () => { const c = loadCore(WINDOW); return () => { for (let i = 0; i < CALLS; i++) blackhole += c.x.usedSlots(); return { units: CALLS, bytes: 0 }; }; },
      ts: () => { const c = new TsCore(WINDOW); return () => { for (let i = 0; i < CALLS; i++) blackhole += c.usedSlots(); return { units: CALLS, bytes: 0 }; }; },
    },
    {
      name: 'boundary: copy-in of a 64 KiB chunk into wasm memory', unit: 'chunk',
      wasm: () => { const c = loadCore(WINDOW); const into = new Uint8Array(c.x.memory.buffer, P.IN_BUF, P.IN_CAP); return () => { into.set(chunk64k); return { units: 1, bytes: 65536 }; }; },
    },
    ...http1Cases(),
    ...http2Cases(),
  ];
}
