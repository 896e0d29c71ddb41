// Small statistics helpers: medians with min–max over runs, percentiles of latency samples.

/** The p-th percentile (0..100) of an ascending array (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Median, min and max over the successful runs, and how many there were. */
export interface Summary { median: number; min: number; max: number; n: number }

/** Median, min and max of the finite values (NaN marks a failed run and is left out). */
export function summarize(values: number[]): Summary {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length };
}
