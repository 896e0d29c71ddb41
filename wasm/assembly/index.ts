// svcnet's forwarding core: the link frame codec, the stream table, per-stream credit and the
// forwarding decision. No I/O, no allocation, fixed memory; the host calls it once per read chunk
// (decode) and once per event-loop turn (encode). See dataplane/core/wasm-core.ts for the host side.
import * as P from './protocol';
import { resetStreams, acquire, release as releaseSlot, slotPtr, lookup, usedSlots as used, settle as settleSlots, peerStreams, highSlot } from './streams';
import { linkPtr, linkOk, L_USED, L_DIALER, L_NEXT_ID, L_PEER_WINDOW } from './links';
import { setLocalWindow, localWindow } from './decoder';
import { setClock, windowConsumed } from './window';

export { decode, consumed, dataAhead } from './decoder';
export { encode } from './encoder';
export { h1Init, h1Open, h1Close, h1Mode, h1Failure, h1Outs, h1Skip, h1Pass, h1Feed, h1End } from './http1';
export { h2Init, h2Open, h2Close, h2Mode, h2Failure, h2Outs, h2Skip, h2Pass, h2Feed, h2End } from './http2';

/** Resets the whole core; `window` is the receive credit this site grants per stream. */
export function init(window: u32): u32 {
  if (<u32>P.LAYOUT_END > <u32>memory.size() * 65536) return P.ERR_TABLE_FULL;
  memory.fill(P.LINK_BUF, 0, <usize>P.MAX_LINKS * P.LINK_SIZE);
  resetStreams();
  setLocalWindow(window);
  return 0;
}

/** Starts decoding for a new link in slot `link`; `dialer` decides the parity of our stream ids. */
export function linkOpen(link: u32, dialer: u32): u32 {
  if (link >= <u32>P.MAX_LINKS) return P.ERR_BAD_LINK;
  const lp = linkPtr(link);
  // A link slot reopened without linkClose would restart stream ids at 1/2 while the old streams are
  // still indexed, so (link, id) would name two slots: drop them first.
  if (load<u8>(lp + L_USED) != 0) linkClose(link);
  memory.fill(lp, 0, P.LINK_SIZE);
  store<u8>(lp + L_USED, 1);
  store<u8>(lp + L_DIALER, dialer ? 1 : 0);
  store<u32>(lp + L_NEXT_ID, dialer ? 1 : 2);
  store<u32>(lp + L_PEER_WINDOW, 65536);
  return 0;
}

/** Records the per-stream window the peer announced in its HELLO. */
export function linkSetPeerWindow(link: u32, window: u32): void {
  if (linkOk(link)) store<u32>(linkPtr(link) + L_PEER_WINDOW, window);
}

/** Forgets a link: every stream on it is released. The host has already reset their flows. */
export function linkClose(link: u32): void {
  if (link >= <u32>P.MAX_LINKS) return;
  for (let s: u32 = 1; s <= highSlot; s++) {
    const p = slotPtr(s);
    if ((load<u8>(p + P.SLOT_STATE) & P.ST_USED) != 0 && <u32>load<u8>(p + P.SLOT_LINK) == link) releaseSlot(s);
  }
  store<u8>(linkPtr(link) + L_USED, 0);
}

/** Opens a stream on `link` (next id of our parity); returns its slot, or 0 when the table is full. */
export function openStream(link: u32): u32 {
  if (!linkOk(link)) return 0;
  const lp = linkPtr(link);
  const id = load<u32>(lp + L_NEXT_ID);
  if (id >= 0x7ffffffe) return 0; // ids are never reused; a link this old must be re-dialed
  const s = acquire(link, id, load<u32>(lp + L_PEER_WINDOW), localWindow);
  if (s != 0) store<u32>(lp + L_NEXT_ID, id + 2);
  return s;
}

/** Sends a stream's incoming DATA on to `target` (another slot) instead of the host: multi-hop relay.
 *  Set both ways for a relay pair: when either slot is released, the other stops forwarding and drops its DATA. */
export function setForward(slot: u32, target: u32): void {
  if (slot > 0 && slot < <u32>P.MAX_SLOTS) store<u32>(slotPtr(slot) + P.SLOT_FORWARD, target);
}

/**
 * The host delivered `n` bytes of `slot` (written out and flushed) at `now` (its clock, µs). Returns
 * the credit to grant now (batched at a quarter of the stream's adaptive window, window.ts), or 0.
 */
export function consumedBytes(slot: u32, n: u32, now: u32): u32 {
  setClock(now);
  if (slot == 0 || slot >= <u32>P.MAX_SLOTS) return 0;
  const p = slotPtr(slot);
  const st = <u32>load<u8>(p + P.SLOT_STATE);
  if ((st & P.ST_USED) == 0 || (st & (P.ST_REMOTE_CLOSED | P.ST_BROKEN)) != 0) return 0;
  return windowConsumed(p, n, localWindow, load<u32>(p + P.SLOT_RECV_ALLOWED));
}

/** Takes up to `n` bytes of send credit on `slot`; returns what was granted (0 when the window is shut). */
export function reserveCredit(slot: u32, n: u32): u32 {
  if (slot == 0 || slot >= <u32>P.MAX_SLOTS) return 0;
  const p = slotPtr(slot);
  const st = <u32>load<u8>(p + P.SLOT_STATE);
  if ((st & P.ST_USED) == 0 || (st & P.ST_LOCAL_CLOSED) != 0) return 0;
  const c = load<u32>(p + P.SLOT_SEND_CREDIT);
  const take = min<u32>(c, n);
  store<u32>(p + P.SLOT_SEND_CREDIT, c - take);
  return take;
}

/**
 * Makes released slots reusable. The host calls it when no queued request and no descriptor it is
 * still dispatching can name a released slot (after encode(), or before a decode with nothing queued):
 * until then a slot number names one stream only, so a stale frame can never reach a new stream.
 */
export function settle(): void { settleSlots(); }

/** Streams the peer opened on `link` that still hold a slot (counted against MAX_PEER_STREAMS). */
export function linkPeerStreams(link: u32): u32 { return link < <u32>P.MAX_LINKS ? peerStreams(link) : 0; }

/** Releases a slot the host is done with (no frame is sent). */
export function release(slot: u32): void {
  if (slot > 0 && slot < <u32>P.MAX_SLOTS) releaseSlot(slot);
}

/** Slot of (link, stream id), or 0. */
export function find(link: u32, id: u32): u32 { return lookup(link, id); }

/** Streams currently open. */
export function usedSlots(): u32 { return used(); }
