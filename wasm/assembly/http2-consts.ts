// HTTP/2 observer constants and its memory layout (issue 13), compiled by both `asc` (into the core)
// and `tsc` (into the host and the TypeScript twin). Plain integer constants only, as protocol.ts.
// The region sits above the 16 MiB of the forwarding layout and the HTTP/1.1 observers (http1-consts.ts).

/** Start of the region; h2Init() refuses to run if the HTTP/1.1 region reaches it or it leaves memory. */
export const H2_BASE = 16777216;
/** Bytes the host copies in per h2Feed() call (frame headers, header blocks, settings; DATA is passed, not copied). */
export const H2_IN = 16777216;
export const H2_IN_CAP = 65536;
/** Observations written by the last call: H2_OUT_CAP records of H2_OBS_SIZE bytes (the HTTP/1.1 record, plus OB_GRPC). */
export const H2_OUT = 16842752;
export const H2_OUT_CAP = 128;
export const H2_OBS_SIZE = 80;
/** Two strings an HPACK block decodes into (a Huffman-coded name and value), 32 KiB each. */
export const H2_SCRATCH = 16859136;
export const H2_SCRATCH_CAP = 32768;
/** 16 KiB for constant tables: the TypeScript twin keeps its copy of hpack-data here (the wasm has it in its data segment). */
export const H2_STATIC = 16924672;
/** Observer slots: H2_MAX of H2_SIZE bytes. */
export const H2_OBS_BUF = 16941056;
export const H2_MAX = 256;
export const H2_SIZE = 57344;
/** End of the region; must stay within the memory (MEMORY_PAGES). */
export const H2_END = 31621120;

/** Streams one observer follows at once; more: fall back. */
export const H2_STREAMS = 64;
/** A header block (HEADERS + CONTINUATION fragments) larger than this: fall back. */
export const H2_BLOCK_CAP = 16384;
/** The largest HPACK dynamic table an observer holds (RFC 7541 default 4,096); a size update above it: fall back. */
export const H2_TABLE_CAP = 4096;
/** Bytes of the path's first segment kept (as H1_SEG_MAX). */
export const H2_SEG_MAX = 32;
/** What h2Skip() answers when any number of bytes may pass (nothing is parsed any more). */
export const H2_SKIP_ALL = 0x7fffffff;

// Directions (as H1_REQ/H1_RES).
export const H2_REQ = 0;
export const H2_RES = 1;

// Observer modes (h2Mode), the values of the HTTP/1.1 observer's.
export const H2_PARSING = 0;
/** malformed or unexpected bytes, or over a budget: the observer only lets bytes pass (h2Failure says why) */
export const H2_FAILED = 2;
/** h2End() was called */
export const H2_ENDED = 3;

// Why an observer fell back (h2Failure).
export const H2_FAIL_PREFACE = 1;
/** a frame out of place or of the wrong size (CONTINUATION expected, SETTINGS not a multiple of 6, ...) */
export const H2_FAIL_FRAME = 2;
/** a frame longer than the receiver's SETTINGS_MAX_FRAME_SIZE */
export const H2_FAIL_FRAME_SIZE = 3;
/** a header block HPACK cannot decode (bad index, integer, Huffman code, :status) */
export const H2_FAIL_HPACK = 4;
/** a dynamic table size update above H2_TABLE_CAP */
export const H2_FAIL_TABLE_SIZE = 5;
/** a header block above H2_BLOCK_CAP */
export const H2_FAIL_BLOCK_SIZE = 6;
/** more than H2_STREAMS streams open at once */
export const H2_FAIL_STREAMS = 7;
/** PUSH_PROMISE (its header block is not followed) */
export const H2_FAIL_PUSH = 8;
/** the host passed more unread bytes than h2Skip() allowed */
export const H2_FAIL_PASS = 9;

// Frame types and flags (RFC 9113).
export const FT_DATA = 0;
export const FT_HEADERS = 1;
export const FT_PRIORITY = 2;
export const FT_RST_STREAM = 3;
export const FT_SETTINGS = 4;
export const FT_PUSH_PROMISE = 5;
export const FT_PING = 6;
export const FT_GOAWAY = 7;
export const FT_WINDOW_UPDATE = 8;
export const FT_CONTINUATION = 9;
export const FL_END_STREAM = 1;
export const FL_ACK = 1;
export const FL_END_HEADERS = 4;
export const FL_PADDED = 8;
export const FL_PRIORITY = 32;

/** Observation record field added for HTTP/2 (the others are the HTTP/1.1 record's OB_*): grpc-status + 1, 0 when absent. */
export const OB_GRPC = 4;
/** u8: 1 when the stream was reset (RST_STREAM, or beyond a GOAWAY's last stream) before its response ended */
export const OB_FLAGS = 6;

// Layout of hpack-data (offsets in the constant blob): canonical Huffman tables (RFC 7541 Appendix B),
// the static table (Appendix A) and the words the observer compares against.
export const HD_SYMS = 0;
export const HD_FIRST = 516;
export const HD_COUNT = 640;
export const HD_OFFSET = 702;
export const HD_STATIC = 764;
export const HD_TEXT = 1008;
export const HD_SIZE = 1790;
// Words in the blob's text: offset * 256 + length.
export const W_PREFACE = 24;
export const W_METHOD = 6151;
export const W_PATH = 7941;
export const W_STATUS = 9223;
export const W_GRPC_STATUS = 11019;
export const W_GET = 13827;
export const W_HEAD = 14596;
export const W_POST = 15620;
export const W_PUT = 16643;
export const W_DELETE = 17414;
export const W_CONNECT = 18951;
export const W_OPTIONS = 20743;
export const W_TRACE = 22533;
export const W_PATCH = 23813;
