// The three measurements of a bench run (issue 14), each over streams the driver opens toward the
// target: bulk throughput (sources against the target's sinks, counted at the sinks), round-trip
// latency (one pinger against an echo) and new flows per second (open, close, answer: a bounded
// loop). Each resolves with its figures or rejects with the first stream failure.
import { BenchStream, type BenchBehaviour } from './bench-stream.js';
import type { SinkReport } from './bench-server.js';
import { protocolErrorName } from '../errors.js';
import * as P from '../../wasm/assembly/protocol.js';
import { pacedOpens, RATE_MAX_PER_SEC, type RateFigures } from './paced-opens.js';

/** Opens a stream of `kind` toward the target (undefined: no slot or no route now). */
export type OpenBench = (kind: 'sink' | 'echo', b: BenchBehaviour) => BenchStream | undefined;

/** A stream ended other than cleanly: the code's stable name, for the run's error. */
export class StreamFailed extends Error {
  constructor(readonly why: string, readonly code: number | undefined) { super(code === undefined ? why : `${why} (${protocolErrorName(code)})`); }
}

/** One write of the throughput phase: what a client read of 64 KiB carries. Zeros: never memory that
 *  held anything else. Each source has its own, with room for the frame header in front, and sends
 *  it whole again and again (bench-stream.ts send: the header is the same every time), as a
 *  connector's headroom reads do; a partial frame (short credit, the byte cap) is copied. */
const CHUNK_LEN = 65_536;
const sourceBuffer = () => Buffer.alloc(P.HEADER_SIZE + CHUNK_LEN).subarray(P.HEADER_SIZE);
/** The most a sink's report may be. */
const REPORT_MAX = 4096;
/** Streams of the flow-rate phase in flight at once. */
export const RATE_CONCURRENCY = 8;
/** Most round trips of the latency phase and flows of the rate phase. */
export const MAX_SAMPLES = 20_000;
/** the rate phase's cap (paced-opens.ts), for the tests and docs that name it here */
export { RATE_MAX_PER_SEC };

export interface ThroughputFlow { bytes: number; ms: number; cpuUs: number }

/** The throughput phase's live state: bytes sent so far (progress), and a stop that closes sources. */
export interface Throughput {
  sent(): number;
  /** stop sending: every source closes and waits for its sink's count */
  finish(): void;
  done: Promise<ThroughputFlow[]>;
  streams: Set<BenchStream>;
}

/** `flows` sources toward sinks; each sends while `budget()` allows, until finish(). */
export function throughput(open: OpenBench, flows: number, maxBytes: number): Throughput {
  const streams = new Set<BenchStream>();
  const results: ThroughputFlow[] = [];
  let sent = 0;
  let finished = false;
  let settle!: (r: ThroughputFlow[]) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<ThroughputFlow[]>((res, rej) => { settle = res; fail = rej; });
  let left = flows;
  const pump = (s: BenchStream, chunk: Buffer) => {
    while (!finished && sent < maxBytes) {
      const n = maxBytes - sent >= CHUNK_LEN ? s.send(chunk, true) : s.send(chunk.subarray(0, maxBytes - sent));
      sent += n;
      if (n < CHUNK_LEN) break;
    }
    if (finished || sent >= maxBytes) s.close();
  };
  for (let i = 0; i < flows; i++) {
    let report = Buffer.alloc(0);
    const chunk = sourceBuffer();
    const s = open('sink', {
      data: (st, payload) => { if (report.length + payload.length <= REPORT_MAX) report = Buffer.concat([report, payload]); st.grant(payload.length); },
      writable: (st) => pump(st, chunk),
      remoteClosed: (st) => st.close(),
      ended: (st, error) => {
        streams.delete(st);
        if (error !== undefined) { fail(new StreamFailed(`a throughput flow ended: ${error}`, st.endCode)); return; }
        let r: SinkReport;
        try { r = JSON.parse(report.toString('utf8')) as SinkReport; } catch { fail(new StreamFailed('the target sent no byte count', undefined)); return; }
        results.push({ bytes: Number(r.bytes) || 0, ms: performance.now() - st.startedAt, cpuUs: Number(r.cpuUs) || 0 });
        if (--left === 0) settle(results);
      },
    });
    if (!s) { fail(new StreamFailed('no stream slot or route toward the target', P.ERR_NO_ROUTE)); break; }
    streams.add(s);
    pump(s, chunk);
  }
  return {
    sent: () => sent,
    finish: () => { finished = true; for (const s of [...streams]) s.close(); },
    done, streams,
  };
}

/** Round trips of `size`-byte messages over one echo stream until `ms` passed (or MAX_SAMPLES); in ms. */
export function latency(open: OpenBench, size: number, ms: number, streams: Set<BenchStream>): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const msg = Buffer.alloc(size, 0x62);
    const samples: number[] = [];
    const until = performance.now() + ms;
    let got = 0;
    let sentAt = 0;
    let owed = 0; // bytes of the message not yet sent (no credit)
    const next = (s: BenchStream) => {
      if (performance.now() >= until || samples.length >= MAX_SAMPLES) { s.close(); return; }
      got = 0;
      sentAt = performance.now();
      owed = size - s.send(msg);
    };
    const s = open('echo', {
      data: (st, payload) => {
        st.grant(payload.length);
        got += payload.length;
        if (got >= size) { samples.push(performance.now() - sentAt); next(st); }
      },
      writable: (st) => { if (owed > 0) owed -= st.send(msg.subarray(size - owed)); },
      remoteClosed: (st) => st.close(),
      ended: (st, error) => {
        streams.delete(st);
        if (error !== undefined) reject(new StreamFailed(`the latency flow ended: ${error}`, st.endCode));
        else resolve(samples);
      },
    });
    if (!s) { reject(new StreamFailed('no stream slot or route toward the target', P.ERR_NO_ROUTE)); return; }
    streams.add(s);
    next(s);
  });
}

/** Flows opened and closed (OPEN, CLOSE, the sink's answer and CLOSE back) for `ms`, RATE_CONCURRENCY
 *  at a time and at most RATE_MAX_PER_SEC (paced-opens.ts). */
export function flowRate(open: OpenBench, ms: number, streams: Set<BenchStream>): Promise<RateFigures> {
  return pacedOpens({
    ms, concurrency: RATE_CONCURRENCY, maxFlows: MAX_SAMPLES,
    open: (ended) => {
      const s = open('sink', {
        data: (st, payload) => st.grant(payload.length),
        writable: () => {},
        remoteClosed: (st) => st.close(),
        ended: (st, error) => {
          streams.delete(st);
          ended(error === undefined ? undefined : new StreamFailed(`flows toward the target fail: ${error}`, st.endCode));
        },
      });
      if (!s) return false;
      streams.add(s);
      s.close();
      return true;
    },
    noneOpened: () => new StreamFailed('no stream slot or route toward the target', P.ERR_NO_ROUTE),
    allFailing: (last) => last,
  });
}
