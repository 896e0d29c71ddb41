// The arithmetic of `svcnet bench` (issue 14), pure: percentiles of round-trip samples, rates in
// Gbit/s, the CPU cost per GB, and the phase lengths a run's duration implies.

/** The value below which `p` (0..100) of `sorted` lies (nearest rank); 0 for no samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** p50, p90 and p99 of `samples` (any order), in the samples' unit. */
export function latencySummary(samples: readonly number[]): { p50: number; p90: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99) };
}

/** `bytes` moved in `ms` as Gbit/s (10^9 bits per second); 0 for no time. */
export function gbps(bytes: number, ms: number): number {
  return ms > 0 ? (bytes * 8) / (ms * 1e6) : 0;
}

/** CPU seconds spent per GB (10^9 bytes) delivered; 0 when nothing was delivered. */
export function cpuPerGB(cpuSeconds: number, bytes: number): number {
  return bytes > 0 ? cpuSeconds / (bytes / 1e9) : 0;
}

/** How long the latency and flow-rate phases last for a throughput phase of `durationMs`: a fifth
 *  of it each, between 0.5 s and 3 s, so a short run stays short and a long one gets enough samples. */
export function sidePhaseMs(durationMs: number): number {
  return Math.min(3000, Math.max(500, Math.round(durationMs / 5)));
}

/** Rounds for display and JSON: `digits` after the point. */
export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
