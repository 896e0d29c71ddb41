// HTTP/1.1 observer constants and its memory layout (issue 13), compiled by both `asc` (into the core)
// and `tsc` (into the host and the TypeScript twin). Plain integer constants only, as protocol.ts.
// The region sits at the top of the core's fixed memory, above protocol.ts's LAYOUT_END.

/** Start of the observer's region; h1Init() refuses to run if the forwarding layout reaches it. */
export const H1_BASE = 14680064;
/** Bytes the host copies in per h1Feed() call (a head, a chunk-size line; bodies are passed, not copied). */
export const H1_IN = 14680064;
export const H1_IN_CAP = 65536;
/** Observations written by the last call: H1_OUT_CAP records of H1_OBS_SIZE bytes. */
export const H1_OUT = 14745600;
export const H1_OUT_CAP = 128;
export const H1_OBS_SIZE = 80;
/** Observer slots: H1_MAX of H1_SIZE bytes. */
export const H1_OBS_BUF = 14755840;
export const H1_MAX = 1024;
export const H1_SIZE = 1280;
/** End of the region; must stay within the memory (256 pages). */
export const H1_END = 16066560;

/** A request or response head (start line, headers), a chunk-size line or trailers larger than this: fall back. */
export const H1_MAX_HEAD = 65536;
/** Requests sent ahead of their responses (pipelining) that one observer follows; more: fall back. */
export const H1_PEND_CAP = 16;
/** Bytes of the path's first segment kept; longer ones are cut. */
export const H1_SEG_MAX = 32;
/** What h1Skip() answers when any number of bytes may pass (raw tunnel, read-until-close, stopped). */
export const H1_SKIP_ALL = 0x7fffffff;

// Directions.
export const H1_REQ = 0;
export const H1_RES = 1;

// Observer modes (h1Mode).
export const H1_PARSING = 0;
/** an upgrade (101) or CONNECT (2xx) was accepted: the rest is opaque */
export const H1_RAW = 1;
/** malformed or unexpected bytes: the observer only lets bytes pass (h1Failure says why) */
export const H1_FAILED = 2;
/** h1End() was called */
export const H1_ENDED = 3;

// Why an observer fell back (h1Failure).
export const H1_FAIL_REQUEST = 1;
export const H1_FAIL_RESPONSE = 2;
export const H1_FAIL_HEAD_SIZE = 3;
export const H1_FAIL_PIPELINE = 4;
/** the host passed more unread bytes than h1Skip() allowed */
export const H1_FAIL_PASS = 5;

// Methods (observation byte 0). Anything else is H1_M_OTHER.
export const H1_M_OTHER = 0;
export const H1_M_GET = 1;
export const H1_M_HEAD = 2;
export const H1_M_POST = 3;
export const H1_M_PUT = 4;
export const H1_M_DELETE = 5;
export const H1_M_CONNECT = 6;
export const H1_M_OPTIONS = 7;
export const H1_M_TRACE = 8;
export const H1_M_PATCH = 9;

// Observation record fields (offsets in an H1_OBS_SIZE record).
export const OB_METHOD = 0;
export const OB_SEG_LEN = 1;
/** HTTP status; 0 when the connection ended before a response */
export const OB_STATUS = 2;
export const OB_REQ_BYTES = 8;
export const OB_RES_BYTES = 16;
export const OB_START = 24;
export const OB_END = 32;
export const OB_SEG = 40;

// Words the parser compares against, all in one string (H1_WORDS): each W_* is offset * 256 + length.
export const H1_WORDS_LEN = 121;
export const W_GET = 3; // GET
export const W_HEAD = 772; // HEAD
export const W_POST = 1796; // POST
export const W_PUT = 2819; // PUT
export const W_DELETE = 3590; // DELETE
export const W_CONNECT = 5127; // CONNECT
export const W_OPTIONS = 6919; // OPTIONS
export const W_TRACE = 8709; // TRACE
export const W_PATCH = 9989; // PATCH
export const W_CONTENT_LENGTH = 11278; // content-length
export const W_TRANSFER_ENCODING = 14865; // transfer-encoding
export const W_CONNECTION = 19210; // connection
export const W_UPGRADE = 21767; // upgrade
export const W_CHUNKED = 23559; // chunked
export const W_CLOSE = 25349; // close
export const W_KEEP_ALIVE = 26634; // keep-alive
export const W_HTTP1 = 29191; // HTTP/1.
