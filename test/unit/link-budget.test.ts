// Per-link budgets (dataplane/link-budget.ts) and how a Link applies them, with a fake socket: PONGs
// only while few wait unsent, a peer that never reads is dropped, control bytes are metered.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import * as P from '../../wasm/assembly/protocol.js';
import { Link, LinkState, type LinkEvents } from '../../dataplane/link.js';
import { LINK_LIMITS, TokenBucket } from '../../dataplane/link-budget.js';

class FakeSocket extends EventEmitter {
  writableLength = 0;
  /** bytes written, queued ones included (as net.Socket counts them) */
  bytesWritten = 0;
  destroyed = false;
  setNoDelay(): void {}
  cork(): void {}
  uncork(): void {}
  write(): boolean { return true; }
  end(cb?: () => void): void { cb?.(); }
  destroy(): void { this.destroyed = true; }
}

const quiet = { info() {}, warn() {}, error() {}, debug() {}, child() { return quiet; } } as unknown as Logger;

function fakeLink(): { link: Link; sent: number[]; socket: FakeSocket; goAways: number[]; down: string[] } {
  const socket = new FakeSocket();
  const sent: number[] = [];
  const goAways: number[] = [];
  const down: string[] = [];
  const events = { onDown: (_l: Link, why: string) => down.push(why) } as unknown as LinkEvents;
  const send = {
    control(_w: unknown, type: number, payload: Buffer | null): void {
      sent.push(type);
      if (type === P.FRAME_GOAWAY) goAways.push(payload!.readUInt32BE(0));
    },
    flush(): void {},
  };
  const hello = { version: P.PROTOCOL_VERSION, siteId: 'me', siteName: 'me', window: 65536, cost: 1, pub: '' };
  const link = new Link(0, socket as unknown as TLSSocket, false, hello, () => '', events, send, quiet, 'peer');
  return { link, sent, socket, goAways, down };
}

const pongs = (sent: number[]): number => sent.filter((t) => t === P.FRAME_PONG).length;

test('token bucket: starts full, refills at its rate, never past its burst', () => {
  const b = new TokenBucket(10, 20, 0);
  assert.ok(b.take(20, 0));
  assert.not.ok(b.take(1, 0));
  assert.ok(b.take(5, 500), 'half a second refills 5');
  assert.not.ok(b.take(1, 500));
  assert.ok(b.take(20, 100_000));
  assert.not.ok(b.take(1, 100_000), 'refill stops at the burst');
});

test('issue 10 #6: PINGs are answered while our send buffer empties; a peer that never reads gets at most pongBacklog PONGs', () => {
  const { link, sent, socket } = fakeLink();
  for (let i = 0; i < 500; i++) link.onControl(P.FRAME_PING, 0, Buffer.alloc(0));
  assert.is(pongs(sent), 500, 'a reading peer: every PING answered');
  socket.writableLength = 100; // the peer stopped reading: our bytes stay in the buffer
  socket.bytesWritten = 5000;
  for (let i = 0; i < 500; i++) link.onControl(P.FRAME_PING, 0, Buffer.alloc(0));
  assert.is(pongs(sent), 500 + LINK_LIMITS.pongBacklog, 'pongBacklog PONGs wait unsent, no more');
  assert.is(link.state, LinkState.Hello, 'still up');
  socket.bytesWritten += 50; // the peer read a little: a backlog that moves is not a peer that never reads
  for (let i = 0; i < 3; i++) link.onControl(P.FRAME_PING, 0, Buffer.alloc(0));
  assert.is(pongs(sent), 500 + LINK_LIMITS.pongBacklog + 3, 'answered again once the peer read');
  for (let i = 0; i < LINK_LIMITS.unansweredPings + LINK_LIMITS.pongBacklog - 3; i++) link.onControl(P.FRAME_PING, 0, Buffer.alloc(0));
  assert.is(link.state, LinkState.Hello, 'the unanswered count started again when the peer read');
  link.onControl(P.FRAME_PING, 0, Buffer.alloc(0));
  assert.is(link.state, LinkState.Closed, 'a peer that pings and never reads is dropped even if the link is not congested');
});

test('issue 10 #6: a congested link answers no PING, and a peer that keeps pinging without reading loses the link', () => {
  const { link, sent, socket, goAways, down } = fakeLink();
  socket.writableLength = 10 << 20;
  for (let i = 0; i < LINK_LIMITS.unansweredPings; i++) link.onControl(P.FRAME_PING, 0, Buffer.alloc(0));
  assert.is(pongs(sent), 0);
  assert.is(link.state, LinkState.Hello);
  link.onControl(P.FRAME_PING, 0, Buffer.alloc(0));
  assert.equal(goAways, [P.ERR_OVER_BUDGET]);
  assert.is(link.state, LinkState.Closed);
  assert.is(down.length, 1);
});

test('issue 10 #6: control frames beyond the per-link byte budget close the link with ERR_OVER_BUDGET', () => {
  const { link, goAways } = fakeLink();
  const routes = Buffer.alloc(60_000);
  const frames = Math.ceil(LINK_LIMITS.controlBurst / (routes.length + P.HEADER_SIZE)) + 5;
  for (let i = 0; i < frames && link.state !== LinkState.Closed; i++) link.onControl(P.FRAME_PONG, 0, routes);
  assert.equal(goAways, [P.ERR_OVER_BUDGET]);
});

test.run();
