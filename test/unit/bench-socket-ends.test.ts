// Issue 14, `svcnet bench --ends socket`: the application ends on real loopback sockets without an
// engine between them (the bulk readers against the source, the pinger against the echo, the
// open/close loop against the sink), the per-thread CPU reading, and `ends` in the request, the
// CLI options and the table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type net from 'node:net';
import { serveEnds, socketThroughput, socketLatency, socketRate, statCpuUs, threadCpuUs, threadId } from '../../dataplane/bench/socket-phases.js';
import { checkBenchRequest } from '../../common/bench-request.js';
import { benchRequest, BenchArgError } from '../../control/bench/bench-args.js';
import { resultRows } from '../../control/bench/bench-render.js';
import type { BenchResult } from '../../dataplane/port/bench.js';

test('a thread\'s CPU from its /proc stat line, whatever its name holds', () => {
  const fields = (name: string, utime: number, stime: number) => `4242 (${name}) S 1 2 3 4 5 6 7 8 9 10 ${utime} ${stime} 0 0 20 0 1 0`;
  assert.is(statCpuUs(fields('node', 150, 50)), 2_000_000);
  assert.is(statCpuUs(fields('a) b (c', 1, 0)), 10_000);
  assert.is(statCpuUs('garbage'), 0);
  assert.ok(threadId() > 0);
  const t0 = threadCpuUs();
  let x = 0;
  for (let i = 0; i < 3e7; i++) x += i; // ~tens of ms of CPU on this thread
  assert.ok(x > 0 && threadCpuUs() >= t0);
  assert.ok(threadCpuUs(threadId()) >= t0);
});

test('bulk readers against the source: counted where they arrive, stopped at the byte cap', async () => {
  const sockets = new Set<net.Socket>();
  const s = await serveEnds(sockets);
  try {
    const port = (s.source.address() as net.AddressInfo).port;
    const tp = socketThroughput(port, 2, 4 * 2 ** 20, sockets);
    const flows = await tp.done;
    assert.is(flows.length, 2);
    const total = flows.reduce((a, f) => a + f.bytes, 0);
    assert.ok(total >= 4 * 2 ** 20, `total ${total}`);
    assert.is(total, tp.received());
    assert.ok(flows.every((f) => f.ms > 0));
    // finish() stops readers before any cap.
    const open = socketThroughput(port, 1, Number.MAX_SAFE_INTEGER, sockets);
    setTimeout(open.finish, 50);
    const [one] = await open.done;
    assert.ok(one.bytes > 0);
    // Round trips through the echo, and connections through the sink.
    const rtts = await socketLatency((s.echo.address() as net.AddressInfo).port, 64, 100, sockets);
    assert.ok(rtts.length > 5 && rtts.every((r) => r > 0), `${rtts.length} samples`);
    // The window starts at the connect: a loop busy past the whole window before it sees the connect still
    // measures (a CI run under 2% loss once reported no latency sample at all).
    const late = socketLatency((s.echo.address() as net.AddressInfo).port, 64, 50, sockets);
    const busyUntil = performance.now() + 120;
    while (performance.now() < busyUntil) { /* the event loop cannot see the connect */ }
    const lateRtts = await late;
    assert.ok(lateRtts.length > 0, `${lateRtts.length} samples after a late connect`);
    const rate = await socketRate((s.sink.address() as net.AddressInfo).port, 200, sockets);
    assert.ok(rate.flows > 5, JSON.stringify(rate));
    assert.is(rate.failed, 0);
  } finally {
    for (const x of sockets) x.destroy();
    s.source.close(); s.sink.close(); s.echo.close();
  }
});

test('a reader whose flow is reset fails the phase', async () => {
  const sockets = new Set<net.Socket>();
  const s = await serveEnds(sockets);
  try {
    const tp = socketThroughput((s.source.address() as net.AddressInfo).port, 1, Number.MAX_SAFE_INTEGER, sockets);
    setTimeout(() => { for (const x of sockets) x.resetAndDestroy(); }, 50);
    await tp.done.then(() => assert.unreachable('no failure'), (err: Error) => assert.match(err.message, /throughput flow/));
  } finally { s.source.close(); s.sink.close(); s.echo.close(); }
});

test('ends: socket by default, engine on request, anything else refused in one line', () => {
  const base = { to: 'east' };
  assert.is((checkBenchRequest(base) as { req: { ends: string } }).req.ends, 'socket');
  assert.is((checkBenchRequest({ ...base, ends: 'engine' }) as { req: { ends: string } }).req.ends, 'engine');
  assert.equal(checkBenchRequest({ ...base, ends: 'kernel' as 'socket' }), { error: 'ends: must be socket or engine' });
  assert.equal(benchRequest({ to: 'east', ends: 'engine' }), { to: 'east', ends: 'engine' });
  assert.throws(() => benchRequest({ to: 'east', ends: 'both' }), (e: Error) => e instanceof BenchArgError && /--ends must be socket or engine/.test(e.message));
});

test('the table says what was at the ends', () => {
  const r = {
    from: { id: 'w', name: 'west' }, to: { id: 'e', name: 'east' }, path: { sites: [], links: [], hops: 1 }, ends: 'socket',
    throughput: { flows: 1, seconds: 1, bytes: 1, totalGbps: 1, perFlowGbps: [1] }, latency: { size: 64, samples: 1, p50Ms: 1, p90Ms: 1, p99Ms: 1 },
    rate: { flows: 1, seconds: 1, flowsPerSec: 1, failed: 0 }, cpu: [], notes: [],
  } as BenchResult;
  assert.match(resultRows(r).find(([k]) => k === 'ENDS')![1], /^socket \(loopback TCP sockets at both ends/);
  assert.match(resultRows({ ...r, ends: 'engine' }).find(([k]) => k === 'ENDS')![1], /^engine \(engine to engine/);
});

test.run();
