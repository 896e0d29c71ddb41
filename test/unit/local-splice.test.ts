// Issue 11: a listener and a connector of the same key on one site are spliced in-process; the
// splice now runs the Flow state machine and is accounted for like any flow: flow-open and flow-end
// (with bytes and error), listener and connector byte counters, flowsFailed. A real Dataplane (TS
// core, no links) with loopback sockets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { once } from 'node:events';
import pino from 'pino';
import { Dataplane } from '../../dataplane/dataplane.js';
import { TsCore } from '../../dataplane/core/ts-core.js';
import { SiteIdentity } from '../../common/identity.js';
import type { FlowInfo } from '../../dataplane/port/report.js';
import { freePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/cli.js';

const WINDOW = 256 * 1024;
const me = SiteIdentity.generate();

/** A site serving key `k` from `serverPort` and listening for it on `listenPort`, recording flow events. */
async function site(serverPort: number, listenPort: number) {
  const dp = new Dataplane({ siteId: me.id, siteName: 'here', identity: me, core: new TsCore(WINDOW), window: WINDOW, log: pino({ level: 'silent' }) });
  const events: { kind: string; flow: FlowInfo }[] = [];
  dp.on('flow-open', (flow: FlowInfo) => events.push({ kind: 'flow-open', flow }));
  dp.on('flow-end', (flow: FlowInfo) => events.push({ kind: 'flow-end', flow }));
  dp.setConnectors([{ name: 'c', routingKey: 'k', host: '127.0.0.1', port: serverPort }]);
  dp.setListeners([{ name: 'l', routingKey: 'k', host: '127.0.0.1', port: listenPort }]);
  await waitFor('listener open', () => dp.listenerPorts.get('l')!.status === 'ready', 5000, 20);
  return { dp, events, listener: dp.listenerPorts.get('l')!, connector: dp.connectors.get('c')! };
}

/** A client that sends `n` bytes, half-closes, and reads until the server's FIN. */
async function client(port: number, n: number): Promise<number> {
  const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await once(s, 'connect');
  let got = 0;
  s.on('data', (b: Buffer) => { got += b.length; });
  s.end(Buffer.alloc(n, 1));
  await once(s, 'end');
  s.destroy();
  return got;
}

const flowEnd = (events: { kind: string }[]) => waitFor('flow-end', () => events.some((e) => e.kind === 'flow-end'), 5000, 10);

test('issue 11: a local splice emits flow-open and flow-end and counts bytes on the listener, the connector and the site', async () => {
  const [serverPort, listenPort] = await freePorts(2);
  // The server answers every byte with two, then closes its side once the client has.
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', (b: Buffer) => s.write(Buffer.concat([b, b])));
    s.on('end', () => s.end());
  }).listen(serverPort, '127.0.0.1');
  await once(server, 'listening');
  const { dp, events, listener, connector } = await site(serverPort, listenPort);
  try {
    assert.is(await client(listenPort, 10_000), 20_000, 'the client got the server\'s answer');
    await flowEnd(events);
    assert.equal(events, [
      { kind: 'flow-open', flow: { listener: 'l', key: 'k', site: 'here' } },
      { kind: 'flow-end', flow: { listener: 'l', key: 'k', site: 'here', error: undefined, bytesIn: 10_000, bytesOut: 20_000 } },
    ]);
    assert.equal([listener.flowsOpened, listener.flowsActive, listener.bytesIn, listener.bytesOut], [1, 0, 10_000, 20_000]);
    assert.equal([connector.flowsOpened, connector.flowsActive, connector.bytesIn, connector.bytesOut, connector.flows.size], [1, 0, 10_000, 20_000, 0]);
    assert.equal(dp.stats, { flowsOpened: 1, flowsFailed: 0, opensRefused: 0 });
  } finally {
    dp.shutdown();
    server.close();
  }
});

test('issue 11: a local splice the server resets ends with an error, counted as a failed flow', async () => {
  const [serverPort, listenPort] = await freePorts(2);
  const server = net.createServer((s) => s.on('data', () => s.resetAndDestroy())).listen(serverPort, '127.0.0.1');
  await once(server, 'listening');
  const { dp, events, listener, connector } = await site(serverPort, listenPort);
  try {
    const s = net.connect({ port: listenPort, host: '127.0.0.1' });
    s.on('error', () => {});
    s.write('x');
    await flowEnd(events);
    const end = events.find((e) => e.kind === 'flow-end')!.flow;
    assert.ok(end.error, 'flow-end carries the error');
    assert.is(end.bytesIn, 1);
    assert.equal([listener.flowsActive, connector.flowsActive, connector.flows.size], [0, 0, 0]);
    assert.equal(dp.stats, { flowsOpened: 1, flowsFailed: 1, opensRefused: 0 });
    await waitFor('client reset', () => s.destroyed, 5000, 10);
  } finally {
    dp.shutdown();
    server.close();
  }
});

test('issue 11: shutdown resets an open local splice and reports its end', async () => {
  const [serverPort, listenPort] = await freePorts(2);
  const server = net.createServer({ allowHalfOpen: true }, (s) => s.on('error', () => {})).listen(serverPort, '127.0.0.1');
  await once(server, 'listening');
  const { dp, events, connector } = await site(serverPort, listenPort);
  try {
    const s = net.connect({ port: listenPort, host: '127.0.0.1' });
    s.on('error', () => {});
    await waitFor('splice open', () => connector.flowsActive === 1, 5000, 10);
    dp.shutdown();
    await flowEnd(events);
    assert.equal(events.find((e) => e.kind === 'flow-end')!.flow.error, 'site shutting down');
    assert.is(connector.flowsActive, 0);
    await waitFor('client reset', () => s.destroyed, 5000, 10);
  } finally {
    server.close();
  }
});

test.run();
