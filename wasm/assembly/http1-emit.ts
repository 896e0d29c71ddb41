// The HTTP/1.1 observer's output (issue 13): the observations written to the out region during one
// call (h1Feed, h1Pass, h1End), and the end of a message that writes one. Apart from http1.ts and
// http1-head.ts, which both end messages, so that neither imports the other.
import * as H from './http1-consts';
import { D_BYTES, D_EFLAGS, D_ENTRY, D_STATE, D_STATUS, E_CLOSE, E_CONNECT, E_UPGRADE, O_NPEND, O_PHEAD, P_METHOD, P_REQ, P_SEG, P_SEG_LEN, P_START, S_DONE, S_IDLE, S_WAIT, dirPtr, entryPtr, obsPtr } from './http1-state';

let outs: u32 = 0;

/** Observations written since the last reset (the host reads them after each call). */
@inline export function outCount(): u32 { return outs; }

/** Starts a call's output. */
@inline export function resetOuts(): void { outs = 0; }

/** Writes the observation of the oldest pending request and drops it. */
export function emitFront(o: u32, status: u32, now: f64): void {
  const op = obsPtr(o);
  const idx = <u32>load<u8>(op + O_PHEAD);
  const ep = entryPtr(o, idx);
  const rp = dirPtr(o, H.H1_RES);
  const out = <usize>H.H1_OUT + <usize>outs * H.H1_OBS_SIZE;
  const segLen = <u32>load<u8>(ep + P_SEG_LEN);
  store<u8>(out + H.OB_METHOD, load<u8>(ep + P_METHOD));
  store<u8>(out + H.OB_SEG_LEN, <u8>segLen);
  store<u16>(out + H.OB_STATUS, <u16>status);
  store<f64>(out + H.OB_REQ_BYTES, load<f64>(ep + P_REQ));
  store<f64>(out + H.OB_RES_BYTES, load<f64>(rp + D_BYTES));
  store<f64>(out + H.OB_START, load<f64>(ep + P_START));
  store<f64>(out + H.OB_END, now);
  memory.copy(out + H.OB_SEG, ep + P_SEG, segLen);
  outs++;
  store<f64>(rp + D_BYTES, 0);
  store<u8>(op + O_PHEAD, <u8>((idx + 1) % <u32>H.H1_PEND_CAP));
  store<u8>(op + O_NPEND, load<u8>(op + O_NPEND) - 1);
  const qp = dirPtr(o, H.H1_REQ);
  if (<u32>load<u8>(qp + D_ENTRY) == idx + 1) store<u8>(qp + D_ENTRY, 0);
}

/** A request or response (body included) is complete. */
export function messageEnd(o: u32, d: u32, now: f64): void {
  const dp = dirPtr(o, d);
  const ef = load<u8>(dp + D_EFLAGS);
  if (d == <u32>H.H1_RES) emitFront(o, <u32>load<u16>(dp + D_STATUS), now);
  store<u8>(dp + D_STATE, d == <u32>H.H1_REQ && (ef & (E_CONNECT | E_UPGRADE)) != 0 ? S_WAIT : (ef & E_CLOSE) != 0 ? S_DONE : S_IDLE);
}
