// The HTTP/1.1 twin's output (the TypeScript reference of wasm/assembly/http1-emit.ts): writing the
// observation of a completed request, and the end of a message that writes one. Apart from
// ts-http1.ts and ts-http1-head.ts, which both end messages, so that neither imports the other.
import * as H from '../../wasm/assembly/http1-consts.js';
import { D_BYTES, D_EFLAGS, D_ENTRY, D_STATE, D_STATUS, E_CLOSE, E_CONNECT, E_UPGRADE, O_NPEND, O_PHEAD, P_METHOD, P_REQ, P_SEG, P_SEG_LEN, P_START, S_DONE, S_IDLE, S_WAIT, copy, cur, dirPtr, entryPtr, ld16, ld8, ldf, obsPtr, st16, st8, stf } from './ts-http1-state.js';

/** Writes the observation of the oldest pending request and drops it. */
export function emitFront(o: number, status: number, now: number): void {
  const op = obsPtr(o);
  const idx = ld8(op + O_PHEAD);
  const ep = entryPtr(o, idx);
  const rp = dirPtr(o, H.H1_RES);
  const out = H.H1_OUT + cur.outCount * H.H1_OBS_SIZE;
  const segLen = ld8(ep + P_SEG_LEN);
  st8(out + H.OB_METHOD, ld8(ep + P_METHOD));
  st8(out + H.OB_SEG_LEN, segLen);
  st16(out + H.OB_STATUS, status);
  stf(out + H.OB_REQ_BYTES, ldf(ep + P_REQ));
  stf(out + H.OB_RES_BYTES, ldf(rp + D_BYTES));
  stf(out + H.OB_START, ldf(ep + P_START));
  stf(out + H.OB_END, now);
  copy(out + H.OB_SEG, ep + P_SEG, segLen);
  cur.outCount++;
  stf(rp + D_BYTES, 0);
  st8(op + O_PHEAD, ((idx + 1) % H.H1_PEND_CAP));
  st8(op + O_NPEND, ld8(op + O_NPEND) - 1);
  const qp = dirPtr(o, H.H1_REQ);
  if (ld8(qp + D_ENTRY) == idx + 1) st8(qp + D_ENTRY, 0);
}

/** A request or response (body included) is complete. */
export function messageEnd(o: number, d: number, now: number): void {
  const dp = dirPtr(o, d);
  const ef = ld8(dp + D_EFLAGS);
  if (d == H.H1_RES) emitFront(o, ld16(dp + D_STATUS), now);
  st8(dp + D_STATE, d == H.H1_REQ && (ef & (E_CONNECT | E_UPGRADE)) != 0 ? S_WAIT : (ef & E_CLOSE) != 0 ? S_DONE : S_IDLE);
}
