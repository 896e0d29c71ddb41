// The wasm module against its wrapper and protocol.ts: exports match CoreExports / CORE_EXPORT_NAMES
// exactly (names, kinds, arities), memory is fixed-size and holds the layout, layout regions do not
// overlap each other or the module's static data. Checked for both the release and the debug build.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as P from '../../wasm/assembly/protocol.js';
import { CORE_EXPORT_NAMES, corePath, type CoreExports } from '../../dataplane/core/wasm-core.js';

type Arity<T> = T extends (...a: infer A) => unknown ? A['length'] : never;
type Shape<T> = T extends (...a: never[]) => unknown ? { kind: 'function'; arity: Arity<T> }
  : T extends WebAssembly.Memory ? { kind: 'memory' } : { kind: 'global' };
/** The compiler holds this table to CoreExports (every key, its kind, each function's arity); the test holds the module to it. */
const SHAPE: { [K in keyof CoreExports]: Shape<CoreExports[K]> } = {
  memory: { kind: 'memory' },
  init: { kind: 'function', arity: 1 },
  linkOpen: { kind: 'function', arity: 2 },
  linkSetPeerWindow: { kind: 'function', arity: 2 },
  linkClose: { kind: 'function', arity: 1 },
  openStream: { kind: 'function', arity: 1 },
  setForward: { kind: 'function', arity: 2 },
  consumedBytes: { kind: 'function', arity: 3 },
  reserveCredit: { kind: 'function', arity: 2 },
  release: { kind: 'function', arity: 1 },
  find: { kind: 'function', arity: 2 },
  usedSlots: { kind: 'function', arity: 0 },
  settle: { kind: 'function', arity: 0 },
  linkPeerStreams: { kind: 'function', arity: 1 },
  decode: { kind: 'function', arity: 3 },
  consumed: { kind: 'global' },
  dataAhead: { kind: 'function', arity: 1 },
  encode: { kind: 'function', arity: 1 },
  h1Init: { kind: 'function', arity: 0 },
  h1Open: { kind: 'function', arity: 0 },
  h1Close: { kind: 'function', arity: 1 },
  h1Mode: { kind: 'function', arity: 1 },
  h1Failure: { kind: 'function', arity: 1 },
  h1Outs: { kind: 'function', arity: 0 },
  h1Skip: { kind: 'function', arity: 2 },
  h1Pass: { kind: 'function', arity: 4 },
  h1Feed: { kind: 'function', arity: 4 },
  h1End: { kind: 'function', arity: 2 },
  h2Init: { kind: 'function', arity: 0 },
  h2Open: { kind: 'function', arity: 0 },
  h2Close: { kind: 'function', arity: 1 },
  h2Mode: { kind: 'function', arity: 1 },
  h2Failure: { kind: 'function', arity: 1 },
  h2Outs: { kind: 'function', arity: 0 },
  h2Skip: { kind: 'function', arity: 2 },
  h2Pass: { kind: 'function', arity: 4 },
  h2Feed: { kind: 'function', arity: 4 },
  h2End: { kind: 'function', arity: 2 },
};

/** Memory limits and active data segments, read from the binary (the JS API does not expose a maximum). */
function parse(bin: Uint8Array): { min: number; max: number | undefined; data: [number, number][] } {
  let p = 8;
  const leb = (): number => { let r = 0, sh = 0, b; do { b = bin[p++]; r += (b & 0x7f) * 2 ** sh; sh += 7; } while (b & 0x80); return r; };
  let min = -1, max: number | undefined;
  const data: [number, number][] = [];
  while (p < bin.length) {
    const id = bin[p++], size = leb(), end = p + size;
    if (id === 5) {
      assert.is(leb(), 1, 'one memory');
      const flags = bin[p++];
      min = leb();
      if (flags & 1) max = leb();
    } else if (id === 11) {
      for (let n = leb(); n > 0; n--) {
        assert.is(leb(), 0, 'only active segments of memory 0');
        assert.is(bin[p++], 0x41, 'segment offset is an i32.const');
        const off = leb(); // offsets below 2^31 here; LEB sign does not matter for positive values < 2^27
        assert.is(bin[p++], 0x0b);
        const len = leb();
        data.push([off, off + len]);
        p += len;
      }
    }
    p = end;
  }
  return { min, max, data };
}

const REGIONS: [string, number, number][] = [
  ['IN', P.IN_BUF, P.IN_CAP],
  ['DESC', P.DESC_BUF, P.DESC_CAP * P.DESC_SIZE],
  ['REQ', P.REQ_BUF, P.REQ_CAP * P.REQ_SIZE],
  ['OUT', P.OUT_BUF, P.REQ_CAP * P.OUT_STRIDE],
  ['LINK', P.LINK_BUF, P.MAX_LINKS * P.LINK_SIZE],
  ['CTRL', P.CTRL_BUF, P.MAX_LINKS * 2 * P.CTRL_SIZE],
  ['SLOT', P.SLOT_BUF, P.MAX_SLOTS * P.SLOT_SIZE],
  ['FREE', P.FREE_BUF, P.MAX_SLOTS * 4],
  ['HASH', P.HASH_BUF, P.HASH_CAP * 4],
  ['LIMBO', P.LIMBO_BUF, P.MAX_SLOTS * 4],
  ['PEER_STREAMS', P.PEER_STREAMS_BUF, P.MAX_LINKS * 4],
];

test('CORE_EXPORT_NAMES is exactly the keys of CoreExports', () => {
  assert.equal([...CORE_EXPORT_NAMES].sort(), Object.keys(SHAPE).sort());
});

for (const debug of [false, true]) {
  const name = debug ? 'core.debug.wasm' : 'core.wasm';
  const bin = readFileSync(corePath(debug));

  test(`${name}: exports match CoreExports in names, kinds and arities`, () => {
    const mod = new WebAssembly.Module(bin);
    const exported = WebAssembly.Module.exports(mod).map((e) => `${e.name}:${e.kind}`).sort();
    assert.equal(exported, Object.entries(SHAPE).map(([k, s]) => `${k}:${s.kind}`).sort());
    for (const i of WebAssembly.Module.imports(mod)) assert.is(`${i.module}.${i.name}:${i.kind}`, 'env.abort:function', 'loadCore provides only abort');
    const x = new WebAssembly.Instance(mod, { env: { abort: () => { throw new Error('abort'); } } }).exports;
    for (const [k, s] of Object.entries(SHAPE)) {
      if (s.kind === 'function') assert.is((x[k] as (...a: number[]) => unknown).length, s.arity, `${k} arity`);
    }
    assert.ok(x.consumed instanceof WebAssembly.Global);
    assert.is(typeof (x.consumed as WebAssembly.Global).value, 'number', 'consumed is an i32 global');
  });

  test(`${name}: memory is fixed at MEMORY_PAGES, holds the layout, and cannot grow`, () => {
    const { min, max, data } = parse(bin);
    assert.is(min, P.MEMORY_PAGES);
    assert.is(max, P.MEMORY_PAGES, 'maximum == initial, so views never detach');
    assert.ok(P.LAYOUT_END <= P.MEMORY_PAGES * 65536);
    for (const [from, to] of data) assert.ok(to <= P.IN_BUF, `static data [${from}, ${to}) stays below the layout`);
    const mem = new WebAssembly.Instance(new WebAssembly.Module(bin), { env: { abort: () => 0 } }).exports.memory as WebAssembly.Memory;
    assert.is(mem.buffer.byteLength, P.MEMORY_PAGES * 65536);
    assert.throws(() => mem.grow(1), RangeError);
  });
}

test('protocol layout: regions are disjoint, ordered, inside LAYOUT_END, and sized for their contents', () => {
  let end = P.IN_BUF;
  for (const [name, at, size] of REGIONS) {
    assert.ok(at >= end, `${name} at ${at} overlaps the region before it (ends at ${end})`);
    end = at + size;
  }
  assert.ok(end <= P.LAYOUT_END, `the last region ends at ${end}, past LAYOUT_END`);
  assert.ok(P.OUT_STRIDE >= P.HEADER_SIZE + 4, 'a head holds the header and 4 inline bytes');
  assert.ok(P.CTRL_SIZE >= P.MAX_CONTROL_FRAME, 'a reassembly buffer holds the largest control payload');
  assert.ok(P.IN_CAP >= P.HEADER_SIZE);
  assert.ok(P.HASH_CAP >= 2 * P.MAX_SLOTS && (P.HASH_CAP & (P.HASH_CAP - 1)) === 0, 'the index is a power of two at most half full');
  assert.ok(P.MAX_LINKS <= 256, 'a slot stores its link in a byte');
});

test.run();
