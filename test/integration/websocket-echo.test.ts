// Issue 13, "real applications, unmodified": a WebSocket echo server and client (Debian's
// python3-websockets) through an `http1` listener, observed (connection mode) and request-balanced
// (the Upgrade pins the client connection to one of two servers, then bytes pass raw): messages of
// several sizes, text and binary, echoed intact; the close handshake ends with 1000 at both ends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { stopAll, tempDir, waitFor } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { linkedPair, applyDoc, listenerReady, flows, type Pair } from '../helpers/http-sites.js';
import { haveWebsockets, startWsEcho, wsClient, type WsServer } from '../helpers/ws-python.js';

const root = tempDir();
let ports: number[];
let sites: Pair;
const servers: WsServer[] = [];
// Around the 7-bit and 16-bit length boundaries of RFC 6455 frames, and 1 MiB (many TCP segments).
const SIZES = [1, 125, 126, 127, 65535, 65536, 70000, 1 << 20];

/** One client connection through `port`, every echo checked and the close clean. */
async function session(port: number): Promise<void> {
  const r = await wsClient(root, `ws://127.0.0.1:${port}/chat`, SIZES);
  assert.equal(r.echo.map((e) => [e.size, e.same]), SIZES.map((n) => [n, true]), JSON.stringify(r.echo));
  assert.equal(r.echo.map((e) => e.kind), SIZES.map((_, i) => (i % 2 === 0 ? 'str' : 'bytes')));
  assert.is(r.close, 1000, 'the client saw a clean close');
  assert.is(r.upgrade.toLowerCase(), 'websocket');
}

/** Waits until the servers have reported `n` closed connections in all; returns them. */
const closed = (n: number) => waitFor(`${n} closed WebSocket connections`, () => {
  const all = servers.flatMap((s) => s.lines);
  return all.length >= n ? all : undefined;
});

test.before(async () => {
  if (!(await haveWebsockets())) return;
  ports = await freePorts(8);
  sites = await linkedPair(root, ports);
  servers.push(await startWsEcho(root, 'one', ports[3]), await startWsEcho(root, 'two', ports[4]));
  await applyDoc(sites.A, 'Connector', 'ws-1', { routingKey: 'ws', host: '127.0.0.1', port: ports[3], type: 'http1' });
  await applyDoc(sites.A, 'Connector', 'ws-2', { routingKey: 'ws', host: '127.0.0.1', port: ports[4], type: 'http1' });
  await applyDoc(sites.B, 'Listener', 'ws', { routingKey: 'ws', host: '127.0.0.1', port: ports[5], type: 'http1' });
  await applyDoc(sites.B, 'Listener', 'ws-req', { routingKey: 'ws', host: '127.0.0.1', port: ports[6], type: 'http1', balance: 'request' });
  await listenerReady(sites.B, 'ws');
  await listenerReady(sites.B, 'ws-req');
});

test.after(async () => {
  await stopAll();
  for (const s of servers) await s.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

test('observed http1 listener: every message echoed intact, clean close; the record shows the 101 and no fallback', async () => {
  if (!sites) { console.log('  SKIP: python3-websockets not installed; .ci/run installs it'); return; }
  await session(ports[5]);
  const [line] = await closed(1);
  assert.equal(line, { server: line.server, messages: SIZES.length, bytes: line.bytes, close: 1000 }, 'the server saw every message and a clean close');
  const rec = await waitFor('the flow record', async () => (await flows(sites.B, '--routing-key', 'ws', '--recent')).find((f) => f.requestCount === 1 && !f.active));
  assert.equal(rec.requests.map((q) => `${q.method} /${q.path} ${q.status}`), ['GET /chat 101']);
  assert.is(rec.httpError, '', 'an accepted upgrade is followed as opaque bytes, not a fallback');
  // The frames after the 101 passed through the flow: at least the binary messages each way (random
  // bytes; the text ones may shrink under permessage-deflate).
  const binary = SIZES.filter((_, i) => i % 2 === 1).reduce((s, n) => s + n, 0);
  assert.ok(rec.bytesToServer > binary && rec.bytesToClient > binary, `bytes ${rec.bytesToServer}/${rec.bytesToClient} of ${binary}`);
});

test('request-balanced http1 listener: each of 4 connections is pinned to one server whole; both servers take connections', async () => {
  if (!sites) return;
  const before = servers.flatMap((s) => s.lines).length;
  for (let i = 0; i < 4; i++) await session(ports[6]);
  const lines = (await closed(before + 4)).slice(before);
  // Sorted by arrival order across the two servers' outputs is not known, so each server's own lines are checked.
  const mine = servers.map((s) => s.lines.filter((l) => lines.includes(l)));
  for (const l of lines) assert.equal([l.messages, l.close], [SIZES.length, 1000], `one connection's messages all reached ${l.server}, closed cleanly`);
  assert.ok(mine[0].length >= 1 && mine[1].length >= 1, `connections spread over both: ${mine.map((m) => m.length)}`);
  const recs = await waitFor('4 request-mode records', async () => {
    const r = (await flows(sites.B, '--routing-key', 'ws', '--recent')).filter((f) => !f.active && f.requests.some((q) => q.status === 101 && q.target));
    return r.length >= 4 ? r : undefined;
  });
  for (const f of recs) assert.equal(f.requests.map((q) => `${q.method} /${q.path} ${q.status}`), ['GET /chat 101']);
});

test.run();
