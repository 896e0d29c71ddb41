// Issue 12: flow records in the engine — the ring's bound and eviction, the query's filters, the
// batches (ended flows once, bytes as deltas, active flows included), and the record lifecycle of a
// real Flow / MeteredRelayHalf driven through fakes, with the outcome each way of ending gives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Socket } from 'node:net';
import * as P from '../../wasm/assembly/protocol.js';
import { FlowRecords, FLOW_QUERY_MAX, type FlowStart } from '../../dataplane/flow-records.js';
import { outcomeOf, relayOutcomeOf } from '../../dataplane/flow-record.js';
import { Flow } from '../../dataplane/flow.js';
import { MeteredRelayHalf, RelayCounters } from '../../dataplane/metered-relay.js';
import { fakeIO, fakeWriter, FakeAppSocket } from '../helpers/fake-stream-io.js';
import type { FlowRole } from '../../dataplane/port/report.js';

let clock = 1_000_000;
let mono = 0;
const records = (capacity = 5, batchMax?: number) => new FlowRecords({ capacity, batchMax, now: () => clock, monotonic: () => mono });
const start = (i: number, o: Partial<FlowStart> = {}): FlowStart => ({
  id: `f${i}`, role: 'listener', key: i % 2 ? 'odd' : 'even', listenerSite: 'east', connectorSite: i % 3 ? 'west' : 'north', peerSite: i % 3 ? 'west' : 'north', endpoint: 'l', client: '127.0.0.1:1', target: '', ...o,
});
/** The counters of a listener's client socket: from the app = to the server. */
const meter = (m: { toServer?: number; toClient?: number; firstServerByteAt?: number } = {}) => ({ bytesFromApp: m.toServer ?? 0, bytesToApp: m.toClient ?? 0, firstFromAppAt: 0, firstToAppAt: m.firstServerByteAt ?? 0 });

test('issue 12: the ring keeps the last `capacity` ended records, oldest evicted first; active ones are apart', () => {
  const r = records(5);
  const open = r.open(start(100), meter(), true);
  for (let i = 0; i < 12; i++) { clock++; r.end(r.open(start(i), meter(), true), 'closed'); }
  assert.equal(r.query({ state: 'recent', limit: 50 }).map((x) => x.id), ['f11', 'f10', 'f9', 'f8', 'f7']);
  assert.equal(r.query({ state: 'active' }).map((x) => x.id), ['f100']);
  assert.equal(r.query({ limit: 3 }).map((x) => x.id), ['f100', 'f11', 'f10'], 'active first, then newest ended');
  r.end(open, 'reset_by_client', 'boom');
  assert.equal(r.query({ state: 'recent', limit: 50 }).map((x) => x.id), ['f100', 'f11', 'f10', 'f9', 'f8']);
  assert.is(r.activeCount, 0);
  r.end(open, 'closed');
  assert.is(r.query({ state: 'recent' })[0].outcome, 'reset_by_client', 'a second end changes nothing');
});

test('issue 12: filters by key, site (either end), outcome and state; limit is bounded', () => {
  const r = records(100);
  for (let i = 0; i < 12; i++) r.end(r.open(start(i), meter(), true), i < 4 ? 'no_route' : 'closed');
  r.open(start(50), meter(), true);
  assert.ok(r.query({ key: 'odd' }).every((x) => x.key === 'odd'));
  assert.is(r.query({ key: 'odd', limit: 100 }).length, 6);
  assert.equal(r.query({ site: 'north', limit: 100 }).map((x) => x.id).sort(), ['f0', 'f3', 'f6', 'f9'].sort(), 'north is the connector site of every third');
  assert.is(r.query({ site: 'east', limit: 100 }).length, 13, 'east is the listener site of all');
  assert.equal(r.query({ outcome: 'no_route' }).map((x) => x.id), ['f3', 'f2', 'f1', 'f0'], 'an outcome filter leaves out active flows');
  assert.equal(r.query({ key: 'even', outcome: 'no_route' }).map((x) => x.id), ['f2', 'f0']);
  assert.is(r.query({ state: 'active', key: 'odd' }).length, 0);
  assert.is(r.query({ limit: 0 }).length, 13, 'limit 0 means the default (100)');
  const big = records(5000);
  for (let i = 0; i < FLOW_QUERY_MAX + 10; i++) big.refused(start(i), 'refused');
  assert.is(big.query({ limit: 1e9 }).length, FLOW_QUERY_MAX);
});

test('issue 12: a batch carries each ended flow once and the bytes moved since the last batch, active flows included', () => {
  const r = records(10);
  const m = meter({ toServer: 100, toClient: 10 });
  const live = r.open(start(1), m, true);
  let b = r.batch()!;
  assert.equal(b.ended, []);
  assert.equal(b.bytes, [{ key: 'odd', role: 'listener', peerSite: 'west', toServer: 100, toClient: 10 }]);
  assert.is(r.batch(), undefined, 'nothing moved: no batch');
  m.bytesFromApp = 150; m.bytesToApp = 1010;
  mono = 25; m.firstToAppAt = 12.5;
  clock += 40;
  r.end(live, 'closed');
  b = r.batch()!;
  assert.equal(b.ended, [{ key: 'odd', role: 'listener', peerSite: 'west', outcome: 'closed', count: 1, seconds: [0.04], ttfbSeconds: [0.0125] }]);
  assert.equal(r.query({ state: 'recent' }).map((x) => [x.id, x.bytesToServer, x.bytesToClient, x.ttfbMs, x.endedAt! - x.startedAt, x.outcome]), [['f1', 150, 1010, 12.5, 40, 'closed']]);
  assert.equal(b.bytes, [{ key: 'odd', role: 'listener', peerSite: 'west', toServer: 50, toClient: 1000 }], 'only what moved since the last batch');
  assert.is(r.batch(), undefined);
  mono = 0;
});

test('issue 12: a batch groups ended flows by labels; past its sample cap it still counts every flow', () => {
  const r = records(10, 3);
  for (let i = 0; i < 5; i++) r.refused(start(i), 'no_route');
  const b = r.batch()!;
  assert.equal(b.ended.map((g) => [g.key, g.peerSite, g.count, g.seconds.length]), [['even', 'north', 1, 1], ['odd', 'west', 1, 1], ['even', 'west', 2, 1], ['odd', 'north', 1, 0]]);
  assert.is(b.ended.reduce((n, g) => n + g.count, 0), 5, 'every flow counted');
  assert.is(b.overflow, 2, 'two flows not sampled');
  assert.is(r.batch(), undefined);
});

test('issue 12: outcomes by role and cause', () => {
  const cases: [ReturnType<typeof outcomeOf>, ReturnType<typeof outcomeOf>][] = [
    [outcomeOf(undefined, 'client'), 'closed'],
    [outcomeOf({ by: 'app', code: P.ERR_ABORTED }, 'client'), 'reset_by_client'],
    [outcomeOf({ by: 'app', code: P.ERR_ABORTED }, 'server'), 'reset_by_server'],
    [outcomeOf({ by: 'app', code: P.ERR_CONNECT_FAILED }, 'server'), 'refused'],
    [outcomeOf({ by: 'peer', code: P.ERR_NO_ROUTE }, 'client'), 'no_route'],
    [outcomeOf({ by: 'peer', code: P.ERR_CONNECT_FAILED }, 'client'), 'refused'],
    [outcomeOf({ by: 'peer', code: P.ERR_STREAM_QUOTA }, 'client'), 'refused'],
    [outcomeOf({ by: 'peer', code: P.ERR_ABORTED }, 'client'), 'reset_by_server'],
    [outcomeOf({ by: 'peer', code: P.ERR_ABORTED }, 'server'), 'reset_by_client'],
    [outcomeOf({ by: 'peer', code: P.ERR_LINK_DOWN }, 'client'), 'reset_by_network'],
    [outcomeOf({ by: 'link', code: P.ERR_LINK_DOWN }, 'server'), 'reset_by_network'],
    [outcomeOf({ by: 'local', code: P.ERR_ABORTED }, 'server'), 'aborted'],
    [relayOutcomeOf({ by: 'peer', code: P.ERR_ABORTED }, 'client'), 'reset_by_client'],
    [relayOutcomeOf({ by: 'peer', code: P.ERR_ABORTED }, 'server'), 'reset_by_server'],
    [relayOutcomeOf({ by: 'link', code: P.ERR_LINK_DOWN }, 'server'), 'reset_by_network'],
    [relayOutcomeOf(undefined, 'server'), 'closed'],
  ];
  cases.forEach(([got, want], i) => assert.is(got, want, `case ${i}`));
});

/** A listener-side Flow recorded as flow-setup records it, driven through fakes. */
function recordedFlow(role: FlowRole) {
  const r = records(10);
  const f = fakeIO({ 5: 1 << 20 });
  const socket = new FakeAppSocket();
  const app = role === 'listener' ? 'client' : 'server';
  const flow: Flow = new Flow(f.io, 5, fakeWriter(0), socket as unknown as Socket, (fl, error) => r.end(live, outcomeOf(fl.endCause, app), error));
  const live = r.open(start(1, { role }), flow, role === 'listener');
  return { r, flow, socket };
}

test('issue 12: a listener flow\'s record: bytes each way, time to first byte, closed', () => {
  mono = performance.now();
  const { r, flow, socket } = recordedFlow('listener');
  socket.emit('data', Buffer.alloc(300));
  assert.is(r.query({ state: 'active' })[0].bytesToServer, 300, 'an active record shows its bytes so far');
  assert.is(r.query({ state: 'active' })[0].ttfbMs, undefined, 'no byte from the server yet');
  flow.onData(Buffer.alloc(7000));
  socket.emit('end');
  flow.onRemoteClose();
  const [rec] = r.query({ state: 'recent' });
  assert.equal([rec.bytesToServer, rec.bytesToClient, rec.outcome, rec.error], [300, 7000, 'closed', undefined]);
  assert.ok(rec.ttfbMs !== undefined && rec.ttfbMs >= 0);
  mono = 0;
});

test('issue 12: record outcomes of a listener flow reset by the far server, and of a connector whose server refused', () => {
  const a = recordedFlow('listener');
  a.flow.onReset(P.ERR_ABORTED);
  assert.is(a.r.query()[0].outcome, 'reset_by_server');
  const b = recordedFlow('connector');
  b.socket.emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  assert.equal([b.r.query()[0].outcome, b.r.query()[0].error], ['refused', 'connect ECONNREFUSED']);
  const c = recordedFlow('connector');
  c.flow.onReset(P.ERR_ABORTED);
  assert.is(c.r.query()[0].outcome, 'reset_by_client', 'the listener side reset: its client did');
  const d = recordedFlow('listener');
  d.socket.emit('close');
  assert.is(d.r.query()[0].outcome, 'reset_by_client');
});

test('issue 12: a relay\'s record meters both halves and names the side whose RESET ended it', () => {
  const r = records(10);
  const f = fakeIO({ 1: 1 << 20, 2: 1 << 20 });
  let live: ReturnType<FlowRecords['open']>;
  const end = (error?: string) => r.end(live, a.endCause ? relayOutcomeOf(a.endCause, 'client') : relayOutcomeOf(b.endCause, 'server'), error);
  const a = new MeteredRelayHalf(f.io, 1, fakeWriter(0), end);
  const b = new MeteredRelayHalf(f.io, 2, fakeWriter(1), end);
  MeteredRelayHalf.join(a, b);
  live = r.open(start(1, { role: 'relay' }), new RelayCounters(a, b), true);
  b.onData(Buffer.alloc(11));
  a.onData(Buffer.alloc(22));
  b.onReset(P.ERR_ABORTED);
  const [rec] = r.query();
  assert.equal([rec.bytesToServer, rec.bytesToClient, rec.outcome], [11, 22, 'reset_by_server']);
  assert.equal(f.frames().filter((x) => x.startsWith('RESET')), [`RESET@1:${P.ERR_ABORTED}`], 'the reset went on toward the client');
});

test.run();
