// Issue 13 through real sites: listener/connector `type` from the CLI (created, updated, shown in
// status, refused when unknown), bytes carried unchanged in every type, and an http1 listener in
// front of Debian's nginx: curl's keep-alive requests appear in the flow record with method, path
// and status and in /metrics; a garbage request gets what a direct connection gets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import type net from 'node:net';
import { svcnet, svcnetOk, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { linkedPair, flows, listenerReady as listenerReadyAt } from '../helpers/http-sites.js';
import { echoServer, exchange } from '../helpers/tcp.js';
import { startNginx, which, type App } from '../helpers/apps.js';

const root = tempDir();
const A = path.join(root, 'a');
const B = path.join(root, 'b');
let ports: number[];
const servers: net.Server[] = [];
let nginx: App | undefined;
const HAVE = which('nginx') !== undefined && which('curl') !== undefined;

const metrics = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const run = (cmd: string, args: string[]) => new Promise<string>((resolve, reject) => execFile(cmd, args, { timeout: 20_000 }, (e, out) => (e ? reject(e) : resolve(out))));
const listenerReady = (name: string) => listenerReadyAt(B, name);

test.before(async () => {
  ports = await freePorts(12);
  await linkedPair(root, ports);
});

test.after(async () => {
  await stopAll();
  await nginx?.stop();
  for (const s of servers) s.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 13: --type on create and update, shown in status; an unknown type is refused with one line, exit 2', async () => {
  servers.push(await echoServer(ports[3]));
  await svcnetOk(['connector', 'create', 'echo', String(ports[3]), '--type', 'http1', '--dir', A]);
  await svcnetOk(['listener', 'create', 'echo', String(ports[4]), '--host', '127.0.0.1', '--dir', B]);
  assert.is(JSON.parse(await svcnetOk(['listener', 'status', 'echo', '-o', 'json', '--dir', B]))[0].type, 'tcp', 'tcp by default');
  assert.is(JSON.parse(await svcnetOk(['connector', 'status', 'echo', '-o', 'json', '--dir', A]))[0].type, 'http1');
  assert.match(await svcnetOk(['listener', 'status', '--dir', B]), /TYPE[\s\S]*echo\s+echo\s+\d+\s+tcp/);
  for (const args of [['listener', 'create', 'bad', String(ports[5]), '--type', 'udp', '--dir', B], ['connector', 'update', 'echo', '--type', 'HTTP', '--dir', A]]) {
    const r = await svcnet(args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /--type "(udp|HTTP)" must be tcp, http1, http2/);
  }
});

test('issue 13: bytes pass unchanged through tcp, http1 and http2 listeners (binary, not HTTP at all)', async () => {
  await listenerReady('echo');
  const payload = randomBytes(3 << 20);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  for (const type of ['tcp', 'http1', 'http2']) {
    if (type !== 'tcp') {
      await svcnetOk(['listener', 'update', 'echo', '--type', type, '--dir', B]);
      await waitFor(`listener type ${type}`, async () => JSON.parse(await svcnetOk(['listener', 'status', 'echo', '-o', 'json', '--dir', B]))[0].type === type);
      await listenerReady('echo');
    }
    const http = Buffer.concat([Buffer.from('GET /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc'), payload]);
    for (const msg of [payload, http]) {
      const got = await waitFor(`echo through a ${type} listener`, () => exchange(ports[4], msg).catch(() => undefined), 10_000);
      assert.is(sha(got), sha(msg), `${type}: ${msg.length} bytes back unchanged`);
    }
  }
});

test('issue 13: curl keep-alive requests through an http1 listener to nginx are listed in the flow record and counted', async () => {
  if (!HAVE) { console.log('# nginx or curl missing: skipped'); return; }
  const dir = path.join(root, 'nginx');
  const www = path.join(dir, 'www');
  fs.mkdirSync(path.join(www, 'api'), { recursive: true });
  fs.writeFileSync(path.join(www, 'index.html'), '<h1>hi</h1>\n');
  fs.writeFileSync(path.join(www, 'api', 'items.json'), '[1,2,3]\n');
  nginx = startNginx(ports[6], ports[7], dir, www);
  await waitFor('nginx up', () => run('curl', ['-sf', `http://127.0.0.1:${ports[6]}/index.html`]).then(() => true).catch(() => false));
  await svcnetOk(['connector', 'create', 'web', String(ports[6]), '--type', 'http1', '--dir', A]);
  await svcnetOk(['listener', 'create', 'web', String(ports[8]), '--type', 'http1', '--host', '127.0.0.1', '--dir', B]);
  await listenerReady('web');
  const base = `http://127.0.0.1:${ports[8]}`;
  const opts = ['-s', '-w', '%{http_code} %{num_connects}\\n'];
  const gets = ['/index.html', '/api/items.json', '/missing/page'].flatMap((p) => ['-o', '/dev/null', `${base}${p}`]);
  const out = await run('curl', [...opts, ...gets, '--next', ...opts, '-o', '/dev/null', '-I', `${base}/`]);
  assert.equal(out.trim().split('\n'), ['200 1', '200 0', '404 0', '200 0'], 'four requests on one connection');
  const rec = await waitFor('the flow record', async () => (await flows(B, '--routing-key', 'web', '--recent')).find((f) => f.requestCount === 4));
  assert.equal(rec.requests.map((q) => `${q.method} /${q.path} ${q.status}`), ['GET /index.html 200', 'GET /api 200', 'GET /missing 404', 'HEAD / 200']);
  for (const q of rec.requests) assert.ok(q.bytesToServer > 0 && q.bytesToClient > 0 && q.durationMs >= 0);
  assert.is(rec.requests.reduce((s, q) => s + q.bytesToServer, 0), rec.bytesToServer, 'the requests account for every byte sent');
  assert.is(rec.requests.reduce((s, q) => s + q.bytesToClient, 0), rec.bytesToClient, 'the responses account for every byte received');
  const text = await metrics(ports[2]);
  assert.match(text, /^svcnet_http_requests_total\{routing_key="web",method="GET",status_class="2xx"\} 2$/m);
  assert.match(text, /^svcnet_http_requests_total\{routing_key="web",method="GET",status_class="4xx"\} 1$/m);
  assert.match(text, /^svcnet_http_requests_total\{routing_key="web",method="HEAD",status_class="2xx"\} 1$/m);
  assert.match(text, /^svcnet_http_request_duration_seconds_count\{routing_key="web",method="GET",status_class="2xx"\} 2$/m);
  assert.match(await svcnetOk(['flow', 'list', '--dir', B, '--routing-key', 'web']), /REQUESTS[\s\S]*\s4\s+closed/);
});

test('issue 13: an http1 listener on the connector\'s own site (a local splice) observes its requests too', async () => {
  if (!HAVE) { console.log('# nginx or curl missing: skipped'); return; }
  await svcnetOk(['listener', 'create', 'web-local', String(ports[9]), '-r', 'web', '--type', 'http1', '--host', '127.0.0.1', '--dir', A]);
  await waitFor('local listener ready', () => runtimeStatus(A)?.listeners.find((l) => l.name === 'web-local' && l.status === 'ready'), 20_000);
  const base = `http://127.0.0.1:${ports[9]}`;
  await run('curl', ['-s', '-o', '/dev/null', '-o', '/dev/null', `${base}/api/items.json`, `${base}/nothing`]);
  const rec = await waitFor('the local flow record', async () => (await flows(A, '--routing-key', 'web', '--recent')).find((f) => f.role === 'local' && f.requestCount === 2));
  assert.equal(rec.requests.map((q) => `${q.method} /${q.path} ${q.status}`), ['GET /api 200', 'GET /nothing 404']);
});

test('issue 13: a garbage request through the http1 listener gets what a direct connection gets; the fallback is counted', async () => {
  if (!HAVE) { console.log('# nginx or curl missing: skipped'); return; }
  const garbage = '\x16\x03\x01\x02\x00 this is no HTTP request\r\n\r\n';
  const strip = (b: Buffer) => b.toString('latin1').replace(/^Date: .*\r\n/m, '');
  const direct = await exchange(ports[6], garbage);
  const through = await exchange(ports[8], garbage);
  assert.match(strip(direct), /^HTTP\/1\.1 400 Bad Request/);
  assert.is(strip(through), strip(direct));
  const rec = await waitFor('the garbage flow record', async () => (await flows(B, '--routing-key', 'web', '--recent')).find((f) => f.httpError !== ''));
  assert.is(rec.httpError, 'malformed_request');
  assert.is(rec.requestCount, 0);
  assert.match(await metrics(ports[2]), /^svcnet_http_observer_fallbacks_total\{routing_key="web",reason="malformed_request"\} 1$/m);
});

test.run();
