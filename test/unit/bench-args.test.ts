// Issue 14: `svcnet bench` options (durations, sizes, caps) as a RunBenchmark request, the control
// process's matching of engine reports to runs, and the table a finished run prints.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { benchRequest, parseBenchDuration, parseBytes, BenchArgError } from '../../control/bench/bench-args.js';
import { BenchRuns, BenchRunError } from '../../control/bench/bench-runs.js';
import { resultTable, progressLine } from '../../control/bench/bench-render.js';
import type { EngineCommand } from '../../dataplane/port/report.js';
import type { BenchResult } from '../../dataplane/port/bench.js';

test('durations and sizes', () => {
  assert.is(parseBenchDuration('10s'), 10_000);
  assert.is(parseBenchDuration('1500ms'), 1500);
  assert.is(parseBenchDuration('1.5s'), 1500);
  assert.is(parseBenchDuration('1m'), 60_000);
  for (const bad of ['10', '2h', '-1s', 's', '']) assert.throws(() => parseBenchDuration(bad), /--duration/, bad);
  assert.is(parseBytes('64', '--size'), 64);
  assert.is(parseBytes('1k', '--size'), 1024);
  assert.is(parseBytes('64KiB', '--size'), 65_536);
  assert.is(parseBytes('1MB', '--bytes'), 1e6);
  assert.is(parseBytes('10G', '--bytes'), 10 * 1024 ** 3);
  for (const bad of ['big', '1x', '', '-5']) assert.throws(() => parseBytes(bad, '--size'), /--size/);
});

test('the request from options; every out-of-range option is one line naming its flag', () => {
  assert.equal(benchRequest({ to: 'east' }), { to: 'east' });
  assert.equal(benchRequest({ to: 'east', from: 'west', flows: '4', duration: '5s', size: '1k', bytes: '1G' }), { to: 'east', from: 'west', flows: 4, durationMs: 5000, size: 1024, maxBytes: 1024 ** 3 });
  const bad: [object, RegExp][] = [
    [{}, /--to SITE is required/], [{ to: 'e', flows: '0' }, /--flows must be 1\.\.64/], [{ to: 'e', flows: '65' }, /--flows/],
    [{ to: 'e', flows: 'x' }, /--flows/], [{ to: 'e', duration: '500ms' }, /--duration must be 1s\.\.60s/], [{ to: 'e', duration: '61s' }, /--duration/],
    [{ to: 'e', size: '0' }, /--size must be 1\.\.65536/], [{ to: 'e', size: '65537' }, /--size/], [{ to: 'e', bytes: '200G' }, /--bytes must be/],
  ];
  for (const [o, re] of bad) {
    try { benchRequest(o); assert.unreachable(JSON.stringify(o)); } catch (err) {
      assert.instance(err, BenchArgError);
      assert.match((err as Error).message, re);
      assert.not.match((err as Error).message, /\n/);
    }
  }
});

const result: BenchResult = {
  from: { id: 'c', name: 'site-c' }, to: { id: 'a', name: 'site-a' },
  path: { sites: [{ id: 'c', name: 'site-c' }, { id: 'b', name: 'site-b' }, { id: 'a', name: 'site-a' }], links: [{ from: 'site-c', to: 'site-b', cost: 1 }, { from: 'site-b', to: 'site-a', cost: 1 }], hops: 2 }, ends: 'socket',
  throughput: { flows: 2, seconds: 2.1, bytes: 500 * 2 ** 20, totalGbps: 1.997, perFlowGbps: [1.01, 0.99] },
  latency: { size: 64, samples: 1000, p50Ms: 0.2, p90Ms: 0.3, p99Ms: 0.9 },
  rate: { flows: 2000, seconds: 1, flowsPerSec: 2000, failed: 0 },
  cpu: [{ site: 'site-c', role: 'driver', cpuSeconds: 1, secondsPerGb: 1.9 }],
  notes: ['relay site site-b reports no CPU: no answer'],
};

test('engine reports reach their run: progress, then one end; cancel and a restarted engine end it', async () => {
  const sent: EngineCommand[] = [];
  const runs = new BenchRuns((cmd) => { sent.push(cmd); return true; });
  const progress: number[] = [];
  const a = runs.run({ to: 'site-a', flows: 1, durationMs: 1000, size: 64, maxBytes: 1, ends: 'engine' }, (p) => progress.push(p.elapsedMs));
  const b = runs.run({ to: 'site-b', flows: 1, durationMs: 1000, size: 64, maxBytes: 1, ends: 'engine' }, () => {});
  assert.equal(sent.map((c) => c.kind), ['bench', 'bench']);
  const [ida, idb] = sent.map((c) => (c as { id: number }).id);
  runs.report({ kind: 'bench-progress', id: ida, progress: { phase: 'throughput', elapsedMs: 500, bytes: 1, gbps: 1 } });
  runs.report({ kind: 'bench-end', id: ida, result });
  runs.report({ kind: 'bench-end', id: ida, error: { code: 'SVCNET_ERR_BENCH_FAILED', message: 'late' } }); // ignored
  assert.equal(await a.result, result);
  assert.equal(progress, [500]);
  a.cancel(); // over: nothing sent
  b.cancel();
  assert.equal(sent.slice(2), [{ kind: 'bench-cancel', id: idb }]);
  runs.abandon();
  try { await b.result; assert.unreachable(); } catch (err) { assert.instance(err, BenchRunError); assert.is((err as BenchRunError).code, 'SVCNET_ERR_BENCH_FAILED'); }
  assert.is(runs.active, 0);
  const none = new BenchRuns(() => false).run({ to: 'x', flows: 1, durationMs: 1000, size: 1, maxBytes: 1, ends: 'engine' }, () => {});
  try { await none.result; assert.unreachable(); } catch (err) { assert.match((err as Error).message, /engine is not running/); }
});

test('the table and the progress line', () => {
  const t = resultTable(result);
  assert.match(t, /^bench site-c -> site-a\n/);
  assert.match(t, /PATH\s+site-c -> site-b -> site-a \(2 hops: site-c-site-b cost 1, site-b-site-a cost 1\)/);
  assert.match(t, /THROUGHPUT\s+2\.00 Gbit\/s over 2 flows \(500 MiB in 2\.1 s\)/);
  assert.match(t, /PER FLOW\s+1\.01 0\.99 Gbit\/s/);
  assert.match(t, /LATENCY\s+p50 0\.200 ms {2}p90 0\.300 ms {2}p99 0\.900 ms \(64 B echoed, 1000 round trips\)/);
  assert.match(t, /NEW FLOWS\s+2000\/s/);
  assert.match(t, /NOTE\s+relay site site-b reports no CPU/);
  assert.is(progressLine({ phase: 'throughput', elapsedMs: 1500, bytes: 3 * 2 ** 20, gbps: 1.234 }), '1.5s  throughput 1.23 Gbit/s  3 MiB sent');
  assert.is(progressLine({ phase: 'rate', elapsedMs: 12_000, bytes: 0, gbps: 0 }), '12.0s  measuring new flows');
});

test.run();
