// encode(): one call per event-loop turn. Turns the host's queued requests into frame headers
// (plus the 4-byte inline payload of CREDIT and RESET), enforcing stream state.
import * as P from './protocol';
import { release, slotPtr } from './streams';
import { linkOk } from './links';

@inline function writeHeader(o: usize, len: u32, type: u32, flags: u32, id: u32): void {
  store<u32>(o, bswap<u32>(len));
  store<u8>(o + 4, <u8>type);
  store<u8>(o + 5, <u8>flags);
  store<u16>(o + 6, 0);
  store<u32>(o + 8, bswap<u32>(id));
}

/** Encodes one request; returns its status (an error code, possibly | ENC_RELEASED). */
function encodeOne(r: usize, o: usize): u32 {
  const type = <u32>load<u8>(r);
  const flags = <u32>load<u8>(r + 1);
  const link = <u32>load<u16>(r + 2);
  const slot = load<u32>(r + 4);
  let len = load<u32>(r + 8);
  const aux = load<u32>(r + 12);
  if (type == 0 || type > <u32>P.FRAME_MAX_TYPE) return P.ERR_BAD_TYPE;
  const isStream = type >= <u32>P.FRAME_OPEN && type <= <u32>P.FRAME_RESET;
  if (!isStream) {
    if (!linkOk(link)) return P.ERR_BAD_LINK;
    if (len > <u32>P.MAX_CONTROL_FRAME) return P.ERR_FRAME_TOO_LARGE;
    writeHeader(o, len, type, flags, 0);
    return 0;
  }
  if (type == P.FRAME_RESET && (flags & P.REQ_FLAG_RAW_ID) != 0) {
    if (!linkOk(link)) return P.ERR_BAD_LINK;
    writeHeader(o, 4, type, 0, slot);
    store<u32>(o + 12, bswap<u32>(aux));
    return 0;
  }
  if (slot == 0 || slot >= <u32>P.MAX_SLOTS) return P.ERR_BAD_STATE;
  const p = slotPtr(slot);
  const st = <u32>load<u8>(p + P.SLOT_STATE);
  // A slot is reused only after settle(), so a live slot here is the stream the request was queued for;
  // the link check is a second guard (a request naming another link's slot is a host bug, never sent).
  if ((st & P.ST_USED) == 0 || <u32>load<u8>(p + P.SLOT_LINK) != link) return P.ERR_BAD_STATE;
  const id = load<u32>(p + P.SLOT_ID);
  if (type == P.FRAME_DATA) {
    if ((st & P.ST_LOCAL_CLOSED) != 0) return P.ERR_BAD_STATE;
    if (len > <u32>P.MAX_DATA_FRAME) return P.ERR_FRAME_TOO_LARGE;
    // Credit was taken by reserveCredit() when the host read the bytes; here it is only counted.
    store<u32>(p + P.SLOT_BYTES_OUT, load<u32>(p + P.SLOT_BYTES_OUT) + len);
    writeHeader(o, len, type, flags, id);
    return 0;
  }
  if (type == P.FRAME_OPEN) {
    if (len > <u32>P.MAX_CONTROL_FRAME) return P.ERR_FRAME_TOO_LARGE;
    writeHeader(o, len, type, flags, id);
    return 0;
  }
  if (type == P.FRAME_CREDIT) {
    store<u32>(p + P.SLOT_RECV_ALLOWED, load<u32>(p + P.SLOT_RECV_ALLOWED) + aux);
    writeHeader(o, 4, type, 0, id);
    store<u32>(o + 12, bswap<u32>(aux));
    return 0;
  }
  if (type == P.FRAME_CLOSE) {
    if ((st & P.ST_LOCAL_CLOSED) != 0) return P.ERR_BAD_STATE;
    writeHeader(o, 0, type, 0, id);
    if ((st & P.ST_REMOTE_CLOSED) != 0) { release(slot); return P.ENC_RELEASED; }
    store<u8>(p + P.SLOT_STATE, <u8>(st | P.ST_LOCAL_CLOSED));
    return 0;
  }
  // RESET
  writeHeader(o, 4, type, 0, id);
  store<u32>(o + 12, bswap<u32>(aux));
  release(slot);
  return P.ENC_RELEASED;
}

/** Encodes `n` requests from REQ_BUF into OUT_BUF (OUT_STRIDE apart); statuses replace each request's aux.
 *  Slots released here go to limbo; the host calls settle() once nothing it holds can name them. */
export function encode(n: u32): u32 {
  if (n > <u32>P.REQ_CAP) n = P.REQ_CAP;
  for (let i: u32 = 0; i < n; i++) {
    const r = <usize>P.REQ_BUF + <usize>i * P.REQ_SIZE;
    const status = encodeOne(r, <usize>P.OUT_BUF + <usize>i * P.OUT_STRIDE);
    store<u32>(r + 12, status);
  }
  return n;
}
