// The port's types for `svcnet bench` (issue 14): what the controller asks an engine to measure
// toward another site, the progress it hears while the run lasts and the result at the end.
// Types only.

// The reserved key and the caps are values, so they live in common/bench-request.ts.

/** What to measure. `to` is a site name (or id) of the network. */
export interface BenchRequest {
  to: string;
  /** parallel flows in the throughput phase */
  flows: number;
  /** throughput phase length, ms */
  durationMs: number;
  /** bytes per latency message (echoed) */
  size: number;
  /** stop sending once this many bytes went out (all flows) */
  maxBytes: number;
  /** socket: real loopback sockets at both ends through the ordinary flow path (what applications
   *  get); engine: streams straight between the two engines (the network alone) */
  ends: 'socket' | 'engine';
}

/** One site on the measured path. */
export interface BenchSite { id: string; name: string }
/** The path as routing chose it: sites from the driver to the target, links between consecutive ones. */
export interface BenchPath { sites: BenchSite[]; links: { from: string; to: string; cost: number }[]; hops: number }

/** What a running bench reports about twice a second. */
export interface BenchProgress {
  phase: 'throughput' | 'latency' | 'rate';
  elapsedMs: number;
  /** throughput phase: bytes sent so far and the rate over the last period, Gbit/s */
  bytes: number;
  gbps: number;
}

/** CPU a site spent while the throughput phase ran, per GB delivered; sites that did not report are absent. */
export interface BenchCpu { site: string; role: 'driver' | 'target' | 'relay'; cpuSeconds: number; secondsPerGb: number }

/** The figures of a finished run. */
export interface BenchResult {
  from: BenchSite;
  to: BenchSite;
  path: BenchPath;
  /** what was at the flows' ends (the request's `ends`) */
  ends: 'socket' | 'engine';
  throughput: { flows: number; seconds: number; bytes: number; totalGbps: number; perFlowGbps: number[] };
  latency: { size: number; samples: number; p50Ms: number; p90Ms: number; p99Ms: number };
  rate: { flows: number; seconds: number; flowsPerSec: number; failed: number };
  cpu: BenchCpu[];
  /** what was left out and why (relay CPU, a phase cut short) */
  notes: string[];
}

/** Why a bench did not run or did not finish: a stable code and one line. */
export interface BenchError { code: 'SVCNET_ERR_BENCH_BUSY' | 'SVCNET_ERR_NO_ROUTE' | 'SVCNET_ERR_INVALID_ARGUMENT' | 'SVCNET_ERR_BENCH_FAILED' | 'SVCNET_ERR_CANCELLED'; message: string }
