// Issue 11: the Flow state machine (flow.ts), driven through a fake StreamIO and a fake app socket:
// each way a flow ends, the frames it sends, that its owner hears of the end exactly once, and that
// a move its table refuses is reported and changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Socket } from 'node:net';
import * as P from '../../wasm/assembly/protocol.js';
import { Flow, FlowState, FLOW_TRANSITIONS } from '../../dataplane/flow.js';
import { fakeIO, fakeWriter, FakeAppSocket } from '../helpers/fake-stream-io.js';

const SLOT = 5;

function makeFlow(credit = 1 << 20) {
  const f = fakeIO({ [SLOT]: credit });
  const socket = new FakeAppSocket();
  const ends: (string | undefined)[] = [];
  const states: FlowState[] = [];
  const flow = new Flow(f.io, SLOT, fakeWriter(0), socket as unknown as Socket, (_fl, error) => { ends.push(error); });
  return { flow, socket, ends, states, ...f };
}

type Step = (t: ReturnType<typeof makeFlow>) => void;
const appData = (n: number): Step => (t) => { t.socket.emit('data', Buffer.alloc(n)); };
const appFin: Step = (t) => { t.socket.emit('end'); };
const appClose: Step = (t) => { t.socket.emit('close'); };
const appError = (code: string): Step => (t) => { t.socket.emit('error', Object.assign(new Error(code), { code })); };
const peerData = (n: number): Step => (t) => t.flow.onData(Buffer.alloc(n));
const peerClose: Step = (t) => t.flow.onRemoteClose();
const peerReset: Step = (t) => t.flow.onReset(P.ERR_ABORTED);
const peerCredit = (n: number): Step => (t) => { t.credit[SLOT] = (t.credit[SLOT] ?? 0) + n; t.flow.onCredit(); };
const linkDown: Step = (t) => t.flow.abort(P.ERR_LINK_DOWN);
const shutdown: Step = (t) => t.flow.resetLocal(P.ERR_ABORTED, 'shutdown');

const cases: { name: string; credit?: number; steps: [Step, FlowState][]; frames: string[]; ends: string[]; socket?: Partial<FakeAppSocket> }[] = [
  { name: 'app FIN, then peer CLOSE: open → local-closed → done', steps: [[appData(10), FlowState.Open], [appFin, FlowState.LocalClosed], [peerClose, FlowState.Done]], frames: ['DATA@5:10', 'CLOSE@5'], ends: ['clean'], socket: { ended: 1, resets: 0 } },
  { name: 'peer CLOSE, then app FIN: open → remote-closed → done', steps: [[peerData(7), FlowState.Open], [peerClose, FlowState.RemoteClosed], [appFin, FlowState.Done]], frames: ['CREDIT@5', 'CLOSE@5'], ends: ['clean'], socket: { written: 7, ended: 1 } },
  { name: 'peer RESET: open → reset, the app socket is reset, nothing sent', steps: [[peerReset, FlowState.Reset]], frames: [], ends: [`reset by peer (code ${P.ERR_ABORTED})`], socket: { resets: 1 } },
  { name: 'server refuses the connection: reset with ERR_CONNECT_FAILED', steps: [[appError('ECONNREFUSED'), FlowState.Reset]], frames: [`RESET@5:${P.ERR_CONNECT_FAILED}`], ends: ['ECONNREFUSED'] },
  { name: 'app socket closes before both directions finished: reset with ERR_ABORTED', steps: [[appFin, FlowState.LocalClosed], [appClose, FlowState.Reset]], frames: ['CLOSE@5', `RESET@5:${P.ERR_ABORTED}`], ends: ['application socket closed'] },
  { name: 'link down: reset, nothing may be sent on the slot', steps: [[linkDown, FlowState.Reset]], frames: [], ends: [`aborted (code ${P.ERR_LINK_DOWN})`], socket: { resets: 1 } },
  { name: 'shutdown in remote-closed: RESET out', steps: [[peerClose, FlowState.RemoteClosed], [shutdown, FlowState.Reset]], frames: [`RESET@5:${P.ERR_ABORTED}`], ends: ['shutdown'] },
  { name: 'events after done are ignored (no second end, no frame)', steps: [[appFin, FlowState.LocalClosed], [peerClose, FlowState.Done], [peerReset, FlowState.Done], [appClose, FlowState.Done], [linkDown, FlowState.Done]], frames: ['CLOSE@5'], ends: ['clean'] },
  { name: 'events after reset are ignored', steps: [[peerReset, FlowState.Reset], [peerClose, FlowState.Reset], [appFin, FlowState.Reset], [shutdown, FlowState.Reset]], frames: [], ends: [`reset by peer (code ${P.ERR_ABORTED})`] },
  { name: 'app FIN while bytes wait for credit: CLOSE only after them', credit: 4, steps: [[appData(10), FlowState.Open], [appFin, FlowState.Open], [peerCredit(6), FlowState.LocalClosed]], frames: ['DATA@5:4', 'DATA@5:6', 'CLOSE@5'], ends: [] },
];

for (const c of cases) {
  test(`issue 11 Flow: ${c.name}`, () => {
    const t = makeFlow(c.credit);
    for (const [step, want] of c.steps) {
      step(t);
      assert.is(t.flow.state, want);
    }
    assert.equal(t.frames(), c.frames);
    assert.equal(t.ends.map((e) => e ?? 'clean'), c.ends);
    assert.equal(t.done, c.ends.length ? [SLOT] : [], 'the slot is forgotten exactly when the flow ends');
    for (const [k, v] of Object.entries(c.socket ?? {})) assert.is(t.socket[k as keyof FakeAppSocket], v, k);
    assert.equal(t.illegal, []);
  });
}

test('issue 11 Flow: a second CLOSE from the peer is an illegal move: reported, state and socket unchanged', () => {
  const t = makeFlow();
  t.flow.onRemoteClose();
  t.flow.onRemoteClose();
  assert.equal(t.illegal, ['flow remote-closed->remote-closed']);
  assert.is(t.flow.state, FlowState.RemoteClosed);
  assert.is(t.socket.ended, 1, 'the app socket was ended once');
  assert.equal(t.ends, []);
});

test('issue 11 Flow: the transition table — terminal states have no way out, nothing returns to open', () => {
  assert.equal(FLOW_TRANSITIONS[FlowState.Done], []);
  assert.equal(FLOW_TRANSITIONS[FlowState.Reset], []);
  for (const [from, tos] of Object.entries(FLOW_TRANSITIONS)) {
    assert.not.ok(tos.includes(FlowState.Open), `${from} -> open`);
    if (from !== FlowState.Done && from !== FlowState.Reset) assert.ok(tos.includes(FlowState.Reset), `${from} can be reset`);
  }
});

test.run();
