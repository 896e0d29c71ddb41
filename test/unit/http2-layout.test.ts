// Issue 13: the HTTP/2 observer's memory layout holds together (regions in order, inside the fixed
// memory, above the HTTP/1.1 observers; an observer's fields inside its slot; the dynamic table's
// buffers large enough for its cap), and the wasm's state offsets (http2-state.ts, AssemblyScript only)
// are the twin's (ts-http2-state.ts), read from the source text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as H from '../../wasm/assembly/http2-consts.js';
import * as H1 from '../../wasm/assembly/http1-consts.js';
import * as P from '../../wasm/assembly/protocol.js';
import * as S from '../../dataplane/core/ts-http2-state.js';
import { HPACK_DATA } from '../../dataplane/core/ts-hpack-data.js';

test('issue 13: the HTTP/2 region is in order, above the HTTP/1.1 one and inside the memory', () => {
  assert.ok(H1.H1_END <= H.H2_BASE);
  assert.is(H.H2_IN, H.H2_BASE);
  assert.ok(H.H2_IN + H.H2_IN_CAP <= H.H2_OUT);
  assert.ok(H.H2_OUT + H.H2_OUT_CAP * H.H2_OBS_SIZE <= H.H2_SCRATCH);
  assert.ok(H.H2_SCRATCH + 2 * H.H2_SCRATCH_CAP <= H.H2_STATIC);
  assert.ok(H.H2_STATIC + H.HD_SIZE <= H.H2_OBS_BUF);
  assert.is(HPACK_DATA.length, H.HD_SIZE);
  assert.is(H.H2_OBS_BUF + H.H2_MAX * H.H2_SIZE, H.H2_END);
  assert.ok(H.H2_END <= P.MEMORY_PAGES * 65536);
  assert.is(H.H2_OBS_SIZE, H1.H1_OBS_SIZE, 'the HTTP/1.1 record, extended');
  assert.ok(H.OB_GRPC >= H1.OB_STATUS + 2 && H.OB_FLAGS >= H.OB_GRPC + 2 && H.OB_FLAGS < H1.OB_REQ_BYTES, 'the new fields sit in the record\'s gap');
  assert.ok(H.H2_OUT_CAP >= 2 * H.H2_STREAMS, 'h2Feed stops while H2_STREAMS records are free');
  // A Huffman string decodes to at most 8/5 of its length (the shortest code is 5 bits).
  assert.ok(H.H2_SCRATCH_CAP >= Math.ceil((H.H2_BLOCK_CAP * 8) / 5));
});

test('issue 13: an observer\'s fields fit its slot and the dynamic table\'s buffers fit its cap', () => {
  assert.ok(S.O_NSTREAMS < S.O_DIR && S.O_LAST_ID + 4 <= S.O_DIR);
  assert.is(S.O_DIR + 2 * S.D_SIZE, S.O_STREAMS);
  assert.ok(S.O_STREAMS + H.H2_STREAMS * S.S_SIZE <= H.H2_SIZE);
  assert.ok(S.S_SEG + H.H2_SEG_MAX <= S.S_SIZE);
  assert.ok(S.D_R_SEG + H.H2_SEG_MAX <= S.D_HDR && S.D_HDR + 9 <= S.D_ENTRIES);
  assert.ok(S.D_ENTRIES + S.ENT_MAX * 8 <= S.D_TBL);
  assert.ok(S.ENT_MAX * 32 >= H.H2_TABLE_CAP, 'entries of at least 32 bytes: the ring never overflows');
  assert.ok(S.TBL_BYTES >= H.H2_TABLE_CAP, 'compaction always makes room');
  assert.ok(S.D_TBL + S.TBL_BYTES <= S.D_BLK);
  assert.is(S.D_BLK + H.H2_BLOCK_CAP, S.D_SIZE);
});

test('issue 13: http2-state.ts (wasm) and ts-http2-state.ts (twin) define the same offsets', () => {
  const src = fs.readFileSync(fileURLToPath(new URL('../../../wasm/assembly/http2-state.ts', import.meta.url)), 'utf8');
  const defs = [...src.matchAll(/(?:export const |, )([A-Z][A-Z0-9_]*)(?:: u32)? = (\d+)/g)];
  assert.ok(defs.length > 60, `${defs.length} constants read`);
  for (const [, name, v] of defs) assert.is((S as unknown as Record<string, number>)[name], Number(v), name);
});

test('the HTTP/2 observer shares the HTTP/1.1 direction and mode codes (one HttpFlowObserver serves both)', () => {
  assert.equal([H.H2_REQ, H.H2_RES, H.H2_PARSING, H.H2_FAILED], [H1.H1_REQ, H1.H1_RES, H1.H1_PARSING, H1.H1_FAILED]);
});

test.run();
