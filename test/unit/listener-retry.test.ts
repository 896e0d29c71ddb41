// Issue 15: a listener whose port is held by another program retries the bind with backoff, says
// so in its status, and opens by itself once the port is free; unreachable or closed, it stops trying.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import pino from 'pino';
import { ListenerPort } from '../../dataplane/listener.js';
import { freePort } from '../helpers/ports.js';

const log = pino({ level: 'silent' });

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const hold = (port: number) => new Promise<net.Server>((resolve) => { const s = net.createServer(); s.listen(port, '127.0.0.1', () => resolve(s)); });
const release = (s: net.Server) => new Promise((r) => s.close(r));
const connects = (port: number) => new Promise<boolean>((resolve) => {
  const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
  c.on('error', () => resolve(false));
});

test('issue 15: a port held at start is retried with backoff; status shows it; the listener opens once the port is free', async () => {
  const port = await freePort();
  const squatter = await hold(port);
  const accepted: net.Socket[] = [];
  const l = new ListenerPort({ name: 'web', routingKey: 'web', host: '127.0.0.1', port }, (_l, s) => { accepted.push(s); s.destroy(); }, log);
  l.setReachable(true);
  await until('first bind failed', () => l.status === 'retrying');
  assert.match(l.message, new RegExp(`port ${port} is already in use; next try in 0\\.25 s \\(attempt 1 failed\\)`));
  await until('a few retries', () => /attempt 3 failed/.test(l.message), 5000);
  assert.match(l.message, /next try in 1 s/, 'the delay doubles');
  await release(squatter);
  await until('listener open', () => l.status === 'ready', 5000);
  assert.is(l.message, `listening on 127.0.0.1:${port}`);
  assert.ok(await connects(port));
  await until('client accepted by the listener', () => accepted.length === 1);
  l.close();
});

test('issue 15: a listener that loses its route or is closed while retrying stops retrying', async () => {
  const port = await freePort();
  const squatter = await hold(port);
  const l = new ListenerPort({ name: 'web', routingKey: 'web', host: '127.0.0.1', port }, (_l, s) => s.destroy(), log);
  l.setReachable(true);
  await until('retrying', () => l.status === 'retrying');
  l.setReachable(false);
  assert.is(l.status, 'no-route');
  await release(squatter);
  await new Promise((r) => setTimeout(r, 600));
  assert.is(l.status, 'no-route', 'no bind after the route went away');
  assert.not.ok(await connects(port));
  l.setReachable(true);
  await until('open again', () => l.status === 'ready');
  l.close();
  assert.not.ok(await connects(port));
});

test.run();
