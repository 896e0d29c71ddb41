// Capped exponential backoff with jitter, for everything that retries a connection (link dialers,
// a router's push stream): many sites retrying after one outage must not retry in step.
export const BACKOFF_BASE_MS = 200;
export const BACKOFF_CAP_MS = 5000;

/** Delay before attempt `n` (0-based): base * 2^n capped, times a jitter in [0.5, 1). */
export function backoffDelay(n: number, random = Math.random, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS): number {
  return Math.round(Math.min(cap, base * 2 ** Math.min(n, 16)) * (0.5 + random() / 2));
}
