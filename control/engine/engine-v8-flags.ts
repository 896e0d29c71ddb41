// The V8 flags every engine process starts with (engine-host.ts appends them to the site's own
// execArgv, so `--cpu-prof` and the like still reach the engine).
//
// Why a floor under the old-generation limit: Node 20's V8 counts the external bytes (ArrayBuffer
// backing stores: TLS read chunks, read slabs, written Buffers) allocated since the last mark-compact
// against the old generation's allocation limit (Heap::OldGenerationSpaceAvailable). Once a full GC
// has sized that limit from the engine's small live heap (~8 MB live → ~20 MB limit), the 20–30 MB
// of short-lived Buffers a data plane has in transit at Gbit/s use up the slack, and the next
// promotion starts a mark-compact that frees those Buffers but no heap: one every ~70 ms, 1.3–4× the
// CPU per GB and ~3× less throughput, for as long as the engine lives (bench/analysis/engine-gc.md).
// `--initial-old-space-size` set by the embedder is also the limit's floor ("skip full GCs below that
// threshold"), so the transit Buffers fit under it; idle engines are still compacted by V8's memory
// reducer.

/** Bound of the engine's V8 heap; payload Buffers live outside it. */
export const ENGINE_HEAP_MB = 256;
/** Floor of the old generation's allocation limit (heap objects plus external bytes since the last
 *  full GC): 64 MB holds the 20–30 MB of Buffers in transit with room to spare. */
export const ENGINE_OLD_SPACE_FLOOR_MB = 64;

export const ENGINE_V8_FLAGS: readonly string[] = [
  `--max-old-space-size=${ENGINE_HEAP_MB}`,
  `--initial-old-space-size=${ENGINE_OLD_SPACE_FLOOR_MB}`,
];
