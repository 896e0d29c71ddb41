// Issue 11 item 4: the engine host's start handshake. A cluster worker loses IPC messages that
// arrive before its ES module has run, so the host sends init only when the engine says `loaded`,
// and whatever it is asked to send meanwhile (a router relays pushes at once) follows, in order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import pino from 'pino';
import { EngineHost } from '../../control/engine/engine-host.js';
import type { EngineCommand, EngineInit, EngineReport } from '../../dataplane/port/report.js';

class FakeChild extends EventEmitter {
  connected = true;
  pid = 4242;
  readonly sent: EngineCommand[] = [];
  send(cmd: EngineCommand): boolean { this.sent.push(cmd); return true; }
  report(r: EngineReport): void { this.emit('message', r); }
}

const init: EngineInit = { siteId: 'id', siteName: 'alpha', identityPem: 'pem', window: 65536 };

function host(): { h: EngineHost; child: FakeChild; reports: EngineReport[]; started: Promise<void> } {
  const child = new FakeChild();
  const reports: EngineReport[] = [];
  const h = new EngineHost({ init, log: pino({ level: 'silent' }), onReport: (r) => reports.push(r), spawn: () => child as unknown as ChildProcess });
  return { h, child, reports, started: h.start() };
}

test('issue 11: nothing reaches the engine before it is loaded; then init, then what was sent meanwhile, in order', async () => {
  const { h, child, reports, started } = host();
  h.send({ kind: 'watch', flows: true });
  const barrier = h.barrier();
  assert.equal(child.sent, [], 'held until the engine listens');
  child.report({ kind: 'loaded' });
  assert.equal(child.sent.map((c) => c.kind), ['init', 'watch', 'barrier']);
  assert.equal((child.sent[0] as { init: EngineInit }).init, init);
  assert.equal(reports, [], 'loaded is the host\'s own business');
  child.report({ kind: 'ready', pid: 4242 });
  await started;
  assert.is(h.state, 'running');
  child.report({ kind: 'barrier', id: (child.sent[2] as { id: number }).id });
  await barrier;
  h.send({ kind: 'watch', flows: false });
  assert.is(child.sent.length, 4, 'once loaded, commands go straight through');
});

test.run();
