// Issue 14: a bench run's control stream from the driving side, with fake credit and outbox — the
// OPEN it sends, the answers taken line by line (split across frames or several in one), a CPU mark
// answered in order, a refusal by an older site named as such, and the relays' CPU over the span.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import { ControlStream } from '../../dataplane/bench/bench-control.js';
import { RelayCpu } from '../../dataplane/bench/relay-cpu.js';
import type { BenchStream } from '../../dataplane/bench/bench-stream.js';
import type { EndpointTable } from '../../dataplane/endpoint-table.js';
import type { Link } from '../../dataplane/link.js';
import type { StreamEndpoint } from '../../dataplane/endpoint.js';
import { fakeIO, fakeWriter } from '../helpers/fake-stream-io.js';

function setup() {
  const f = fakeIO({ 1: 1000, 2: 1000 });
  const eps = new Map<number, StreamEndpoint>();
  let next = 0;
  const opens: string[] = [];
  const io = Object.assign(f.io, { set: (ep: StreamEndpoint) => eps.set(ep.slot, ep) }) as unknown as EndpointTable;
  (io.core as unknown as { openStream: () => number }).openStream = () => ++next;
  const stream = io.outbox.stream.bind(io.outbox);
  io.outbox.stream = ((w, type, slot, payload, aux) => { if (type === P.FRAME_OPEN) opens.push(payload!.toString()); return stream(w, type, slot, payload, aux); }) as typeof io.outbox.stream;
  const link = fakeWriter(1) as unknown as Link;
  const stats = { bytesSent: 0, bytesReceived: 0, streamsServed: 0, streamsRefused: 0 };
  const deps = { siteId: 'west', io, nextLink: () => link, stats, newFlowId: () => 'bench-1' };
  return { ...f, eps, opens, deps, streams: new Set<BenchStream>() };
}

test('answers come line by line, and a mark takes the next one', async () => {
  const t = setup();
  const c = ControlStream.open(t.deps, 'east', 'control', t.streams)!;
  assert.equal(JSON.parse(t.opens[0]), { key: 'svcnet.bench', dst: 'east', src: 'west', flow: 'bench-1', bench: 'control', ends: 'socket' });
  assert.is(t.streams.size, 1);
  const ep = t.eps.get(1)!;
  ep.onData(Buffer.from('{"cpuU'));
  ep.onData(Buffer.from('s":5}\n{"cpuUs":7}\n'));
  assert.equal(await c.next('first'), { cpuUs: 5 });
  assert.is(await c.mark(), 7, 'an answer that came early is taken first');
  const m = c.mark();
  ep.onData(Buffer.from('{"cpuUs":9}\n'));
  assert.is(await m, 9);
  assert.equal(t.frames().filter((f) => f.startsWith('DATA')), ['DATA@1:1', 'DATA@1:1'], 'one newline per mark');
  c.close();
  ep.onRemoteClose(false);
  assert.is(t.streams.size, 0);
});

test('a site that does not know the kind is named as older; the relays\' CPU is their span', async () => {
  const t = setup();
  const c = ControlStream.open(t.deps, 'east', 'control', t.streams)!;
  t.eps.get(1)!.onReset(P.ERR_BAD_STATE);
  await c.next('first').then(() => assert.unreachable(), (err: Error) => assert.match(err.message, /does not serve socket ends \(an older svcnet\?\); run with --ends engine/));
  const u = setup();
  const relays = new RelayCpu(u.deps, [{ id: 'mid', name: 'site-mid' }, { id: 'old', name: 'site-old' }], u.streams);
  assert.equal(u.opens.map((o) => JSON.parse(o).bench), ['cpu', 'cpu']);
  const mid = u.eps.get(1)!;
  const old = u.eps.get(2)!;
  old.onReset(P.ERR_BAD_STATE);
  mid.onData(Buffer.from('{"cpuUs":1000000}\n'));
  const started = relays.start();
  await Promise.resolve();
  mid.onData(Buffer.from('{"cpuUs":1000000}\n'));
  await started;
  const stopped = relays.stop();
  await Promise.resolve();
  mid.onData(Buffer.from('{"cpuUs":3500000}\n'));
  await stopped;
  const r = relays.results();
  assert.equal(r[0], { site: { id: 'mid', name: 'site-mid' }, cpuSeconds: 2.5 });
  assert.match(r[1].why!, /does not answer CPU marks/);
});

test.run();
