// The stream table: fixed slots in wasm memory, a free-slot stack and a (link, stream id) -> slot hash.
// Slots are the host's flow handles. Nothing here allocates; memory is laid out in protocol.ts.
// A released slot waits in limbo until settle(): the host may still hold requests or descriptors
// naming it, and a slot number must never name two streams while it does.
import {
  SLOT_BUF, SLOT_SIZE, MAX_SLOTS, FREE_BUF, HASH_BUF, HASH_CAP, LIMBO_BUF, PEER_STREAMS_BUF, MAX_LINKS,
  SLOT_STATE, SLOT_LINK, SLOT_ID, SLOT_SEND_CREDIT, SLOT_RECV_ALLOWED, SLOT_FORWARD,
  SLOT_BYTES_IN, SLOT_BYTES_OUT, ST_USED, ST_BROKEN, ST_PEER,
} from './protocol';
import { windowOpen } from './window';

const HASH_MASK: u32 = HASH_CAP - 1;
let freeTop: u32 = 0;
let limboTop: u32 = 0;

/** Address of a slot's record. */
@inline export function slotPtr(slot: u32): usize {
  return <usize>SLOT_BUF + <usize>slot * SLOT_SIZE;
}

@inline function homeOf(link: u32, id: u32): u32 {
  return ((id * 2654435761) ^ (link * 40503)) & HASH_MASK;
}

let used: bool = false;
/** Highest slot ever acquired since the last reset: scans over the table stop there, so they do not
 *  touch (and make resident) the pages of slots never used. */
export let highSlot: u32 = 0;

/** Empties the table: every slot free, the index empty. */
export function resetStreams(): void {
  // Fresh wasm memory is zero: the first reset leaves the 2.3 MiB of slots and index untouched, so
  // an idle engine's RSS holds only the pages its streams use.
  if (used) {
    memory.fill(SLOT_BUF, 0, <usize>MAX_SLOTS * SLOT_SIZE);
    memory.fill(HASH_BUF, 0, <usize>HASH_CAP * 4);
    memory.fill(PEER_STREAMS_BUF, 0, <usize>MAX_LINKS * 4);
  }
  used = true;
  highSlot = 0;
  freeTop = 0;
  limboTop = 0;
  // Push high to low so that slot 1 is handed out first; slot 0 means "none".
  for (let s: u32 = MAX_SLOTS - 1; s >= 1; s--) {
    store<u32>(<usize>FREE_BUF + <usize>freeTop * 4, s);
    freeTop++;
  }
}

/** Slot for (link, id), or 0 when the stream is unknown. */
export function lookup(link: u32, id: u32): u32 {
  let i = homeOf(link, id);
  while (true) {
    const s = load<u32>(<usize>HASH_BUF + <usize>i * 4);
    if (s == 0) return 0;
    const p = slotPtr(s);
    if (load<u32>(p + SLOT_ID) == id && <u32>load<u8>(p + SLOT_LINK) == link) return s;
    i = (i + 1) & HASH_MASK;
  }
}

/** Takes a free slot for (link, id) with the given credit, indexes it; 0 when the table is full.
 *  `recvAllowed` is the HELLO window: the sender's credit at open and the receive window's ceiling. */
export function acquire(link: u32, id: u32, sendCredit: u32, recvAllowed: u32): u32 {
  if (freeTop == 0) return 0;
  freeTop--;
  const s = load<u32>(<usize>FREE_BUF + <usize>freeTop * 4);
  if (s > highSlot) highSlot = s;
  const p = slotPtr(s);
  store<u8>(p + SLOT_STATE, <u8>ST_USED);
  store<u8>(p + SLOT_LINK, <u8>link);
  store<u32>(p + SLOT_ID, id);
  store<u32>(p + SLOT_SEND_CREDIT, sendCredit);
  store<u32>(p + SLOT_RECV_ALLOWED, recvAllowed);
  store<u32>(p + SLOT_FORWARD, 0);
  windowOpen(p, recvAllowed);
  store<u32>(p + SLOT_BYTES_IN, 0);
  store<u32>(p + SLOT_BYTES_OUT, 0);
  let i = homeOf(link, id);
  while (load<u32>(<usize>HASH_BUF + <usize>i * 4) != 0) i = (i + 1) & HASH_MASK;
  store<u32>(<usize>HASH_BUF + <usize>i * 4, s);
  return s;
}

/** Streams the peer opened on `link` whose slots are not yet back on the free stack. */
@inline export function peerStreams(link: u32): u32 {
  return load<u32>(<usize>PEER_STREAMS_BUF + <usize>link * 4);
}

/** Marks `s` as opened by the peer: it counts against its link's quota until settled. */
export function markPeer(s: u32): void {
  const p = slotPtr(s);
  store<u8>(p + SLOT_STATE, load<u8>(p + SLOT_STATE) | <u8>ST_PEER);
  const q = <usize>PEER_STREAMS_BUF + <usize>load<u8>(p + SLOT_LINK) * 4;
  store<u32>(q, load<u32>(q) + 1);
}

/** Ends a slot's stream and removes it from the index (backward-shift deletion keeps probes short, no
 *  tombstones). The slot goes to limbo, not to the free stack: settle() makes it reusable. */
export function release(s: u32): void {
  const p = slotPtr(s);
  if ((load<u8>(p + SLOT_STATE) & ST_USED) == 0) return;
  // A relay partner forwarding into this slot must stop at once: the slot may go to a new stream
  // before the host has reset the partner (the free stack is LIFO), and relayed bytes would reach
  // that stream. The partner's DATA is dropped from now on (ST_BROKEN) until the host resets it.
  const f = load<u32>(p + SLOT_FORWARD);
  if (f != 0 && f < <u32>MAX_SLOTS) {
    const fp = slotPtr(f);
    if (load<u32>(fp + SLOT_FORWARD) == s && (load<u8>(fp + SLOT_STATE) & ST_USED) != 0) {
      store<u32>(fp + SLOT_FORWARD, 0);
      store<u8>(fp + SLOT_STATE, load<u8>(fp + SLOT_STATE) | <u8>ST_BROKEN);
    }
  }
  const link = <u32>load<u8>(p + SLOT_LINK);
  const id = load<u32>(p + SLOT_ID);
  let i = homeOf(link, id);
  while (load<u32>(<usize>HASH_BUF + <usize>i * 4) != s) i = (i + 1) & HASH_MASK;
  let j = i;
  while (true) {
    j = (j + 1) & HASH_MASK;
    const t = load<u32>(<usize>HASH_BUF + <usize>j * 4);
    if (t == 0) break;
    const tp = slotPtr(t);
    const k = homeOf(<u32>load<u8>(tp + SLOT_LINK), load<u32>(tp + SLOT_ID));
    // Move t into the hole at i unless its home lies cyclically in (i, j].
    const inRange = i <= j ? (k > i && k <= j) : (k > i || k <= j);
    if (!inRange) {
      store<u32>(<usize>HASH_BUF + <usize>i * 4, t);
      i = j;
    }
  }
  store<u32>(<usize>HASH_BUF + <usize>i * 4, 0);
  // Only ST_PEER survives (for settle's quota count); without ST_USED the slot is free to every check.
  store<u8>(p + SLOT_STATE, load<u8>(p + SLOT_STATE) & <u8>ST_PEER);
  store<u32>(<usize>LIMBO_BUF + <usize>limboTop * 4, s);
  limboTop++;
}

/** Returns every slot in limbo to the free stack, in release order (the last released is handed out first). */
export function settle(): void {
  for (let k: u32 = 0; k < limboTop; k++) {
    const s = load<u32>(<usize>LIMBO_BUF + <usize>k * 4);
    const p = slotPtr(s);
    if ((load<u8>(p + SLOT_STATE) & <u8>ST_PEER) != 0) {
      const q = <usize>PEER_STREAMS_BUF + <usize>load<u8>(p + SLOT_LINK) * 4;
      store<u32>(q, load<u32>(q) - 1);
    }
    store<u8>(p + SLOT_STATE, 0);
    store<u32>(<usize>FREE_BUF + <usize>freeTop * 4, s);
    freeTop++;
  }
  limboTop = 0;
}

/** Number of slots in use (live streams; slots in limbo are not counted). */
export function usedSlots(): u32 {
  return MAX_SLOTS - 1 - freeTop - limboTop;
}
