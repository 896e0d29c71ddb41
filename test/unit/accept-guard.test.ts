// The pre-handshake guard with fake sockets (issue 10 #4): caps per source and in total, the
// handshake deadline (absolute, from accept), release on handshake or close, counted refusals and
// rate-limited logs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import pino from 'pino';
import { AcceptGuard } from '../../common/accept-guard.js';
import { LogBudget } from '../../common/log-budget.js';

class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(readonly remoteAddress: string) { super(); }
  destroy(): void { if (this.destroyed) return; this.destroyed = true; queueMicrotask(() => this.emit('close')); }
}
const sock = (addr: string) => new FakeSocket(addr) as unknown as net.Socket & FakeSocket;
const tick = () => new Promise((r) => setImmediate(r));

function guard(limits: { perSource: number; total: number; handshakeMs: number; holdAfterHandshake?: boolean }) {
  const lines: string[] = [];
  const refused: Record<string, number> = {};
  const g = new AcceptGuard('link', limits, new LogBudget(pino({ level: 'warn' }, { write: (l: string) => { lines.push(l); } })), refused);
  return { g, lines, refused };
}

test('issue 10 #4: over the per-source cap and the total cap a connection is destroyed and counted; logs stay bounded', async () => {
  const { g, lines, refused } = guard({ perSource: 3, total: 5, handshakeMs: 60_000 });
  const a = Array.from({ length: 10 }, () => sock('10.0.0.1'));
  const admitted = a.map((s) => g.admit(s));
  assert.equal(admitted.filter(Boolean).length, 3);
  assert.ok(a.slice(3).every((s) => s.destroyed));
  const others = Array.from({ length: 4 }, (_, i) => sock(`10.0.1.${i}`));
  assert.equal(others.map((s) => g.admit(s)), [true, true, false, false], 'total cap of 5');
  assert.is(refused.SVCNET_ERR_TOO_MANY_CONNECTIONS, 9);
  assert.ok(lines.length <= 5, `${lines.length} lines`);
  // A close frees a place.
  a[0].destroy();
  await tick();
  assert.ok(g.admit(sock('10.0.2.1')));
  g.closeAll();
});

test('issue 10 #4: the deadline closes a connection that has not finished its handshake; a finished one is released and kept', async () => {
  const { g, refused } = guard({ perSource: 2, total: 10, handshakeMs: 50 });
  const slow = sock('10.0.0.1');
  const quick = sock('10.0.0.1');
  g.admit(slow);
  g.admit(quick);
  assert.not.ok(g.admit(sock('10.0.0.1')), 'two in handshake from this source');
  g.handshaken(quick);
  assert.ok(g.admit(sock('10.0.0.1')), 'a finished handshake frees its place');
  await new Promise((r) => setTimeout(r, 120));
  assert.ok(slow.destroyed);
  assert.ok(g.closedByDeadline(slow));
  assert.not.ok(quick.destroyed, 'a finished handshake is not timed out');
  assert.is(refused.SVCNET_ERR_HANDSHAKE_TIMEOUT, 2);
  g.closeAll();
  assert.not.ok(quick.destroyed, 'closeAll leaves established connections to their owners');
});

test('issue 10 #4: on the grant port a finished handshake keeps counting until close', async () => {
  const { g } = guard({ perSource: 1, total: 10, handshakeMs: 50, holdAfterHandshake: true });
  const s = sock('10.0.0.1');
  g.admit(s);
  g.handshaken(s);
  assert.not.ok(g.admit(sock('10.0.0.1')));
  await new Promise((r) => setTimeout(r, 80));
  assert.not.ok(s.destroyed, 'no deadline after the handshake');
  s.destroy();
  await tick();
  assert.ok(g.admit(sock('10.0.0.1')));
  g.closeAll();
});

test.run();
