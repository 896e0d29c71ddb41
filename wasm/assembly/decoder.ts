// decode(): one call per link read chunk. Walks every frame in the chunk (headers and control
// payloads may straddle chunks), updates the stream table and credit, and writes descriptors.
import * as P from './protocol';
import { lookup, acquire, release, slotPtr, peerStreams, markPeer } from './streams';
import {
  linkPtr, ctrlPtr, linkOk, L_HDR_FILL, L_HDR, L_REMAIN, L_TYPE, L_FLAGS, L_ACTIVE, L_DISCARD,
  L_STREAM, L_SLOT, L_CTRL_FILL, L_LEN, L_DIALER, L_CTRL_SEL, L_PEER_WINDOW, L_FRAME_AT,
} from './links';
import { setClock, windowData } from './window';

/** The receive window this site grants per stream (set by init). */
export let localWindow: u32 = 1048576;
export function setLocalWindow(w: u32): void { localWindow = w; }

let nDesc: u32 = 0;
/** Bytes of the last chunk that decode() consumed; less than len only when the table filled up. */
export let consumed: u32 = 0;

@inline function emit(kind: u32, flags: u32, ftype: u32, slot: u32, off: u32, len: u32, fflags: u32 = 0): void {
  const d = <usize>P.DESC_BUF + <usize>nDesc * P.DESC_SIZE;
  store<u8>(d, <u8>kind);
  store<u8>(d + 1, <u8>flags);
  store<u8>(d + 2, <u8>ftype);
  store<u8>(d + 3, <u8>fflags);
  store<u32>(d + 4, slot);
  store<u32>(d + 8, off);
  store<u32>(d + 12, len);
  nDesc++;
}

/** A link-level protocol error: emits it and returns the code so decoding stops. */
@inline function linkError(code: u32, at: u32): u32 {
  emit(P.DESC_ERROR, 0, 0, 0, at, code);
  return code;
}

/** A stream-level error: the stream is marked broken (its later DATA is dropped) and the host resets it.
 *  Reported once per stream: one RESET answers it, however many bad frames follow. */
function streamError(slot: u32, code: u32, at: u32): void {
  const p = slotPtr(slot);
  const st = load<u8>(p + P.SLOT_STATE);
  store<u8>(p + P.SLOT_STATE, st | <u8>(P.ST_BROKEN | P.ST_ERRORED));
  if ((st & <u8>P.ST_ERRORED) == 0) emit(P.DESC_ERROR, 0, 0, slot, at, code);
}


@inline function isPeerId(link: u32, id: u32): bool {
  // The dialer opens odd ids, the acceptor even ones; a peer may only open ids of its own parity.
  const dialer = load<u8>(linkPtr(link) + L_DIALER) == 1;
  return dialer ? (id & 1) == 0 : (id & 1) == 1;
}

/** A complete control frame (payload at ptr/len; inCore says whether ptr is wasm memory). 0 or a link error. */
function finishControl(link: u32, type: u32, flags: u32, id: u32, off: u32, len: u32, inCore: u32, at: u32): u32 {
  const dflags = inCore ? P.DESC_FLAG_IN_CORE : 0;
  if (type == P.FRAME_OPEN) {
    if (id == 0 || !isPeerId(link, id) || lookup(link, id) != 0) return linkError(P.ERR_BAD_STREAM, at);
    if (peerStreams(link) >= <u32>P.MAX_PEER_STREAMS) { emit(P.DESC_ERROR, P.DESC_FLAG_RAW_ID, type, 0, id, P.ERR_STREAM_QUOTA); return 0; }
    const peerWindow = load<u32>(linkPtr(link) + L_PEER_WINDOW);
    const s = acquire(link, id, peerWindow, localWindow);
    if (s == 0) { emit(P.DESC_ERROR, P.DESC_FLAG_RAW_ID, type, 0, id, P.ERR_STREAM_LIMIT); return 0; }
    markPeer(s);
    emit(P.DESC_OPEN, dflags, type, s, off, len);
    return 0;
  }
  if (type == P.FRAME_CREDIT || type == P.FRAME_RESET || type == P.FRAME_CLOSE) {
    if (id == 0) return linkError(P.ERR_BAD_STREAM, at);
    if (type != P.FRAME_CLOSE && len != 4) return linkError(P.ERR_BAD_LENGTH, at);
    if (type == P.FRAME_CLOSE && len != 0) return linkError(P.ERR_BAD_LENGTH, at);
    const s = lookup(link, id);
    if (s == 0) return 0; // a frame for a stream already gone: ids are never reused, so it is stale
    const p = slotPtr(s);
    const st = <u32>load<u8>(p + P.SLOT_STATE);
    if (type == P.FRAME_CREDIT) {
      const v = bswap<u32>(inCore ? load<u32>(<usize>off) : load<u32>(<usize>P.IN_BUF + <usize>off));
      const c = load<u32>(p + P.SLOT_SEND_CREDIT);
      if (<u64>c + <u64>v > 0x7fffffff) { streamError(s, P.ERR_FLOW_CONTROL, at); return 0; }
      store<u32>(p + P.SLOT_SEND_CREDIT, c + v);
      emit(P.DESC_CREDIT, 0, type, s, 0, v);
      return 0;
    }
    if (type == P.FRAME_RESET) {
      const code = bswap<u32>(inCore ? load<u32>(<usize>off) : load<u32>(<usize>P.IN_BUF + <usize>off));
      release(s);
      emit(P.DESC_RESET, P.DESC_FLAG_RELEASED, type, s, 0, code);
      return 0;
    }
    // CLOSE
    if ((st & P.ST_REMOTE_CLOSED) != 0) { streamError(s, P.ERR_BAD_STATE, at); return 0; }
    store<u8>(p + P.SLOT_STATE, <u8>(st | P.ST_REMOTE_CLOSED));
    if ((st & P.ST_LOCAL_CLOSED) != 0) {
      release(s);
      emit(P.DESC_CLOSE, P.DESC_FLAG_RELEASED, type, s, 0, 0);
    } else {
      emit(P.DESC_CLOSE, 0, type, s, 0, 0);
    }
    return 0;
  }
  // Link frames: HELLO, PING, PONG, ROUTES, GOAWAY.
  if (id != 0) return linkError(P.ERR_BAD_STREAM, at);
  // Frame flags go in their own byte: folded into the descriptor flags (<< 4) they lost their high bits.
  emit(P.DESC_CONTROL, dflags, type, 0, off, len, flags);
  return 0;
}

/** Header parsed: validate it and enter the payload. Returns 0 or a link-level error code. */
function beginFrame(link: u32, lp: usize, len: u32, type: u32, flags: u32, id: u32, at: u32): u32 {
  if (type == 0 || type > <u32>P.FRAME_MAX_TYPE) return linkError(P.ERR_BAD_TYPE, at);
  store<u32>(lp + L_LEN, len);
  store<u32>(lp + L_FRAME_AT, at);
  store<u8>(lp + L_TYPE, <u8>type);
  store<u8>(lp + L_FLAGS, <u8>flags);
  store<u32>(lp + L_STREAM, id);
  if (type == P.FRAME_DATA) {
    if (len > <u32>P.MAX_DATA_FRAME) return linkError(P.ERR_FRAME_TOO_LARGE, at);
    if (id == 0) return linkError(P.ERR_BAD_STREAM, at);
    let discard: u8 = 0;
    const s = lookup(link, id);
    if (s == 0) {
      discard = 1;
    } else {
      const p = slotPtr(s);
      const st = <u32>load<u8>(p + P.SLOT_STATE);
      const allowed = load<u32>(p + P.SLOT_RECV_ALLOWED);
      if ((st & P.ST_BROKEN) != 0) discard = 1;
      else if ((st & P.ST_REMOTE_CLOSED) != 0) { streamError(s, P.ERR_BAD_STATE, at); discard = 1; }
      else if (len > allowed) { streamError(s, P.ERR_FLOW_CONTROL, at); discard = 1; }
      else {
        store<u32>(p + P.SLOT_RECV_ALLOWED, allowed - len);
        store<u32>(p + P.SLOT_BYTES_IN, load<u32>(p + P.SLOT_BYTES_IN) + len);
        windowData(p);
      }
    }
    store<u32>(lp + L_SLOT, s);
    store<u8>(lp + L_DISCARD, discard);
    if (len > 0) {
      store<u32>(lp + L_REMAIN, len);
      store<u8>(lp + L_ACTIVE, 1);
    }
    return 0;
  }
  if (len > <u32>P.MAX_CONTROL_FRAME) return linkError(P.ERR_FRAME_TOO_LARGE, at);
  if (len == 0) return finishControl(link, type, flags, id, 0, 0, 0, at);
  store<u32>(lp + L_REMAIN, len);
  store<u32>(lp + L_CTRL_FILL, 0);
  store<u8>(lp + L_ACTIVE, 1);
  return 0;
}

/**
 * DATA payload bytes that `link`'s next input begins with (the rest of a frame that began in an
 * earlier call). walk() counts them without reading them, so the host copies into IN_BUF only what
 * follows: with 16 KiB TLS reads and larger frames most chunks are payload from end to end.
 */
export function dataAhead(link: u32): u32 {
  if (!linkOk(link)) return 0;
  const lp = linkPtr(link);
  return load<u8>(lp + L_ACTIVE) != 0 && load<u8>(lp + L_TYPE) == <u8>P.FRAME_DATA ? load<u32>(lp + L_REMAIN) : 0;
}

/** Decodes `len` bytes at IN_BUF for `link`, read at `now` (host clock, µs); returns the number of descriptors written. */
export function decode(link: u32, len: u32, now: u32): u32 {
  setClock(now);
  nDesc = 0;
  consumed = 0;
  if (!linkOk(link) || len > <u32>P.IN_CAP) { linkError(P.ERR_BAD_LINK, 0); return nDesc; }
  const lp = linkPtr(link);
  // The host may have released the slot of a DATA frame still arriving (a local reset, then maybe a new
  // stream in the same slot): the rest of that payload must be dropped, not delivered to the slot.
  if (load<u8>(lp + L_ACTIVE) != 0 && load<u8>(lp + L_TYPE) == <u8>P.FRAME_DATA && load<u8>(lp + L_DISCARD) == 0) {
    const sp = slotPtr(load<u32>(lp + L_SLOT));
    if ((load<u8>(sp + P.SLOT_STATE) & <u8>P.ST_USED) == 0 || <u32>load<u8>(sp + P.SLOT_LINK) != link
      || load<u32>(sp + P.SLOT_ID) != load<u32>(lp + L_STREAM)) store<u8>(lp + L_DISCARD, 1);
  }
  consumed = walk(link, lp, len);
  // Frame offsets are relative to a call's input: rebase the open frame's start for the next call, where
  // it is negative (it began earlier; the host reports 0 or its place in a chunk it split into calls).
  store<u32>(lp + L_FRAME_AT, load<u32>(lp + L_FRAME_AT) - consumed);
  return nDesc;
}

/** Walks the frames of `len` input bytes; returns how many it consumed. */
function walk(link: u32, lp: usize, len: u32): u32 {
  let p: u32 = 0;
  // Each step emits at most two descriptors; stop early rather than overflow the table.
  while (p < len && nDesc + 2 <= <u32>P.DESC_CAP) {
    if (load<u8>(lp + L_ACTIVE) == 0) {
      let fill = load<u32>(lp + L_HDR_FILL);
      let h: usize;
      const at = p - fill; // wraps below 0 when the header began in an earlier call
      if (fill == 0 && len - p >= <u32>P.HEADER_SIZE) {
        h = <usize>P.IN_BUF + <usize>p;
        p += P.HEADER_SIZE;
      } else {
        const take = min<u32>(<u32>P.HEADER_SIZE - fill, len - p);
        memory.copy(lp + L_HDR + fill, <usize>P.IN_BUF + <usize>p, take);
        fill += take;
        p += take;
        if (fill < <u32>P.HEADER_SIZE) { store<u32>(lp + L_HDR_FILL, fill); break; }
        store<u32>(lp + L_HDR_FILL, 0);
        h = lp + L_HDR;
      }
      const flen = bswap<u32>(load<u32>(h));
      const type = <u32>load<u8>(h + 4);
      const flags = <u32>load<u8>(h + 5);
      const id = bswap<u32>(load<u32>(h + 8));
      if (beginFrame(link, lp, flen, type, flags, id, at) != 0) return p;
      continue;
    }
    const remain = load<u32>(lp + L_REMAIN);
    const take = min<u32>(remain, len - p);
    const type = <u32>load<u8>(lp + L_TYPE);
    const left = remain - take;
    if (type == P.FRAME_DATA) {
      if (load<u8>(lp + L_DISCARD) == 0) {
        const s = load<u32>(lp + L_SLOT);
        const fwd = load<u32>(slotPtr(s) + P.SLOT_FORWARD);
        if (fwd != 0) emit(P.DESC_FORWARD, 0, type, fwd, p, take);
        else emit(P.DESC_DATA, 0, type, s, p, take);
      }
      p += take;
    } else {
      const flen = load<u32>(lp + L_LEN);
      const fill = load<u32>(lp + L_CTRL_FILL);
      const id = load<u32>(lp + L_STREAM);
      const flags = <u32>load<u8>(lp + L_FLAGS);
      const at = load<u32>(lp + L_FRAME_AT);
      if (fill == 0 && take == flen) {
        // Whole payload inside this chunk: point at it, no reassembly.
        const off = p;
        p += take;
        store<u8>(lp + L_ACTIVE, 0);
        if (finishControl(link, type, flags, id, off, flen, 0, at) != 0) return p;
        continue;
      }
      let sel = <u32>load<u8>(lp + L_CTRL_SEL);
      if (fill == 0) { sel ^= 1; store<u8>(lp + L_CTRL_SEL, <u8>sel); }
      const buf = ctrlPtr(link, sel);
      memory.copy(buf + fill, <usize>P.IN_BUF + <usize>p, take);
      store<u32>(lp + L_CTRL_FILL, fill + take);
      p += take;
      if (left == 0) {
        store<u8>(lp + L_ACTIVE, 0);
        store<u32>(lp + L_CTRL_FILL, 0);
        if (finishControl(link, type, flags, id, <u32>buf, flen, 1, at) != 0) return p;
        continue;
      }
    }
    store<u32>(lp + L_REMAIN, left);
    if (left == 0) store<u8>(lp + L_ACTIVE, 0);
  }
  return p;
}
