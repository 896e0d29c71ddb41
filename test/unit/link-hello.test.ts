// Issue 10 #1 #12: the Link's handshake with a fake socket — our HELLO carries a proof bound to the
// session, the accepting side raises the dialer's cost to its policy, and stream frames or ROUTES
// before HELLO are refused with GOAWAY and counted, never handed to the data plane.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { TLSSocket } from 'node:tls';
import * as P from '../../wasm/assembly/protocol.js';
import { Link, LinkState, type LinkEvents, type PeerExpectation } from '../../dataplane/link.js';
import { validHello, helloProofBytes } from '../../dataplane/hello.js';
import { SiteIdentity } from '../../common/identity.js';
import { FakeTlsSocket as FakeSocket } from '../helpers/fake-tls-socket.js';

const me = SiteIdentity.generate();
const peer = SiteIdentity.generate();
const log = pino({ level: 'silent' });


function makeLink(dialer: boolean, expect: PeerExpectation = {}) {
  const socket = new FakeSocket();
  const sent: { type: number; payload: Buffer | null }[] = [];
  const calls: string[] = [];
  const events = new Proxy({}, { get: (_t, name: string) => (...args: unknown[]) => { calls.push(name === 'onHelloRefused' ? `${name}:${args[1]}` : name); } }) as LinkEvents;
  const link = new Link(0, socket as unknown as TLSSocket, dialer, { version: P.PROTOCOL_VERSION, siteId: me.id, siteName: 'me', window: 65536, cost: 7, pub: me.pub },
    (b) => me.sign(b), events, { control: (_w, type, payload) => { sent.push({ type, payload }); }, flush: () => {} }, log, 'test', expect);
  link.start();
  return { link, socket, sent, calls };
}

/** A HELLO of `peer` proved for `socket`'s session. */
function peerHello(socket: FakeSocket, f: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ version: P.PROTOCOL_VERSION, siteId: peer.id, siteName: 'peer', window: 65536, cost: 1, pub: peer.pub,
    proof: peer.sign(helloProofBytes(peer.id, 'peer', socket.binding)), ...f }));
}

test('issue 10 #1: our HELLO proves our identity for this session only', () => {
  const { socket, sent, link } = makeLink(true);
  const hello = JSON.parse(sent.find((s) => s.type === P.FRAME_HELLO)!.payload!.toString());
  assert.ok('hello' in validHello(hello, { selfId: peer.id, binding: socket.binding, expect: {} }));
  assert.ok('code' in validHello(hello, { selfId: peer.id, binding: randomBytes(32), expect: {} }), 'not valid on another session');
  link.fail('done');
});

const costCases: { name: string; dialer: boolean; asked: number; minCost?: number; want: number }[] = [
  { name: 'the accepting side takes the dialer\'s cost when it is above its policy', dialer: false, asked: 20, minCost: 10, want: 20 },
  { name: '#1: the accepting side raises a cheaper dialer to its policy (inboundLinkCost)', dialer: false, asked: 1, minCost: 10, want: 10 },
  { name: 'without a policy the dialer\'s cost stands', dialer: false, asked: 3, want: 3 },
  { name: 'the dialer uses its own configured cost', dialer: true, asked: 1, want: 7 },
];

for (const c of costCases) {
  test(`issue 10 HELLO cost: ${c.name}`, () => {
    const { link, socket, calls } = makeLink(c.dialer, { minCost: c.minCost });
    link.onControl(P.FRAME_HELLO, 0, peerHello(socket, { cost: c.asked }));
    assert.is(link.state, LinkState.Ready);
    assert.is(link.peer!.cost, c.want);
    assert.equal(calls, ['onReady']);
    link.fail('done');
  });
}

const early: { name: string; send: (l: Link) => void }[] = [
  { name: 'OPEN', send: (l) => l.onOpen(1, Buffer.from('{}')) },
  { name: 'DATA', send: (l) => l.onData(1, Buffer.from('x')) },
  { name: 'CREDIT', send: (l) => l.onCredit(1, 100) },
  { name: 'CLOSE', send: (l) => l.onClose(1, true) },
  { name: 'RESET', send: (l) => l.onReset(1, 1) },
  { name: 'ROUTES', send: (l) => l.onControl(P.FRAME_ROUTES, 0, Buffer.from('[]')) },
];

for (const c of early) {
  test(`issue 10 #12: ${c.name} before HELLO is refused with GOAWAY and never reaches the data plane`, () => {
    const { link, sent, calls } = makeLink(false);
    c.send(link);
    assert.is(link.state, LinkState.Closed);
    const g = sent.find((s) => s.type === P.FRAME_GOAWAY)!;
    assert.is(g.payload!.readUInt32BE(0), P.ERR_BAD_STATE);
    assert.match(g.payload!.subarray(4).toString(), new RegExp(`${c.name} before HELLO`));
    assert.equal(calls, [`onHelloRefused:${P.ERR_BAD_STATE}`, 'onDown']);
  });
}

test('a TLS session reset before our HELLO closes the link instead of throwing', () => {
  const socket = new FakeSocket();
  socket.exportKeyingMaterial = () => { throw new TypeError('Cannot read properties of null'); };
  const calls: string[] = [];
  const events = new Proxy({}, { get: (_t, name: string) => () => { calls.push(name); } }) as LinkEvents;
  const link = new Link(0, socket as unknown as TLSSocket, false, { version: P.PROTOCOL_VERSION, siteId: me.id, siteName: 'me', window: 65536, cost: 1, pub: me.pub },
    (b) => me.sign(b), events, { control: () => {}, flush: () => {} }, log, 'test');
  link.start();
  assert.is(link.state, LinkState.Closed);
  assert.equal(calls, ['onDown']);
});

test('issue 10 #1: a HELLO refused for identity is counted and answered with GOAWAY 14', () => {
  const { link, socket, sent, calls } = makeLink(false, { siteId: SiteIdentity.generate().id, siteName: 'other' });
  link.onControl(P.FRAME_HELLO, 0, peerHello(socket));
  assert.is(link.state, LinkState.Closed);
  assert.is(sent.find((s) => s.type === P.FRAME_GOAWAY)!.payload!.readUInt32BE(0), P.ERR_PEER_IDENTITY);
  assert.equal(calls, [`onHelloRefused:${P.ERR_PEER_IDENTITY}`, 'onDown']);
});

test.run();
