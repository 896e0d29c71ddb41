// Issue 14: the serving end of a bench with fake credit and outbox — refusals (policy, a site
// outside the network, an unknown kind, the cap), the sink's count at the sender's CLOSE, and an
// echo that returns only what credit allows and credits back only what it echoed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import { BenchServer, type BenchStats } from '../../dataplane/bench/bench-server.js';
import { BENCH_KEY, BENCH_LIMITS } from '../../common/bench-request.js';
import type { EndpointTable } from '../../dataplane/endpoint-table.js';
import type { Link } from '../../dataplane/link.js';
import type { StreamEndpoint } from '../../dataplane/endpoint.js';
import { fakeIO, fakeWriter } from '../helpers/fake-stream-io.js';

/** The bench-ends worker as the server sees it: serving at once, a CPU figure that grows by 1000 per ask. */
function fakeEnds() {
  let cpu = 0;
  let held = 0;
  const ends = {
    ports: undefined as { source: number; sink: number; echo: number } | undefined,
    serve: () => { ends.ports = { source: 1, sink: 2, echo: 3 }; return Promise.resolve(ends.ports); },
    hold: () => { held++; return () => { held--; }; },
    engineCpuUs: () => (cpu += 1000),
    stop: () => {},
    held: () => held,
  };
  return ends;
}

function setup(credit: Record<number, number> = {}, ends = fakeEnds()) {
  const f = fakeIO(credit);
  const eps = new Map<number, StreamEndpoint>();
  const io = Object.assign(f.io, { set: (ep: StreamEndpoint) => eps.set(ep.slot, ep) }) as unknown as EndpointTable;
  const refused: string[] = [];
  const stats: BenchStats = { bytesSent: 0, bytesReceived: 0, streamsServed: 0, streamsRefused: 0 };
  const server = new BenchServer({ io, stats, ends, known: (id) => id === 'west', refuse: (_l, slot, why, code) => refused.push(`${slot}:${code}:${why}`) });
  const link = fakeWriter(1) as unknown as Link;
  const open = (slot: number, src: string, bench: string, socket = false) => server.accept(link, slot, { key: BENCH_KEY, dst: 'east', src, bench: bench as 'sink', ...(socket ? { ends: 'socket' as const } : {}) });
  return { ...f, eps, refused, stats, server, open, ends };
}

test('refused: policy off, a site outside the network, an unknown kind, past the cap', () => {
  const t = setup();
  t.server.allow = false;
  t.open(1, 'west', 'sink');
  t.server.allow = true;
  t.open(2, 'mallory', 'sink');
  t.open(3, 'west', 'flood');
  assert.equal(t.refused.map((r) => r.split(':').slice(0, 2).join(':')), [`1:${P.ERR_POLICY_DENIED}`, `2:${P.ERR_POLICY_DENIED}`, `3:${P.ERR_BAD_STATE}`]);
  assert.is(t.eps.size, 0);
  for (let s = 10; s < 10 + BENCH_LIMITS.maxServed; s++) t.open(s, 'west', 'sink');
  assert.is(t.server.active, BENCH_LIMITS.maxServed);
  t.open(9999, 'west', 'sink');
  assert.match(t.refused.at(-1)!, new RegExp(`^9999:${P.ERR_STREAM_QUOTA}:`));
  assert.equal(t.stats, { bytesSent: 0, bytesReceived: 0, streamsServed: BENCH_LIMITS.maxServed, streamsRefused: 4 });
  t.server.stop();
});

test('a sink credits what arrives and answers the CLOSE with its count, then closes', () => {
  const t = setup({ 5: 1000 });
  t.open(5, 'west', 'sink');
  const ep = t.eps.get(5)!;
  ep.onData(Buffer.alloc(300));
  ep.onData(Buffer.alloc(200));
  ep.onRemoteClose(false);
  const frames = t.frames();
  assert.equal(frames.slice(0, 2), ['CREDIT@5', 'CREDIT@5']);
  assert.match(frames[2], /^DATA@5:\d+$/);
  assert.is(frames[3], 'CLOSE@5');
  assert.is(t.stats.bytesReceived, 500);
  assert.equal(t.done, [5]);
  assert.is(t.server.active, 0);
});

test('an echo sends back under credit only, and credits back only what it echoed', () => {
  const t = setup({ 7: 100 });
  t.open(7, 'west', 'echo');
  const ep = t.eps.get(7)!;
  ep.onData(Buffer.alloc(150));
  assert.equal(t.frames(), ['DATA@7:100', 'CREDIT@7']);
  assert.is(t.sent[1].aux, 100);
  t.credit[7] = 1000;
  ep.onCredit();
  ep.onRemoteClose(false);
  assert.equal(t.frames().slice(2), ['DATA@7:50', 'CREDIT@7', 'CLOSE@7']);
  assert.equal(t.stats, { bytesSent: 150, bytesReceived: 150, streamsServed: 1, streamsRefused: 0 });
  assert.equal(t.done, [7]);
});

test('a reset from the driver ends a served stream at once', () => {
  const t = setup({ 8: 10 });
  t.open(8, 'west', 'echo');
  t.eps.get(8)!.onReset(P.ERR_ABORTED);
  assert.is(t.server.active, 0);
  assert.equal(t.illegal, []);
});

test('socket ends: a control stream answers once serving and at each mark; flows before it and engine-mode sources are refused', async () => {
  const t = setup({ 20: 1000 });
  t.open(30, 'west', 'source', true); // no control stream yet: the servers are not up
  t.open(31, 'west', 'source'); // a source exists only with socket ends
  assert.equal(t.refused.map((r) => r.split(':').slice(0, 2).join(':')), [`30:${P.ERR_NO_ROUTE}`, `31:${P.ERR_BAD_STATE}`]);
  t.open(20, 'west', 'control', true);
  assert.is(t.ends.held(), 1, 'the worker is held while the control stream is open');
  await Promise.resolve();
  assert.equal(t.frames(), ['DATA@20:15'], 'the first answer says the servers are up'); // {"cpuUs":1000}\n
  const ep = t.eps.get(20)!;
  ep.onData(Buffer.from('\n\n'));
  assert.equal(t.frames().filter((f) => f.startsWith('DATA')).length, 3, 'one answer per mark');
  ep.onRemoteClose(false);
  assert.is(t.frames().at(-1), 'CLOSE@20');
  assert.is(t.ends.held(), 0);
  assert.is(t.server.active, 0);
});

test.run();
