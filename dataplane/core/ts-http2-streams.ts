// The TypeScript twin of wasm/assembly/http2-streams.ts (issue 13), line for line. The HTTP/2 observer's streams: a small table per connection (H2_STREAMS), opened by the
// client's HEADERS, ended by the server's END_STREAM, a RST_STREAM or a GOAWAY, each turned into one
// observation in H2_OUT (the HTTP/1.1 observation record plus OB_GRPC and OB_FLAGS).
import * as H from '../../wasm/assembly/http2-consts.js';
import { O_LAST_ID, O_MODE, O_FAIL, O_NSTREAMS, S_GRPC, S_ID, S_METHOD, S_REQ, S_RES, S_SEG, S_SEG_LEN, S_SIZE, S_START, S_STATUS, copy, cur, fill, ld16, ld32, ld8, ldf, obsPtr, st16, st32, st8, stf, streamPtr } from './ts-http2-state.js';

// Observation record fields shared with the HTTP/1.1 observer (http1-consts.ts OB_*).
const OB_METHOD = 0, OB_SEG_LEN = 1, OB_STATUS = 2, OB_REQ_BYTES = 8, OB_RES_BYTES = 16, OB_START = 24, OB_END = 32, OB_SEG = 40;


/** Observations written by the current call. */
export function outs(): number { return cur.outCount; }
/** Starts a call: no observations yet. */
export function clearOuts(): void { cur.outCount = 0; }

/** Stops following the connection: from now on bytes only pass. */
export function fail(o: number, reason: number): void {
  const op = obsPtr(o);
  st8(op + O_MODE, H.H2_FAILED);
  st8(op + O_FAIL, reason);
}

/** Index + 1 of stream `id` in the table, 0 when it is not followed. */
export function findStream(o: number, id: number): number {
  if (id == 0 || ld8(obsPtr(o) + O_NSTREAMS) == 0) return 0;
  for (let i: number = 0; i < H.H2_STREAMS; i++) if (ld32(streamPtr(o, i) + S_ID) == id) return i + 1;
  return 0;
}

/** Opens stream `id` (a client's HEADERS with a new odd id); index + 1, or 0 after failing when the table is full. */
export function openStream(o: number, id: number, now: number): number {
  const op = obsPtr(o);
  st32(op + O_LAST_ID, id);
  for (let i: number = 0; i < H.H2_STREAMS; i++) {
    const sp = streamPtr(o, i);
    if (ld32(sp + S_ID) != 0) continue;
    fill(sp, S_SIZE);
    st32(sp + S_ID, id);
    stf(sp + S_START, now);
    st8(op + O_NSTREAMS, ld8(op + O_NSTREAMS) + 1);
    return i + 1;
  }
  fail(o, H.H2_FAIL_STREAMS);
  return 0;
}

/** Counts `n` bytes of direction `d` to the stream at index + 1 `si`, if it is still stream `id`. */
export function addBytes(o: number, d: number, si: number, id: number, n: number): void {
  if (si == 0) return;
  const sp = streamPtr(o, si - 1);
  if (ld32(sp + S_ID) != id) return;
  const f = d == H.H2_REQ ? S_REQ : S_RES;
  stf(sp + f, ldf(sp + f) + n);
}

/** Writes the observation of the stream at index `i` and frees it; `reset` when it ended without its response. */
export function emit(o: number, i: number, reset: boolean, now: number): void {
  const sp = streamPtr(o, i);
  const out: number = H.H2_OUT + cur.outCount * H.H2_OBS_SIZE;
  const segLen = ld8(sp + S_SEG_LEN);
  st8(out + OB_METHOD, ld8(sp + S_METHOD));
  st8(out + OB_SEG_LEN, segLen);
  st16(out + OB_STATUS, ld16(sp + S_STATUS));
  st16(out + H.OB_GRPC, ld16(sp + S_GRPC));
  st8(out + H.OB_FLAGS, reset ? 1 : 0);
  stf(out + OB_REQ_BYTES, ldf(sp + S_REQ));
  stf(out + OB_RES_BYTES, ldf(sp + S_RES));
  stf(out + OB_START, ldf(sp + S_START));
  stf(out + OB_END, now);
  copy(out + OB_SEG, sp + S_SEG, segLen);
  cur.outCount++;
  st32(sp + S_ID, 0);
  const op = obsPtr(o);
  st8(op + O_NSTREAMS, ld8(op + O_NSTREAMS) - 1);
}

/** Emits every stream whose id is above `last` (all of them for 0): a GOAWAY's unprocessed streams, or the end. */
export function emitAbove(o: number, last: number, now: number): void {
  for (let i: number = 0; i < H.H2_STREAMS; i++) {
    const id = ld32(streamPtr(o, i) + S_ID);
    if (id != 0 && id > last) emit(o, i, true, now);
  }
}

