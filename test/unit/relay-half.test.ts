// Issue 11: the relay halves' state machine (relay.ts) with a fake StreamIO: bytes go on under the
// next hop's credit and are credited upstream, CLOSE crosses the relay after queued bytes, the relay
// ends once (both halves Closed → Done; a reset or link down on either side resets the other).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import { RelayHalf, RelayState, RELAY_TRANSITIONS } from '../../dataplane/relay.js';
import { fakeIO, fakeWriter } from '../helpers/fake-stream-io.js';

/** Half `a` owns slot 1 on link 0 (toward the previous hop), `b` slot 2 on link 1 (the next hop). */
function makeRelay(credit: Record<number, number> = { 1: 1 << 20, 2: 1 << 20 }) {
  const f = fakeIO(credit);
  const ends: (string | undefined)[] = [];
  const end = (e?: string) => { ends.push(e); };
  const a = new RelayHalf(f.io, 1, fakeWriter(0), end);
  const b = new RelayHalf(f.io, 2, fakeWriter(1), end);
  RelayHalf.join(a, b);
  return { a, b, ends, ...f };
}

test('issue 11 RelayHalf: join sets forwarding both ways in the core', () => {
  const t = makeRelay();
  assert.equal(t.forward, [[1, 2], [2, 1]]);
  assert.equal([t.a.state, t.b.state], [RelayState.Open, RelayState.Open]);
});

test('issue 11 RelayHalf: bytes wait for the next hop\'s credit, and are credited upstream only once sent on', () => {
  const t = makeRelay({ 1: 0, 2: 3 });
  t.b.onData(Buffer.alloc(5)); // arrived on slot 1, forwarded by the core to slot 2
  assert.equal(t.frames(), ['DATA@2:3', 'CREDIT@1']);
  assert.is(t.sent[1].link, 0, 'credit goes back on the previous hop\'s link');
  t.credit[2] = 10;
  t.b.onCredit();
  assert.equal(t.frames(), ['DATA@2:3', 'CREDIT@1', 'DATA@2:2', 'CREDIT@1']);
});

test('issue 11 RelayHalf: a clean end crosses the relay: open → remote-closed/local-closed → closed → done, ended once', () => {
  const t = makeRelay();
  t.a.onRemoteClose(); // the previous hop finished sending
  assert.equal([t.a.state, t.b.state], [RelayState.RemoteClosed, RelayState.LocalClosed]);
  assert.equal(t.frames(), ['CLOSE@2']);
  t.b.onRemoteClose(); // the next hop finished too
  assert.equal([t.a.state, t.b.state], [RelayState.Done, RelayState.Done]);
  assert.equal(t.frames(), ['CLOSE@2', 'CLOSE@1']);
  assert.equal(t.ends, [undefined]);
  assert.equal(t.done.sort(), [1, 2]);
  assert.equal(t.illegal, []);
});

test('issue 11 RelayHalf: CLOSE waits for the bytes queued before it (no upstream credit once the upstream sender closed: its slot may be reused)', () => {
  const t = makeRelay({ 1: 1 << 20, 2: 0 });
  t.b.onData(Buffer.alloc(4));
  t.a.onRemoteClose();
  assert.is(t.b.state, RelayState.Open, 'no CLOSE while bytes are queued');
  assert.equal(t.frames(), []);
  t.credit[2] = 4;
  t.b.onCredit();
  assert.equal(t.frames(), ['DATA@2:4', 'CLOSE@2']);
  assert.is(t.b.state, RelayState.LocalClosed);
});

const resets: { name: string; act: (t: ReturnType<typeof makeRelay>) => void; frames: string[]; error: string }[] = [
  { name: 'the previous hop resets: the next hop gets a RESET', act: (t) => t.a.onReset(P.ERR_ABORTED), frames: [`RESET@2:${P.ERR_ABORTED}`], error: `reset by peer (code ${P.ERR_ABORTED})` },
  { name: 'the next hop resets: the previous hop gets a RESET', act: (t) => t.b.onReset(P.ERR_CONNECT_FAILED), frames: [`RESET@1:${P.ERR_CONNECT_FAILED}`], error: `reset by peer (code ${P.ERR_CONNECT_FAILED})` },
  { name: 'the next hop\'s link goes down', act: (t) => t.b.abort(P.ERR_LINK_DOWN), frames: [`RESET@1:${P.ERR_LINK_DOWN}`], error: `link down (code ${P.ERR_LINK_DOWN})` },
  { name: 'we reset (protocol error, shutdown): both sides get a RESET', act: (t) => t.a.resetLocal(P.ERR_ABORTED, 'shutdown'), frames: [`RESET@1:${P.ERR_ABORTED}`, `RESET@2:${P.ERR_ABORTED}`], error: 'shutdown' },
  { name: 'a reset after one half closed', act: (t) => { t.a.onRemoteClose(); t.b.onReset(P.ERR_ABORTED); }, frames: ['CLOSE@2', `RESET@1:${P.ERR_ABORTED}`], error: `reset by peer (code ${P.ERR_ABORTED})` },
];

for (const c of resets) {
  test(`issue 11 RelayHalf: ${c.name} → both halves reset, the relay ends once`, () => {
    const t = makeRelay();
    c.act(t);
    assert.equal([t.a.state, t.b.state], [RelayState.Reset, RelayState.Reset]);
    assert.equal(t.frames(), c.frames);
    assert.equal(t.ends, [c.error]);
    // Anything later is ignored.
    t.a.onReset(1); t.b.abort(1); t.a.onRemoteClose(); t.b.onData(Buffer.alloc(1)); t.a.resetLocal(1, 'again');
    assert.equal(t.frames(), c.frames);
    assert.is(t.ends.length, 1);
    assert.equal(t.illegal, []);
  });
}

test('issue 11 RelayHalf: a second CLOSE on one slot is an illegal move: reported, nothing sent', () => {
  const t = makeRelay();
  t.a.onRemoteClose();
  t.a.onRemoteClose();
  assert.equal(t.illegal, ['relay-half remote-closed->remote-closed']);
  assert.equal(t.frames(), ['CLOSE@2']);
  assert.is(t.a.state, RelayState.RemoteClosed);
});

test('issue 11 RelayHalf: the transition table — Done only from Closed, terminal states have no way out', () => {
  for (const [from, tos] of Object.entries(RELAY_TRANSITIONS)) {
    assert.is(tos.includes(RelayState.Done), from === RelayState.Closed, `${from} -> done`);
    assert.not.ok(tos.includes(RelayState.Open), `${from} -> open`);
  }
  assert.equal(RELAY_TRANSITIONS[RelayState.Done], []);
  assert.equal(RELAY_TRANSITIONS[RelayState.Reset], []);
});

test.run();
