// Issue 13, per-stream balancing of gRPC (`type: http2`, `balance: request`) through two sites on
// loopback: two @grpc/grpc-js servers are two connectors of one key at alpha, an http2 listener at
// beta, and ONE grpc-js client (one channel, one HTTP/2 connection). Unary calls spread over both
// servers in request mode and stay on one in connection mode; server-streaming and bidi calls carry
// every message in order with the right grpc-status and trailing metadata (OK and not); a server
// killed mid-run: later calls go to the other. Every reply names its server, and that is checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { svcnetOk, stopAll, tempDir, waitFor } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { linkedPair, flows, listenerReady as listenerReadyAt } from '../helpers/http-sites.js';
import { namedServer, namedClient, say, sayMany, tally, str, within, type NamedClient } from '../helpers/grpc-named.js';

const root = tempDir();
const A = path.join(root, 'a');
const B = path.join(root, 'b');
let ports: number[];
const servers = new Map<string, grpc.Server>();
/** calls each server answered, by name */
const calls: Record<string, number> = { s1: 0, s2: 0 };
const clients: grpc.Client[] = [];

function client(port: number): NamedClient {
  const c = namedClient(port);
  clients.push(c);
  return c;
}

const listenerReady = (name: string) => listenerReadyAt(B, name);

test.before(async () => {
  ports = await freePorts(8);
  await linkedPair(root, ports);
  servers.set('s1', await namedServer('s1', ports[3], calls));
  servers.set('s2', await namedServer('s2', ports[4], calls));
  await svcnetOk(['connector', 'create', 'rpc-1', String(ports[3]), '--routing-key', 'rpc', '--type', 'http2', '--dir', A]);
  await svcnetOk(['connector', 'create', 'rpc-2', String(ports[4]), '--routing-key', 'rpc', '--type', 'http2', '--dir', A]);
  await svcnetOk(['listener', 'create', 'rpc', String(ports[5]), '--routing-key', 'rpc', '--type', 'http2', '--balance', 'request', '--host', '127.0.0.1', '--dir', B]);
  await listenerReady('rpc');
});

test.after(async () => {
  for (const c of clients) c.close();
  await stopAll();
  for (const s of servers.values()) s.forceShutdown();
  fs.rmSync(root, { recursive: true, force: true });
});

test('request mode: one client connection\'s 40 unary calls spread over both servers; one flow record lists them', async () => {
  const c = client(ports[5]);
  await waitFor('a first call through the listener', async () => (await say(c, 'hello'))[0] === 0 || undefined, 20_000);
  const before = { ...calls };
  const who = await sayMany(c, 40);
  const t = tally(who);
  assert.ok((t.s1 ?? 0) >= 10 && (t.s2 ?? 0) >= 10, `both servers answer: ${JSON.stringify(t)}`);
  assert.is(calls.s1 - before.s1 + calls.s2 - before.s2, 40, 'each call reached exactly one server once');
  // A non-OK status with its trailing metadata.
  const [code, details, why] = await say(c, 'fail');
  assert.is(code, grpc.status.NOT_FOUND);
  assert.match(details, /^s[12] has no such thing$/);
  assert.is(why, `${details.slice(0, 2)}-missing`);
  // One client connection, one flow record with every call, each naming the lane that answered.
  const rec = await waitFor('the client connection\'s record', async () => (await flows(B, '--routing-key', 'rpc')).find((f) => f.role === 'listener' && (f.requestCount ?? 0) >= 42), 10_000);
  assert.is((await flows(B, '--routing-key', 'rpc')).filter((f) => f.role === 'listener').length, 1, 'one client connection');
  const last = rec.requests.at(-1)!;
  assert.equal([last.method, last.path, last.status, last.grpcStatus], ['POST', 'svcnet.test.Named', 200, grpc.status.NOT_FOUND]);
  assert.ok(rec.requests.every((q) => /^alpha#[0-3]$/.test(q.target ?? '')), JSON.stringify(rec.requests.map((q) => q.target)));
  // Bytes each way (a trailers-only NOT_FOUND has no DATA back).
  assert.ok(rec.requests.every((q) => q.bytesToServer > 0 && (q.grpcStatus !== 0 || q.bytesToClient > 0)), JSON.stringify(rec.requests.map((q) => [q.bytesToServer, q.bytesToClient])));
});

test('request mode: a server-streaming call carries all 200 messages in order and its trailing metadata', async () => {
  const c = client(ports[5]);
  const got: string[] = [];
  const status = await new Promise<grpc.StatusObject>((resolve) => {
    const call = c.Count(str('200'), within());
    call.on('data', (m: Buffer) => got.push(String(m)));
    call.on('status', resolve);
    call.on('error', () => {});
  });
  assert.is(status.code, grpc.status.OK, status.details);
  assert.is(status.metadata.get('x-count')[0], '200');
  assert.is(got.length, 200);
  const server = got[0].slice(0, 2);
  assert.ok(got.every((m, i) => m === `${server}:${i}:${'x'.repeat(1000)}`), 'every message, in order, from one server');
});

test('request mode: bidi calls echo every message in order; one ends OK, one ABORTED with trailing metadata', async () => {
  const c = client(ports[5]);
  const bidi = (msgs: string[]) => new Promise<{ got: string[]; status: grpc.StatusObject }>((resolve) => {
    const got: string[] = [];
    const call = c.Echo(within());
    call.on('data', (m: Buffer) => {
      got.push(String(m));
      // Each message is sent after the echo of the one before: a conversation, not one burst.
      if (got.length < msgs.length) call.write(str(msgs[got.length])); else call.end();
    });
    call.on('status', (status) => resolve({ got, status }));
    call.on('error', () => {});
    call.write(str(msgs[0]));
  });
  const msgs = [...Array(30).keys()].map((i) => `e${i}`);
  const ok = await bidi(msgs);
  assert.is(ok.status.code, grpc.status.OK, ok.status.details);
  const server = ok.got[0].slice(0, 2);
  assert.equal(ok.got, msgs.map((m) => `${server}:${m}`));
  assert.is(ok.status.metadata.get('x-server')[0], server);
  const bad = await bidi(['a', 'abort']);
  assert.is(bad.status.code, grpc.status.ABORTED);
  assert.is(bad.status.details, 'asked to abort');
  assert.match(String(bad.status.metadata.get('x-why')[0]), /^s[12]-abort$/);
  assert.is(bad.got.length, 1);
});

test('connection mode (the default): all 40 calls of one client connection land on one server', async () => {
  await svcnetOk(['listener', 'update', 'rpc', '--balance', 'connection', '--dir', B]);
  assert.is(JSON.parse(await svcnetOk(['listener', 'status', 'rpc', '-o', 'json', '--dir', B]))[0].balance, 'connection');
  // The update reaches the engine on its own time: clients until one sees connection mode.
  await waitFor('connection mode in place', async () => {
    const c = client(ports[5]);
    const t = tally(await sayMany(c, 6).catch(() => ['s1', 's2']));
    c.close();
    return Object.keys(t).length === 1 || undefined;
  }, 20_000);
  const c = client(ports[5]);
  const t = tally(await sayMany(c, 40));
  assert.is(Object.keys(t).length, 1, `one server answers all: ${JSON.stringify(t)}`);
  c.close();
});

test('request mode: a server killed mid-run: later calls of the same client connection go to the other', async () => {
  await svcnetOk(['listener', 'update', 'rpc', '--balance', 'request', '--dir', B]);
  const c = client(ports[5]);
  await waitFor('request mode back', async () => Object.keys(tally(await sayMany(c, 4).catch(() => ['s1']))).length === 2 || undefined, 20_000);
  const who = await sayMany(c, 40, async (i) => {
    if (i !== 10) return;
    servers.get('s2')!.forceShutdown();
    servers.delete('s2');
  });
  const first = tally(who.slice(0, 10));
  assert.ok((first.s1 ?? 0) >= 3 && (first.s2 ?? 0) >= 3, `spread before the kill: ${JSON.stringify(first)}`);
  assert.equal(tally(who.slice(10)), { s1: 30 }, 'after the kill every call is answered by s1');
});

test.run();
