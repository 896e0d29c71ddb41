// Issue 12: a local splice (listener and connector on one site, a real Dataplane with the TS core
// and loopback sockets) leaves one record of role `local`: bytes each way, first byte, and the
// outcome of each way of ending (closed, reset by the server, reset by the client).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { once } from 'node:events';
import pino from 'pino';
import { Dataplane } from '../../dataplane/dataplane.js';
import { TsCore } from '../../dataplane/core/ts-core.js';
import { SiteIdentity } from '../../common/identity.js';
import { freePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/cli.js';

const WINDOW = 256 * 1024;
const me = SiteIdentity.generate();

/** A site serving key `k` from the server `handler` and listening for it; the test body gets the listener port. */
async function withSite(handler: (s: net.Socket) => void, body: (port: number, dp: Dataplane) => Promise<void>): Promise<void> {
  const [serverPort, listenPort] = await freePorts(2);
  const server = net.createServer({ allowHalfOpen: true }, handler).listen(serverPort, '127.0.0.1');
  await once(server, 'listening');
  const dp = new Dataplane({ siteId: me.id, siteName: 'here', identity: me, core: new TsCore(WINDOW), window: WINDOW, log: pino({ level: 'silent' }) });
  dp.setConnectors([{ name: 'c', routingKey: 'k', host: '127.0.0.1', port: serverPort }]);
  dp.setListeners([{ name: 'l', routingKey: 'k', host: '127.0.0.1', port: listenPort }]);
  try {
    await waitFor('listener open', () => dp.listenerPorts.get('l')!.status === 'ready', 5000, 20);
    await body(listenPort, dp);
  } finally {
    dp.shutdown();
    server.close();
  }
}

const ended = (dp: Dataplane) => waitFor('the record ended', () => dp.flowRecords.query({ state: 'recent' })[0], 5000, 10);

test('issue 12: a local splice\'s record: role local, both sites here, bytes each way, first byte, closed', async () => {
  await withSite((s) => { s.on('data', (b: Buffer) => s.write(Buffer.concat([b, b]))); s.on('end', () => s.end()); }, async (port, dp) => {
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await once(c, 'connect');
    const local = c.localPort;
    c.on('data', () => {});
    c.end(Buffer.alloc(10_000, 1));
    await once(c, 'end');
    c.destroy();
    const r = await ended(dp);
    assert.equal([r.role, r.key, r.listenerSite, r.connectorSite, r.endpoint, r.client, r.bytesToServer, r.bytesToClient, r.outcome],
      ['local', 'k', 'here', 'here', 'l', `127.0.0.1:${local}`, 10_000, 20_000, 'closed']);
    assert.match(r.target, /^127\.0\.0\.1:\d+$/);
    assert.ok(r.ttfbMs !== undefined && r.ttfbMs >= 0);
    const b = dp.flowRecords.batch()!;
    assert.equal(b.bytes, [{ key: 'k', role: 'local', peerSite: 'here', toServer: 10_000, toClient: 20_000 }]);
  });
});

test('issue 12: a local splice the server resets is reset_by_server; one the client resets is reset_by_client', async () => {
  await withSite((s) => s.on('data', () => s.resetAndDestroy()), async (port, dp) => {
    const c = net.connect({ port, host: '127.0.0.1' });
    c.on('error', () => {});
    c.write('x');
    assert.is((await ended(dp)).outcome, 'reset_by_server');
  });
  await withSite((s) => { s.on('data', () => {}); s.on('error', () => {}); }, async (port, dp) => {
    const c = net.connect({ port, host: '127.0.0.1' });
    await once(c, 'connect');
    c.write('x');
    await waitFor('the record active', () => dp.flowRecords.query({ state: 'active' })[0]?.bytesToServer === 1, 5000, 10);
    c.resetAndDestroy();
    assert.is((await ended(dp)).outcome, 'reset_by_client');
  });
});

test.run();
