// Time-bounded measurement of micro-benchmark steps: a warm-up, then alternating rounds of a fixed
// duration; each round yields ns per unit (frame, call) and bytes per second. Medians are reported.
import { summarize, type Summary } from '../stats.js';

/** One step of work: how many units (frames, calls) and input bytes it processed. */
export type Step = () => { units: number; bytes: number };

/** One row of the table: what is measured, the unit, and a Step per implementation (absent: n/a). */
export interface Case { name: string; unit: 'frame' | 'call' | 'chunk' | 'request'; wasm?: () => Step; ts?: () => Step }

/** Per-round figures of one case. */
export interface Measured { nsPerUnit: Summary; gbPerSec: Summary; units: number }

/** Runs `step` for `ms` and returns elapsed ns, units and bytes. */
function run(step: Step, ms: number): { ns: number; units: number; bytes: number } {
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
}

/**
 * Warms every step up, then runs `rounds` rounds of `roundMs` per step, alternating the steps
 * (A B A B) so that load from other processes falls on all of them alike.
 */
export function measureAlternating(steps: Step[], rounds: number, roundMs: number, warmupMs = 200): Measured[] {
  for (const s of steps) run(s, warmupMs);
  const ns = steps.map(() => [] as number[]), gb = steps.map(() => [] as number[]), total = steps.map(() => 0);
  for (let i = 0; i < rounds; i++) {
    steps.forEach((s, k) => {
      const r = run(s, roundMs);
      ns[k].push(r.ns / r.units);
      gb[k].push(r.bytes / r.ns); // bytes per ns == GB/s
      total[k] += r.units;
    });
  }
  return steps.map((_, k) => ({ nsPerUnit: summarize(ns[k]), gbPerSec: summarize(gb[k]), units: total[k] }));
}
