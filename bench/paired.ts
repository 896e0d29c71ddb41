// Close comparisons that the run's few rounds cannot settle (issue 13: observing HTTP/1.1 within 5% of
// tcp, on a machine whose speed drifts by more than that from one round to the next): extra rounds of
// the two setups only, back to back in alternating order, compared round by round. A round's two runs
// are seconds apart, so the drift mostly cancels in their ratio; the median of the ratios is the figure.
import type { RunRecord } from './results.js';

/** Two setups compared on one scenario's metric: `other` against `base`. */
export interface PairedComparison { scenario: string; base: string; other: string; metric: string; rounds: number }

/** What a full run adds (about 3.5 s a run): observing HTTP/1.1 against tcp, on the scenario whose bound is close. */
export const PAIRED: readonly PairedComparison[] = [
  { scenario: 'http-1k', base: 'svcnet-2', other: 'svcnet-2-http1', metric: 'rps', rounds: 20 },
];

/** The order of a paired round's two runs: alternating, so that neither setup always runs first. */
export function pairOrder(c: PairedComparison, round: number): [string, string] {
  return round % 2 === 1 ? [c.base, c.other] : [c.other, c.base];
}

/** The ratios other/base of the rounds where both ran: their median and middle half; undefined without any. */
export function pairedRatio(pairs: readonly RunRecord[], c: Omit<PairedComparison, 'rounds'>): { n: number; median: number; q1: number; q3: number } | undefined {
  const byRound = new Map<number, { base?: number; other?: number }>();
  for (const r of pairs) {
    if (r.scenario !== c.scenario || r.error) continue;
    const v = r.values[c.metric];
    if (!Number.isFinite(v)) continue;
    const e = byRound.get(r.round) ?? {};
    if (r.setup === c.base) e.base = v;
    else if (r.setup === c.other) e.other = v;
    byRound.set(r.round, e);
  }
  const ratios = [...byRound.values()].filter((e) => e.base !== undefined && e.other !== undefined && e.base > 0).map((e) => e.other! / e.base!).sort((a, b) => a - b);
  if (ratios.length === 0) return undefined;
  return { n: ratios.length, median: quantile(ratios, 0.5), q1: quantile(ratios, 0.25), q3: quantile(ratios, 0.75) };
}

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
}
