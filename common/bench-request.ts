// The reserved routing key of `svcnet bench` (issue 14) and the caps on one run, with the one check
// of a request that both the API edge (control/bench/) and the engine (dataplane/bench/) apply. Pure.

/** The request as dataplane/port/bench.ts BenchRequest has it (common/ imports nothing of the planes;
 *  the two are the same shape, which the compiler checks where they meet). */
export interface BenchRequest { to: string; flows: number; durationMs: number; size: number; maxBytes: number; ends: BenchEnds }

/** What is at the two ends of the bench's flows: `socket`, real loopback TCP sockets through the
 *  ordinary listener and connector flow path (what an application gets; the default); `engine`,
 *  streams from one engine straight into the other's sink (the network alone). */
export type BenchEnds = 'socket' | 'engine';
export const BENCH_ENDS: readonly BenchEnds[] = ['socket', 'engine'];

/** The routing key bench streams carry in their OPEN. Listeners and connectors may not use it
 *  (control/resources/common.ts refuses it) and no routing record advertises it. */
export const BENCH_KEY = 'svcnet.bench';

/** Caps on one run (and on what an engine serves for other sites' runs). */
export const BENCH_LIMITS = Object.freeze({
  /** throughput phase, ms */
  minDurationMs: 1_000,
  maxDurationMs: 60_000,
  /** bytes sent in the throughput phase, all flows together */
  maxBytes: 100 * 1024 ** 3,
  maxFlows: 64,
  /** latency message, bytes */
  maxSize: 65_536,
  /** bench streams one engine serves at once (sinks and echoes for other sites' runs) */
  maxServed: 256,
  /** a served stream is reset after this long (a driver that never closes) */
  servedMaxMs: 90_000,
});

/** What a request left out gets. */
export const BENCH_DEFAULTS = Object.freeze({ flows: 1, durationMs: 10_000, size: 64, maxBytes: BENCH_LIMITS.maxBytes, ends: 'socket' as BenchEnds });

/** The request with defaults filled in, or why it cannot run (one line naming the field). */
export function checkBenchRequest(raw: Partial<BenchRequest>): { req: BenchRequest } | { error: string } {
  const to = typeof raw.to === 'string' ? raw.to.trim() : '';
  if (!to) return { error: 'to: name the site to measure toward' };
  if (to.length > 253) return { error: 'to: longer than 253 characters' };
  const req: BenchRequest = {
    to,
    flows: raw.flows || BENCH_DEFAULTS.flows,
    durationMs: raw.durationMs || BENCH_DEFAULTS.durationMs,
    size: raw.size || BENCH_DEFAULTS.size,
    maxBytes: raw.maxBytes || BENCH_DEFAULTS.maxBytes,
    ends: (raw.ends || BENCH_DEFAULTS.ends) as BenchEnds,
  };
  const L = BENCH_LIMITS;
  if (!Number.isInteger(req.flows) || req.flows < 1 || req.flows > L.maxFlows) return { error: `flows: must be 1..${L.maxFlows}` };
  if (!Number.isFinite(req.durationMs) || req.durationMs < L.minDurationMs || req.durationMs > L.maxDurationMs) return { error: `duration: must be ${L.minDurationMs / 1000}..${L.maxDurationMs / 1000} s` };
  if (!Number.isInteger(req.size) || req.size < 1 || req.size > L.maxSize) return { error: `size: must be 1..${L.maxSize} bytes` };
  if (!Number.isFinite(req.maxBytes) || req.maxBytes < 1 || req.maxBytes > L.maxBytes) return { error: `bytes: must be 1..${L.maxBytes} (100 GiB)` };
  if (!BENCH_ENDS.includes(req.ends)) return { error: `ends: must be ${BENCH_ENDS.join(' or ')}` };
  return { req };
}
