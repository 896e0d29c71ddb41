// Link protocol constants and the wasm core's memory layout.
// Compiled by both `asc` (into the core) and `tsc` (into the host), so the two can never disagree.
// Keep this file to plain integer constants: it must be valid AssemblyScript and TypeScript.

/** Protocol version carried in HELLO; a peer with another major version is refused. */
export const PROTOCOL_VERSION = 1;

/** Frame header: u32 payload length | u8 type | u8 flags | u16 reserved | u32 stream id (big-endian). */
export const HEADER_SIZE = 12;
/** Largest DATA payload a peer may send in one frame. */
export const MAX_DATA_FRAME = 1048576;
/** Largest control payload (HELLO, OPEN, ROUTES, ...); the core reassembles these. */
export const MAX_CONTROL_FRAME = 61440;

// Frame types. Stream frames (OPEN..RESET) need a stream id; link frames use stream 0.
export const FRAME_HELLO = 1;
export const FRAME_OPEN = 2;
export const FRAME_DATA = 3;
export const FRAME_CREDIT = 4;
export const FRAME_CLOSE = 5;
export const FRAME_RESET = 6;
export const FRAME_PING = 7;
export const FRAME_PONG = 8;
export const FRAME_ROUTES = 9;
export const FRAME_GOAWAY = 10;
/** A site's signed traffic summary, flooded to the whole network (dataplane/traffic/, issue 12). */
export const FRAME_TRAFFIC = 11;
export const FRAME_MAX_TYPE = 11;

// Descriptor kinds written by decode(): what the host must do, in order.
/** payload range [off, off+len) of the input chunk goes to local flow `slot` */
export const DESC_DATA = 1;
/** payload range goes out again as DATA on stream `slot` of another link (multi-hop) */
export const DESC_FORWARD = 2;
/** the peer opened stream `slot`; the OPEN payload is at off/len */
export const DESC_OPEN = 3;
/** the peer granted `len` more bytes of credit on stream `slot` */
export const DESC_CREDIT = 4;
/** the peer half-closed stream `slot` (it sends no more) */
export const DESC_CLOSE = 5;
/** the peer reset stream `slot` with error code `len`; the slot is released */
export const DESC_RESET = 6;
/** a link-level frame with payload at off/len; frame type in descriptor byte 2, frame flags in byte 3 */
export const DESC_CONTROL = 7;
/** protocol error: code in `len`, offset of the bad frame's header relative to this decode() call's input in `off`
 *  (an i32: negative when it began in an earlier call); slot != 0 means stream-level (reset it) */
export const DESC_ERROR = 8;

/** Descriptor flag: off/len point into wasm memory (a reassembled payload), not into the input chunk. */
export const DESC_FLAG_IN_CORE = 1;
/** Descriptor flag: the stream's slot was released by this event (both directions done, or reset). */
export const DESC_FLAG_RELEASED = 2;
/** Descriptor flag (DESC_ERROR): `off` holds a raw stream id that has no slot (e.g. refused OPEN). */
export const DESC_FLAG_RAW_ID = 4;
/** Encode request flag (RESET): `slot` holds a raw stream id of `link` that has no slot. */
export const REQ_FLAG_RAW_ID = 1;
/** Encode status bit: the request released its slot. */
export const ENC_RELEASED = 256;

// Error codes (decode errors, stream RESET codes and GOAWAY reasons share one space).
export const ERR_NONE = 0;
export const ERR_BAD_TYPE = 1;
export const ERR_FRAME_TOO_LARGE = 2;
export const ERR_BAD_STREAM = 3;
export const ERR_FLOW_CONTROL = 4;
export const ERR_BAD_LENGTH = 5;
export const ERR_STREAM_LIMIT = 6;
export const ERR_BAD_LINK = 7;
export const ERR_BAD_STATE = 8;
export const ERR_NO_ROUTE = 9;
export const ERR_CONNECT_FAILED = 10;
export const ERR_LINK_DOWN = 11;
export const ERR_ABORTED = 12;
export const ERR_TABLE_FULL = 13;
/** the peer's HELLO names a site its certificate or identity key does not prove (GOAWAY) */
export const ERR_PEER_IDENTITY = 14;
/** the peer sent more ROUTES bytes or new sites than its budget (GOAWAY) */
export const ERR_ROUTES_BUDGET = 15;
/** A peer kept exceeding a per-link budget (control bytes, OPEN rate, unanswered PINGs): GOAWAY reason. */
export const ERR_OVER_BUDGET = 16;
/** A peer's OPEN was refused: its link is at its stream quota or OPEN rate, or the connector is at its flow cap. */
export const ERR_STREAM_QUOTA = 17;
/** the peer did not send HELLO in time after TLS (issue 10 #9) */
export const ERR_HELLO_TIMEOUT = 18;
/** GOAWAY before closing a link whose certificate the accepting site revoked: the dialer stops redialing (issue 15) */
export const ERR_CERT_REVOKED = 19;
/** GOAWAY before closing a link the accepting site's policy refuses: the dialer backs off (issue 15) */
export const ERR_POLICY_DENIED = 20;

/**
 * Streams a peer may hold open on one link at a time (OPENs it sent, counted until their slots are back
 * on the free stack). One link can never take more than an eighth of the table: the rest stays for others.
 */
export const MAX_PEER_STREAMS = 4096;

// Fixed wasm memory layout (bytes). Memory never grows: maximum = initial = 512 pages (32 MiB: the forwarding
// layout and the HTTP/1.1 observers in the first 16 MiB, the HTTP/2 observers above, http2-consts.ts).
export const MEMORY_PAGES = 512;
/** Input chunk copied in by the host before decode(). */
export const IN_BUF = 65536;
export const IN_CAP = 262144;
/** Descriptor table: DESC_CAP entries of DESC_SIZE bytes. */
export const DESC_BUF = 327680;
export const DESC_SIZE = 16;
export const DESC_CAP = 8192;
/** Encode requests written by the host: REQ_CAP entries of REQ_SIZE bytes. */
export const REQ_BUF = 458752;
export const REQ_SIZE = 16;
export const REQ_CAP = 8192;
/** Encoded frame heads, OUT_STRIDE bytes per request: 12-byte header + up to 4 bytes inline payload. */
export const OUT_BUF = 589824;
export const OUT_STRIDE = 16;
/** Per-link decoder state. */
export const LINK_BUF = 720896;
export const LINK_SIZE = 64;
export const MAX_LINKS = 64;
/** Per-link reassembly buffers for control payloads (two each, used alternately). */
export const CTRL_BUF = 786432;
export const CTRL_SIZE = 65536;
/** Stream table: MAX_SLOTS entries of SLOT_SIZE bytes; slot 0 is never used. */
export const SLOT_BUF = 9175040;
export const SLOT_SIZE = 64;
export const MAX_SLOTS = 32768;
/** Free-slot stack (u32 per slot). */
export const FREE_BUF = 11272192;
/** (link, stream id) -> slot hash index, open addressing, u32 slot per entry. */
export const HASH_BUF = 11403264;
export const HASH_CAP = 65536;
/** Slots released since the last settle(): off the index, not yet reusable (u32 per slot). */
export const LIMBO_BUF = 11665408;
/** Per link: streams the peer opened still holding a slot (live or in limbo), u32 each. Survives linkOpen. */
export const PEER_STREAMS_BUF = 11796480;
/** End of used memory; must stay below MEMORY_PAGES * 65536. */
export const LAYOUT_END = 11796736;

// Stream slot fields (offsets inside a slot).
export const SLOT_STATE = 0;
export const SLOT_LINK = 1;
export const SLOT_ID = 4;
export const SLOT_SEND_CREDIT = 8;
export const SLOT_RECV_ALLOWED = 12;
export const SLOT_FORWARD = 16;
export const SLOT_RECV_PENDING = 20;
export const SLOT_BYTES_IN = 24;
export const SLOT_BYTES_OUT = 28;
// The adaptive receive window (wasm/assembly/window.ts; times are the host's clock in µs, u32, wrapping).
/** window the receiver stands behind now: credit held by the peer + bytes not yet credited back */
export const SLOT_WIN_EFFECT = 32;
/** window the policy aims at (grows toward the BDP, never past the HELLO window; shrinks when idle) */
export const SLOT_WIN_TARGET = 36;
export const SLOT_WIN_EPOCH_AT = 40;
export const SLOT_WIN_EPOCH_BYTES = 44;
export const SLOT_WIN_LAST_USE = 48;
/** smoothed credit-loop round trip (µs; 0 = no sample yet) */
export const SLOT_WIN_RTT = 52;
/** when credit went to a starved sender (µs | 1; 0 = none): the next DATA gives a round-trip sample */
export const SLOT_WIN_PROBE_AT = 56;

// Adaptive receive window policy (receiver side only: the HELLO window stays the ceiling).
/** a stream's target window at open and after an idle spell (capped by the HELLO window) */
export const WINDOW_START = 65536;
/** a stream that consumed nothing for this long (µs) falls back to WINDOW_START */
export const WINDOW_IDLE_US = 1000000;
/** the target doubles when half a window or more was consumed in under this many round trips per window */
export const WINDOW_GROW_RTTS = 2;

// Stream state bits.
export const ST_USED = 1;
/** we sent CLOSE: we send no more DATA */
export const ST_LOCAL_CLOSED = 2;
/** the peer sent CLOSE: it sends no more DATA */
export const ST_REMOTE_CLOSED = 4;
/** a stream error was reported, or its relay partner was released: the peer's DATA is dropped until the host resets the stream */
export const ST_BROKEN = 8;
/** a stream error was already reported for this stream: later errors on it are not reported again */
export const ST_ERRORED = 16;
/** the peer opened this stream: its slot counts against the link's MAX_PEER_STREAMS until settled */
export const ST_PEER = 32;
