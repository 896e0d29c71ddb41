// Issue 13 through real sites: an http2 listener in front of Node's h2c server (http2 module) and of a
// gRPC server (@grpc/grpc-js): the client's streams on one connection appear in the flow record with
// method, path's first segment, status (and grpc-status for gRPC calls) and in /metrics; garbage on the
// listener is carried as a direct connection would carry it, and counted as a fallback.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { svcnetOk, stopAll, tempDir, waitFor } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { linkedPair, flows, listenerReady as listenerReadyAt } from '../helpers/http-sites.js';
import { exchange } from '../helpers/tcp.js';

const root = tempDir();
const A = path.join(root, 'a');
const B = path.join(root, 'b');
let ports: number[];
let h2server: http2.Http2Server | undefined;
let grpcServer: grpc.Server | undefined;

const metrics = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const listenerReady = (name: string) => listenerReadyAt(B, name);

test.before(async () => {
  ports = await freePorts(10);
  await linkedPair(root, ports);
});

test.after(async () => {
  await stopAll();
  h2server?.close();
  grpcServer?.forceShutdown();
  fs.rmSync(root, { recursive: true, force: true });
});

/** One request on `client`: resolves with the status and the body's length. */
function request(client: http2.ClientHttp2Session, method: string, p: string, body?: Buffer): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    const st = client.request({ ':method': method, ':path': p }, { endStream: !body });
    let status = 0, n = 0;
    st.on('response', (h) => { status = Number(h[':status']); });
    st.on('data', (b: Buffer) => { n += b.length; });
    st.on('end', () => resolve([status, n]));
    st.on('error', reject);
    if (body) st.end(body);
  });
}

test('issue 13: h2c streams through an http2 listener (Node http2 client and server) are listed in the flow record and counted', async () => {
  h2server = http2.createServer();
  h2server.on('stream', (stream, headers) => {
    let got = 0;
    stream.on('data', (b: Buffer) => { got += b.length; });
    stream.on('end', () => {
      const p = String(headers[':path']);
      if (p.startsWith('/missing')) { stream.respond({ ':status': 404 }); stream.end(); return; }
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end(p.startsWith('/big') ? Buffer.alloc(200_000, 7) : `got ${got}`);
    });
  });
  await new Promise<void>((r) => h2server!.listen(ports[3], '127.0.0.1', r));
  await svcnetOk(['connector', 'create', 'h2', String(ports[3]), '--type', 'http2', '--dir', A]);
  await svcnetOk(['listener', 'create', 'h2', String(ports[4]), '--type', 'http2', '--host', '127.0.0.1', '--dir', B]);
  await listenerReady('h2');
  const client = await waitFor('an h2c connection through the listener', () => new Promise<http2.ClientHttp2Session | undefined>((resolve) => {
    const c = http2.connect(`http://127.0.0.1:${ports[4]}`);
    c.once('connect', () => resolve(c));
    c.once('error', () => resolve(undefined));
  }), 10_000);
  // Concurrent streams on one connection, a 300 kB upload and a 200 kB download among them.
  const got = await Promise.all([
    request(client, 'GET', '/index.html'), request(client, 'GET', '/api/v1/items?x=1'),
    request(client, 'POST', '/upload', Buffer.alloc(300_000, 1)), request(client, 'GET', '/missing/page'), request(client, 'GET', '/big/file'),
  ]);
  assert.equal(got.map(([s]) => s), [200, 200, 200, 404, 200]);
  assert.is(got[4][1], 200_000);
  await new Promise<void>((r) => client.close(() => r()));
  const rec = await waitFor('the flow record', async () => (await flows(B, '--routing-key', 'h2', '--recent')).find((f) => f.requestCount === 5), 10_000);
  assert.equal(rec.requests.map((q) => `${q.method} /${q.path} ${q.status}`).sort(), ['GET /api 200', 'GET /big 200', 'GET /index.html 200', 'GET /missing 404', 'POST /upload 200']);
  assert.is(rec.httpError, '');
  for (const q of rec.requests) {
    assert.ok(q.bytesToServer > 0 && q.bytesToClient > 0 && q.durationMs >= 0);
    assert.is(q.grpcStatus, undefined, 'no grpc-status on plain HTTP/2');
  }
  const up = rec.requests.find((q) => q.path === 'upload')!, big = rec.requests.find((q) => q.path === 'big')!;
  assert.ok(up.bytesToServer > 300_000 && up.bytesToServer < 310_000, `upload counted: ${up.bytesToServer}`);
  assert.ok(big.bytesToClient > 200_000 && big.bytesToClient < 210_000, `download counted: ${big.bytesToClient}`);
  // Connection frames (preface, SETTINGS, WINDOW_UPDATE, PING, GOAWAY) are nobody's: the streams account for at most the flow's bytes.
  assert.ok(rec.requests.reduce((s, q) => s + q.bytesToServer, 0) <= rec.bytesToServer);
  assert.ok(rec.requests.reduce((s, q) => s + q.bytesToClient, 0) <= rec.bytesToClient);
  const text = await metrics(ports[2]);
  assert.match(text, /^svcnet_http_requests_total\{routing_key="h2",method="GET",status_class="2xx"\} 3$/m);
  assert.match(text, /^svcnet_http_requests_total\{routing_key="h2",method="GET",status_class="4xx"\} 1$/m);
  assert.match(text, /^svcnet_http_requests_total\{routing_key="h2",method="POST",status_class="2xx"\} 1$/m);
});

test('issue 13: gRPC unary calls (@grpc/grpc-js) through an http2 listener show their grpc-status', async () => {
  const ident = (b: Buffer): Buffer => b;
  const def: grpc.ServiceDefinition = {
    Say: { path: '/svcnet.test.Echo/Say', requestStream: false, responseStream: false, requestSerialize: ident, requestDeserialize: ident, responseSerialize: ident, responseDeserialize: ident, originalName: 'say' },
  };
  grpcServer = new grpc.Server();
  grpcServer.addService(def, {
    Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => (String(call.request) === 'fail' ? cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' }) : cb(null, call.request)),
  });
  await new Promise<void>((resolve, reject) => grpcServer!.bindAsync(`127.0.0.1:${ports[5]}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  await svcnetOk(['connector', 'create', 'rpc', String(ports[5]), '--type', 'http2', '--dir', A]);
  await svcnetOk(['listener', 'create', 'rpc', String(ports[6]), '--type', 'http2', '--host', '127.0.0.1', '--dir', B]);
  await listenerReady('rpc');
  const Client = grpc.makeGenericClientConstructor(def, 'Echo');
  const client = new Client(`127.0.0.1:${ports[6]}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Say: (req: Buffer, cb: (e: grpc.ServiceError | null, r?: Buffer) => void) => void };
  const call = (msg: string) => new Promise<[number, string]>((resolve) => client.Say(Buffer.from(msg), (e, r) => resolve([e ? e.code : 0, String(r ?? '')])));
  assert.equal(await waitFor('a first call through the listener', async () => { const r = await call('hello'); return r[0] === 0 ? r : undefined; }, 15_000), [0, 'hello']);
  assert.equal(await call('fail'), [grpc.status.NOT_FOUND, '']);
  const rec = await waitFor('the gRPC flow record', async () => (await flows(B, '--routing-key', 'rpc')).find((f) => (f.requestCount ?? 0) >= 2), 10_000);
  const last = rec.requests.slice(-2);
  assert.equal(last.map((q) => [q.method, q.path, q.status, q.grpcStatus]), [['POST', 'svcnet.test.Echo', 200, 0], ['POST', 'svcnet.test.Echo', 200, grpc.status.NOT_FOUND]]);
  client.close();
});

test('issue 13: garbage on an http2 listener is carried unchanged and counted as an observer fallback', async () => {
  const { echoServer } = await import('../helpers/tcp.js');
  const echo = await echoServer(ports[7]);
  await svcnetOk(['connector', 'create', 'raw', String(ports[7]), '--dir', A]);
  await svcnetOk(['listener', 'create', 'raw', String(ports[8]), '--type', 'http2', '--host', '127.0.0.1', '--dir', B]);
  await listenerReady('raw');
  const msg = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const back = await waitFor('echo through the listener', () => exchange(ports[8], msg).catch(() => undefined), 10_000);
  assert.is(Buffer.compare(back, msg), 0);
  const rec = await waitFor('the record', async () => (await flows(B, '--routing-key', 'raw', '--recent')).find((f) => f.httpError !== ''), 10_000);
  assert.is(rec.httpError, 'h2_bad_preface');
  assert.match(await metrics(ports[2]), /^svcnet_http_observer_fallbacks_total\{routing_key="raw",reason="h2_bad_preface"\} 1$/m);
  echo.close();
});

test.run();
