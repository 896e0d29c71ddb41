// Time-bounded measurement of one micro-benchmark step: a warm-up, then rounds of a fixed duration;
// each round yields ns per unit (frame, call) and bytes per second. Medians over rounds are reported.
import { summarize, type Summary } from '../stats.js';

/** One step of work: how many units (frames, calls) and input bytes it processed. */
export type Step = () => { units: number; bytes: number };

/** Per-round figures of one case. */
export interface Measured { nsPerUnit: Summary; gbPerSec: Summary; units: number }

/** Runs `step` for `warmupMs`, then `rounds` rounds of `roundMs` each. */
export function measure(step: Step, rounds: number, roundMs: number, warmupMs = 200): Measured {
  const run = (ms: number): { ns: number; units: number; bytes: number } => {
    const start = process.hrtime.bigint();
    const limit = start + BigInt(ms * 1e6);
    let units = 0, bytes = 0, now = start;
    while (now < limit) {
      const r = step();
      units += r.units;
      bytes += r.bytes;
      now = process.hrtime.bigint();
    }
    return { ns: Number(now - start), units, bytes };
  };
  run(warmupMs);
  const ns: number[] = [], gb: number[] = [];
  let total = 0;
  for (let i = 0; i < rounds; i++) {
    const r = run(roundMs);
    ns.push(r.ns / r.units);
    gb.push(r.bytes / r.ns); // bytes per ns == GB/s
    total += r.units;
  }
  return { nsPerUnit: summarize(ns), gbPerSec: summarize(gb), units: total };
}
