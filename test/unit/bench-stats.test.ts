// Issue 14: the pure parts of `svcnet bench` — percentiles, rates, CPU per GB, phase lengths, the
// request caps both the API edge and the engine apply, and the path as routing chose it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { percentile, latencySummary, gbps, cpuPerGB, sidePhaseMs, round } from '../../dataplane/bench/bench-stats.js';
import { benchPath, findSite } from '../../dataplane/bench/bench-path.js';
import { checkBenchRequest, BENCH_LIMITS, BENCH_KEY } from '../../common/bench-request.js';
import type { SiteRecord } from '../../dataplane/routing/site-record.js';
import { flowRate, RATE_MAX_PER_SEC, RATE_CONCURRENCY } from '../../dataplane/bench/bench-phases.js';
import type { BenchStream, BenchBehaviour } from '../../dataplane/bench/bench-stream.js';

test('percentiles by nearest rank, any order of samples', () => {
  const s = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
  assert.equal(latencySummary(s), { p50: 50, p90: 90, p99: 99 });
  assert.is(percentile([], 50), 0);
  assert.is(percentile([7], 99), 7);
  assert.is(percentile([1, 2], 50), 1);
  assert.is(percentile([1, 2], 51), 2);
  assert.equal(latencySummary([3, 1, 2]), { p50: 2, p90: 3, p99: 3 });
});

test('Gbit/s are 10^9 bits per second; no time or no bytes give 0', () => {
  assert.is(gbps(125_000_000, 1000), 1);
  assert.is(gbps(1, 0), 0);
  assert.is(cpuPerGB(2, 4e9), 0.5);
  assert.is(cpuPerGB(2, 0), 0);
  assert.is(round(1.23456, 2), 1.23);
});

test('latency and flow-rate phases: a fifth of the duration, within 0.5..3 s', () => {
  for (const [d, want] of [[1000, 500], [5000, 1000], [10_000, 2000], [60_000, 3000]]) assert.is(sidePhaseMs(d), want, `duration ${d}`);
});

test('the request: defaults, and each cap refused naming its field', () => {
  const ok = checkBenchRequest({ to: ' east ' });
  assert.ok('req' in ok);
  if ('req' in ok) assert.equal(ok.req, { to: 'east', flows: 1, durationMs: 10_000, size: 64, maxBytes: BENCH_LIMITS.maxBytes, ends: 'socket' });
  const cases: [object, RegExp][] = [
    [{}, /^to:/],
    [{ to: 'x'.repeat(254) }, /^to:/],
    [{ to: 'e', flows: 65 }, /^flows: must be 1\.\.64/],
    [{ to: 'e', flows: 1.5 }, /^flows:/],
    [{ to: 'e', durationMs: 999 }, /^duration: must be 1\.\.60 s/],
    [{ to: 'e', durationMs: 60_001 }, /^duration:/],
    [{ to: 'e', size: 65_537 }, /^size:/],
    [{ to: 'e', maxBytes: BENCH_LIMITS.maxBytes + 1 }, /^bytes:/],
  ];
  for (const [raw, re] of cases) {
    const r = checkBenchRequest(raw);
    assert.ok('error' in r, JSON.stringify(raw));
    if ('error' in r) assert.match(r.error, re);
  }
  assert.is(BENCH_KEY, 'svcnet.bench');
});

const rec = (id: string, links: [string, number][]): SiteRecord => ({ id, name: `site-${id}`, seq: 1, links: links.map(([peer, cost]) => ({ peer, cost })), keys: [], pub: '', sig: '' });

test('the path: each hop as that site would route, links with their costs', () => {
  // a - b - c in a line, and a - d - c dearer: the path goes through b.
  const db = new Map([
    ['a', rec('a', [['b', 1], ['d', 5]])], ['b', rec('b', [['a', 1], ['c', 1]])],
    ['c', rec('c', [['b', 1], ['d', 5]])], ['d', rec('d', [['a', 5], ['c', 5]])],
  ]);
  const p = benchPath('a', 'c', db)!;
  assert.equal(p.sites.map((s) => s.name), ['site-a', 'site-b', 'site-c']);
  assert.equal(p.links, [{ from: 'site-a', to: 'site-b', cost: 1 }, { from: 'site-b', to: 'site-c', cost: 1 }]);
  assert.is(p.hops, 2);
  assert.is(benchPath('a', 'b', db)!.hops, 1);
  // A link only one end reports does not count; an unknown target has no path.
  db.set('b', rec('b', [['a', 1]]));
  assert.equal(benchPath('a', 'c', db)!.sites.map((s) => s.id), ['a', 'd', 'c']);
  assert.is(benchPath('a', 'zz', db), undefined);
  assert.is(findSite('site-c', db)?.id, 'c');
  assert.is(findSite('c', db)?.id, 'c');
  assert.is(findSite('nope', db), undefined);
});

test('the flow-rate phase never opens faster than RATE_MAX_PER_SEC (plus the first batch), however fast flows end', async () => {
  // Flows that end one turn after their CLOSE: unpaced, this loop would open tens of thousands a second.
  const open = (_kind: string, b: BenchBehaviour) => {
    const s = { close: () => setImmediate(() => b.ended(s as unknown as BenchStream)) };
    return s as unknown as BenchStream;
  };
  const r = await flowRate(open, 300, new Set());
  assert.ok(r.flows > 0 && r.failed === 0);
  assert.ok(r.flows <= (r.ms / 1000) * RATE_MAX_PER_SEC + RATE_CONCURRENCY, `${r.flows} flows in ${r.ms.toFixed(0)} ms`);
});

test.run();
