// `svcnet bench` options turned into a RunBenchmark request (issue 14), pure: durations (10s,
// 1500ms, 1m), sizes (64, 1k, 64KiB, 1MB, 10G) and the caps, each refusal one line naming the flag.
import { BENCH_LIMITS, BENCH_ENDS, type BenchEnds } from '../../common/bench-request.js';
import type { RunBenchmarkRequest } from '../api/types.js';

/** A value on the command line that can never be valid (the CLI exits 2 with it). */
export class BenchArgError extends Error {}

/** Milliseconds from 1500ms, 10s, 1.5s, 1m. */
export function parseBenchDuration(v: string, flag = '--duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(v.trim());
  if (!m) throw new BenchArgError(`${flag} "${v}" must look like 10s, 1500ms or 1m`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm']);
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1e6, mib: 1024 ** 2, g: 1024 ** 3, gb: 1e9, gib: 1024 ** 3 };

/** Bytes from 64, 1k, 64KiB, 1MB, 10G (k/M/G alone are binary, as dd's). */
export function parseBytes(v: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(v.trim());
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new BenchArgError(`${flag} "${v}" must be a size like 64, 1k, 64KiB or 10G`);
  return Math.round(Number(m[1]) * unit);
}

/** The options as commander hands them over. */
export interface BenchOptions { to?: string; from?: string; flows?: string; duration?: string; size?: string; bytes?: string; ends?: string }

/** The request, or BenchArgError for the first option out of its range. */
export function benchRequest(o: BenchOptions): RunBenchmarkRequest {
  const L = BENCH_LIMITS;
  if (!o.to) throw new BenchArgError('--to SITE is required: the site to measure toward');
  const req: RunBenchmarkRequest = { to: o.to };
  if (o.from !== undefined) req.from = o.from;
  if (o.flows !== undefined) {
    if (!/^\d+$/.test(o.flows) || Number(o.flows) < 1 || Number(o.flows) > L.maxFlows) throw new BenchArgError(`--flows must be 1..${L.maxFlows}, not "${o.flows}"`);
    req.flows = Number(o.flows);
  }
  if (o.duration !== undefined) {
    const ms = parseBenchDuration(o.duration);
    if (ms < L.minDurationMs || ms > L.maxDurationMs) throw new BenchArgError(`--duration must be ${L.minDurationMs / 1000}s..${L.maxDurationMs / 1000}s, not "${o.duration}"`);
    req.durationMs = ms;
  }
  if (o.size !== undefined) {
    const n = parseBytes(o.size, '--size');
    if (n < 1 || n > L.maxSize) throw new BenchArgError(`--size must be 1..${L.maxSize} bytes (a latency message), not "${o.size}"`);
    req.size = n;
  }
  if (o.bytes !== undefined) {
    const n = parseBytes(o.bytes, '--bytes');
    if (n < 1 || n > L.maxBytes) throw new BenchArgError(`--bytes must be 1..100GiB, not "${o.bytes}"`);
    req.maxBytes = n;
  }
  if (o.ends !== undefined) {
    if (!BENCH_ENDS.includes(o.ends as BenchEnds)) throw new BenchArgError(`--ends must be ${BENCH_ENDS.join(' or ')}, not "${o.ends}"`);
    req.ends = o.ends;
  }
  return req;
}
