// Per-link state in wasm memory: the decoder's position inside the current frame, the control
// reassembly buffers, stream id allocation and the peer's advertised window.
import { LINK_BUF, LINK_SIZE, MAX_LINKS, CTRL_BUF, CTRL_SIZE } from './protocol';

export const L_HDR_FILL = 0;    // u32 header bytes gathered so far (frame header split across chunks)
export const L_HDR = 4;         // 12 bytes: the partial header
export const L_REMAIN = 16;     // u32 payload bytes still to come for the current frame
export const L_TYPE = 20;       // u8 current frame type
export const L_FLAGS = 21;      // u8 current frame flags
export const L_ACTIVE = 22;     // u8 1 while inside a payload
export const L_DISCARD = 23;    // u8 1 when the current DATA payload is dropped (unknown or broken stream)
export const L_STREAM = 24;     // u32 current frame stream id
export const L_SLOT = 28;       // u32 slot of the current DATA frame
export const L_CTRL_FILL = 32;  // u32 control bytes gathered
export const L_LEN = 36;        // u32 current frame length
export const L_NEXT_ID = 40;    // u32 next stream id we open (odd for the dialer, even for the acceptor)
export const L_USED = 44;       // u8 link slot in use
export const L_DIALER = 45;     // u8 we dialed this link
export const L_CTRL_SEL = 46;   // u8 which of the two reassembly buffers is being filled
export const L_PEER_WINDOW = 48; // u32 initial credit the peer grants per stream
export const L_FRAME_AT = 52;   // u32 offset of the current frame's header in this chunk (0 if it began earlier)

@inline export function linkPtr(link: u32): usize {
  return <usize>LINK_BUF + <usize>link * LINK_SIZE;
}

@inline export function ctrlPtr(link: u32, sel: u32): usize {
  return <usize>CTRL_BUF + (<usize>link * 2 + sel) * CTRL_SIZE;
}

/** True when `link` names a link slot that is open. */
@inline export function linkOk(link: u32): bool {
  return link < <u32>MAX_LINKS && load<u8>(linkPtr(link) + L_USED) == 1;
}
