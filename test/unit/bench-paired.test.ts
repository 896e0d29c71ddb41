// Issue 13's close figure in bench/RESULTS.md: observing HTTP/1.1 against tcp is judged on paired rounds
// (bench/paired.ts) — the two setups back to back in alternating order, the median of their per-round
// ratios — because the machine's speed drifts by more than the 5% bound from one round to the next.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PAIRED, pairOrder, pairedRatio } from '../../bench/paired.js';
import { verdicts } from '../../bench/targets.js';
import type { Results, RunRecord } from '../../bench/results.js';

const c = { scenario: 'http-1k', base: 'svcnet-2', other: 'svcnet-2-http1', metric: 'rps' };
const run = (setup: string, round: number, rps: number, error?: string): RunRecord => ({ scenario: 'http-1k', setup, round, values: error ? {} : { rps }, error });

test('paired rounds alternate which setup runs first', () => {
  const first = [1, 2, 3, 4].map((round) => pairOrder({ ...c, rounds: 4 }, round)[0]);
  assert.equal(first, ['svcnet-2', 'svcnet-2-http1', 'svcnet-2', 'svcnet-2-http1']);
  assert.ok(PAIRED.some((p) => p.scenario === 'http-1k' && p.other === 'svcnet-2-http1' && p.rounds >= 15), 'a full run pairs enough rounds to judge 5%');
});

test('the ratio is taken within each round, so drift between rounds cancels', () => {
  // The machine halves its speed from round to round; the observed setup is always 2% slower within a round.
  const pairs = [1, 2, 3, 4, 5].flatMap((round) => { const speed = 10_000 / 2 ** round; return [run('svcnet-2', round, speed), run('svcnet-2-http1', round, speed * 0.98)]; });
  const p = pairedRatio(pairs, c)!;
  assert.is(p.n, 5);
  assert.ok(Math.abs(p.median - 0.98) < 1e-9 && Math.abs(p.q1 - 0.98) < 1e-9 && Math.abs(p.q3 - 0.98) < 1e-9);
});

test('rounds with a failed or missing side are left out; median and middle half of the rest', () => {
  const pairs = [
    run('svcnet-2', 1, 100), run('svcnet-2-http1', 1, 90),
    run('svcnet-2', 2, 100), run('svcnet-2-http1', 2, 100),
    run('svcnet-2', 3, 100), run('svcnet-2-http1', 3, 50, 'timed out'),
    run('svcnet-2', 4, 100),
    run('svcnet-2', 5, 100), run('svcnet-2-http1', 5, 95),
    run('svcnet-2', 6, 100), run('svcnet-2-http1', 6, 105),
    { ...run('svcnet-2', 7, 100), scenario: 'http-64k' }, run('svcnet-2-http1', 7, 10),
  ];
  const p = pairedRatio(pairs, c)!;
  assert.is(p.n, 4, 'rounds 1, 2, 5, 6');
  assert.ok(Math.abs(p.median - 0.975) < 1e-9, `median of 0.90 0.95 1.00 1.05: ${p.median}`);
  assert.ok(Math.abs(p.q1 - 0.9375) < 1e-9 && Math.abs(p.q3 - 1.0125) < 1e-9, `${p.q1} ${p.q3}`);
  assert.is(pairedRatio([run('svcnet-2', 1, 100)], c), undefined);
});

const results = (runs: RunRecord[], pairs?: RunRecord[]): Results => ({
  command: 'test', mode: 'full', date: '', seconds: 0, machine: {} as Results['machine'], rounds: 3, durations: {}, setups: [], skipped: [],
  scenarios: [{ name: 'http-1k', title: '', metrics: [{ key: 'rps', label: 'requests per second', unit: 'req/s', higherIsBetter: true, digits: 0 }] }],
  runs, peakRss: {}, ...(pairs ? { pairs } : {}),
});
const observed = (r: Results) => verdicts(r).find((v) => v.target.startsWith('observing HTTP/1.1') && v.target.includes('http-1k'))!;

test('the issue 13 verdict uses the paired rounds when the run made them, else the ratio of medians', () => {
  const runs = [run('svcnet-2', 1, 100), run('svcnet-2-http1', 1, 90)];
  assert.is(observed(results(runs)).verdict, 'MISSED', 'medians alone: 0.90×');
  const pairs = [1, 2, 3].flatMap((round) => [run('svcnet-2', round, 200 * round), run('svcnet-2-http1', round, 196 * round)]);
  const v = observed(results(runs, pairs));
  assert.is(v.verdict, 'met');
  assert.match(v.measured, '3 paired rounds: median ratio 0.98×');
  const worse = [1, 2, 3].flatMap((round) => [run('svcnet-2', round, 200), run('svcnet-2-http1', round, 188)]);
  assert.is(observed(results(runs, worse)).verdict, 'MISSED', 'paired rounds can miss too: 0.94×');
});

test.run();
