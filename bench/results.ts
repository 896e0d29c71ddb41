// The raw figures of one bench run (what --json writes) and their per-cell summaries.
import { summarize, type Summary } from './stats.js';
import type { Metric } from './scenarios/scenario.js';
import type { Machine } from './machine.js';
import type { ProfileSummary } from './profile.js';

/** A setup as the report lists it. */
export interface SetupInfo { name: string; description: string; role: 'direct' | 'svcnet' | 'peer'; version: string }
/** One scenario run on one setup in one round (error set when it failed). */
export interface RunRecord { scenario: string; setup: string; round: number; values: Record<string, number>; error?: string }

/** Everything a run measured; what --json writes and --from-json reads. */
export interface Results {
  command: string;
  mode: 'quick' | 'full' | 'partial';
  date: string;
  seconds: number;
  machine: Machine;
  rounds: number;
  durations: Record<string, number>;
  setups: SetupInfo[];
  skipped: { name: string; reason: string }[];
  scenarios: { name: string; title: string; metrics: Metric[] }[];
  runs: RunRecord[];
  /** VmHWM over the whole run, MiB: largest single process and sum of the setup's processes */
  peakRss: Record<string, { maxProc: number; total: number }>;
  profile?: ProfileSummary;
  /** the extra rounds of close comparisons (paired.ts), apart from `runs` so that they weigh on no other figure */
  pairs?: RunRecord[];
}

/** Median/min/max of one metric of one scenario on one setup. */
export function cell(r: Results, scenario: string, setup: string, metric: string): Summary {
  return summarize(r.runs.filter((x) => x.scenario === scenario && x.setup === setup && !x.error).map((x) => x.values[metric] ?? NaN));
}

/** The median, NaN when missing. */
export const median = (r: Results, scenario: string, setup: string, metric: string): number => cell(r, scenario, setup, metric).median;

/** The peer with the best median for a metric, if any peer has one. */
export function bestPeer(r: Results, scenario: string, m: Metric): { name: string; value: number } | undefined {
  let best: { name: string; value: number } | undefined;
  for (const s of r.setups.filter((x) => x.role === 'peer')) {
    const v = median(r, scenario, s.name, m.key);
    if (!Number.isFinite(v)) continue;
    if (!best || (m.higherIsBetter ? v > best.value : v < best.value)) best = { name: s.name, value: v };
  }
  return best;
}
