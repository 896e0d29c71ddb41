// Issue 11: the Link state machine (link.ts) with a fake TLS socket: hello → ready on a valid HELLO,
// hello/ready → closed on every way out, onReady/onDown told exactly once, nothing after closed; and
// the checked move itself (state-machine.ts): a refused move is reported, and under
// SVCNET_STRICT_STATES=1 it throws, otherwise it is logged once per kind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import pino from 'pino';
import * as P from '../../wasm/assembly/protocol.js';
import { Link, LinkState, LINK_TRANSITIONS, type LinkEvents } from '../../dataplane/link.js';
import { helloProofBytes } from '../../dataplane/hello.js';
import { StateMachine, reportIllegal, illegalTransitions } from '../../dataplane/state-machine.js';
import { SiteIdentity } from '../../common/identity.js';
import { FakeTlsSocket as FakeSocket } from '../helpers/fake-tls-socket.js';

const me = SiteIdentity.generate();
const peer = SiteIdentity.generate();
const log = pino({ level: 'silent' });


function makeLink() {
  const socket = new FakeSocket();
  const calls: string[] = [];
  const events = new Proxy({}, { get: (_t, name: string) => name === 'warnings' ? undefined : (..._a: unknown[]) => { calls.push(name); } }) as LinkEvents;
  const link = new Link(0, socket as unknown as TLSSocket, true, { version: P.PROTOCOL_VERSION, siteId: me.id, siteName: 'me', window: 65536, cost: 1, pub: me.pub },
    (b) => me.sign(b), events, { control: () => {}, flush: () => {} }, log, 'test');
  link.start();
  return { link, socket, calls };
}

const hello = (socket: FakeSocket) => Buffer.from(JSON.stringify({ version: P.PROTOCOL_VERSION, siteId: peer.id, siteName: 'peer', window: 65536, cost: 1, pub: peer.pub,
  proof: peer.sign(helloProofBytes(peer.id, 'peer', socket.binding)) }));

type T = ReturnType<typeof makeLink>;
const ways: { name: string; steps: [(t: T) => void, LinkState][]; calls: string[] }[] = [
  { name: 'valid HELLO: hello → ready', steps: [[(t) => t.link.onControl(P.FRAME_HELLO, 0, hello(t.socket)), LinkState.Ready]], calls: ['onReady'] },
  { name: 'socket closes in hello: hello → closed', steps: [[(t) => t.socket.emit('close'), LinkState.Closed]], calls: ['onDown'] },
  { name: 'HELLO that is not JSON: hello → closed (refused)', steps: [[(t) => t.link.onControl(P.FRAME_HELLO, 0, Buffer.from('{')), LinkState.Closed]], calls: ['onHelloRefused', 'onDown'] },
  { name: 'peer GOAWAY when ready: ready → closed', steps: [[(t) => t.link.onControl(P.FRAME_HELLO, 0, hello(t.socket)), LinkState.Ready], [(t) => t.link.onControl(P.FRAME_GOAWAY, 0, Buffer.alloc(4)), LinkState.Closed]], calls: ['onReady', 'onDown'] },
  { name: 'a second HELLO: ready → closed (refused)', steps: [[(t) => t.link.onControl(P.FRAME_HELLO, 0, hello(t.socket)), LinkState.Ready], [(t) => t.link.onControl(P.FRAME_HELLO, 0, hello(t.socket)), LinkState.Closed]], calls: ['onReady', 'onHelloRefused', 'onDown'] },
  { name: 'our GOAWAY, then the socket\'s close: one onDown', steps: [[(t) => t.link.goAway(P.ERR_ABORTED, 'bye'), LinkState.Closed], [(t) => t.socket.emit('close'), LinkState.Closed]], calls: ['onDown'] },
  { name: 'after closed: frames, HELLO and failures are ignored', steps: [[(t) => t.link.fail('gone'), LinkState.Closed], [(t) => { t.link.onControl(P.FRAME_HELLO, 0, hello(t.socket)); t.link.onOpen(1, Buffer.from('{}')); t.link.fail('again'); t.link.overBudget('x', 'y'); }, LinkState.Closed]], calls: ['onDown'] },
];

for (const w of ways) {
  test(`issue 11 Link: ${w.name}`, () => {
    const before = illegalTransitions();
    const t = makeLink();
    assert.is(t.link.state, LinkState.Hello);
    for (const [step, want] of w.steps) {
      step(t);
      assert.is(t.link.state, want);
    }
    assert.equal(t.calls, w.calls);
    assert.is(illegalTransitions(), before, 'no illegal move on any legitimate path');
    t.link.fail('end of test');
  });
}

test('issue 11 Link: the transition table — ready only from hello, closed is terminal', () => {
  assert.equal(LINK_TRANSITIONS, { hello: [LinkState.Ready, LinkState.Closed], ready: [LinkState.Closed], closed: [] });
});

test('issue 11 StateMachine: a refused move is reported and leaves the state; an allowed one moves', () => {
  const seen: string[] = [];
  const m = new StateMachine('link', LinkState.Hello, LINK_TRANSITIONS, (n, f, to) => seen.push(`${n} ${f}->${to}`));
  assert.ok(m.to(LinkState.Ready));
  assert.not.ok(m.to(LinkState.Hello));
  assert.is(m.state, LinkState.Ready);
  assert.ok(m.to(LinkState.Closed));
  assert.ok(m.terminal);
  assert.not.ok(m.can(LinkState.Ready));
  assert.not.ok(m.to(LinkState.Ready));
  assert.equal(seen, ['link ready->hello', 'link closed->ready']);
});

test('issue 11 reportIllegal: throws under SVCNET_STRICT_STATES=1; otherwise counts every one and logs once per kind', () => {
  const saved = process.env.SVCNET_STRICT_STATES;
  const logged: unknown[] = [];
  const fake = { error: (o: unknown) => logged.push(o) } as unknown as Logger;
  try {
    process.env.SVCNET_STRICT_STATES = '1';
    assert.throws(() => reportIllegal(fake, 'test-machine', 'a', 'b'), /illegal test-machine transition a -> b/);
    delete process.env.SVCNET_STRICT_STATES;
    const n = illegalTransitions();
    for (let i = 0; i < 3; i++) reportIllegal(fake, 'test-machine', 'a', 'c');
    reportIllegal(fake, 'test-machine', 'a', 'd');
    assert.is(illegalTransitions() - n, 4);
    assert.equal(logged, [{ machine: 'test-machine', from: 'a', to: 'c' }, { machine: 'test-machine', from: 'a', to: 'd' }]);
  } finally {
    if (saved === undefined) delete process.env.SVCNET_STRICT_STATES; else process.env.SVCNET_STRICT_STATES = saved;
  }
});

test.run();
