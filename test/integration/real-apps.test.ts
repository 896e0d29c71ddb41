// Unmodified applications through svcnet (a listener at beta, the real server behind a connector at
// alpha): redis with redis-cli and redis-benchmark, PostgreSQL with psql and pgbench, nginx with curl
// (HTTP/1.1) and h2load (HTTP/2), and a gRPC service with unary and streaming calls.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { which, startRedis, startNginx, startPostgres, type App } from '../helpers/apps.js';

const root = tempDir();
const A = path.join(root, 'a');
const B = path.join(root, 'b');
let ports: number[];
const apps: App[] = [];
const missing = ['redis-server', 'redis-cli', 'redis-benchmark', 'nginx', 'curl', 'h2load', 'psql', 'pgbench', 'initdb', 'pg_ctl', 'runuser']
  .filter((p) => !which(p));
const isRoot = process.getuid?.() === 0;

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Connector at alpha for `server`, listener at beta on `listen`; resolves when the port is open. */
async function expose(name: string, server: number, listen: number): Promise<void> {
  await svcnetOk(['connector', 'create', name, String(server), '--routing-key', name, '--dir', A]);
  await svcnetOk(['listener', 'create', name, String(listen), '--routing-key', name, '--host', '127.0.0.1', '--dir', B]);
  await waitFor(`listener ${name}`, () => runtimeStatus(B)?.listeners.find((l) => l.name === name && l.status === 'ready'));
}

if (missing.length > 0 || !isRoot) {
  test('real applications (SKIPPED)', () => {
    console.log(`  SKIP real-apps: ${!isRoot ? 'needs root (PostgreSQL runs as the postgres user); ' : ''}missing ${missing.join(', ') || 'nothing'}; .ci/run installs them`);
  });
} else {
  test.before(async () => {
    ports = await freePorts(20);
    await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
    await svcnetOk(['site', 'create', 'beta', '--dir', B]);
    runSite(A);
    runSite(B);
    await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B));
    await svcnetOk(['token', 'issue', path.join(root, 't.yaml'), '--dir', A]);
    await svcnetOk(['token', 'redeem', path.join(root, 't.yaml'), '--dir', B]);
    await waitFor('link ready', () => runtimeStatus(B)?.links.some((l) => l.status === 'ready'));
  });

  test.after(async () => {
    await stopAll();
    for (const a of apps.splice(0)) await a.stop().catch(() => {});
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('redis: redis-cli set/get and redis-benchmark through svcnet', async () => {
    const dir = path.join(root, 'redis');
    fs.mkdirSync(dir);
    apps.push(startRedis(ports[2], dir));
    await waitFor('redis up', () => run('redis-cli', ['-p', String(ports[2]), 'ping']).then((o) => o.trim() === 'PONG'));
    await expose('redis', ports[2], ports[3]);
    const value = randomBytes(4096).toString('hex');
    assert.is((await run('redis-cli', ['-p', String(ports[3]), 'set', 'svcnet-key', value])).trim(), 'OK');
    assert.is((await run('redis-cli', ['-p', String(ports[3]), 'get', 'svcnet-key'])).trim(), value);
    const bench = await run('redis-benchmark', ['-p', String(ports[3]), '-n', '5000', '-c', '16', '-t', 'set,get', '-q']);
    assert.match(bench, /SET: [\d.]+ requests per second/);
    assert.match(bench, /GET: [\d.]+ requests per second/);
  });

  test('postgres: psql round trip and a short pgbench through svcnet', async () => {
    apps.push(startPostgres(ports[4]));
    await expose('postgres', ports[4], ports[5]);
    const psql = (sql: string) => run('psql', ['-h', '127.0.0.1', '-p', String(ports[5]), '-U', 'postgres', '-At', '-c', sql]);
    await psql('CREATE TABLE t (id int primary key, body text)');
    await psql("INSERT INTO t SELECT g, repeat('x', 1000) FROM generate_series(1, 5000) g");
    assert.is((await psql('SELECT count(*), sum(length(body)) FROM t')).trim(), '5000|5000000');
    await run('pgbench', ['-h', '127.0.0.1', '-p', String(ports[5]), '-U', 'postgres', '-i', '-s', '1', 'postgres']);
    const out = await run('pgbench', ['-h', '127.0.0.1', '-p', String(ports[5]), '-U', 'postgres', '-c', '4', '-t', '100', 'postgres']);
    assert.match(out, /number of transactions actually processed: 400\/400/);
  });

  test('nginx: curl over HTTP/1.1 (10 MiB file, hash checked) and h2load over HTTP/2', async () => {
    const dir = path.join(root, 'nginx');
    const www = path.join(dir, 'www');
    fs.mkdirSync(www, { recursive: true });
    const body = randomBytes(10 << 20);
    fs.writeFileSync(path.join(www, 'big.bin'), body);
    fs.writeFileSync(path.join(www, 'small.txt'), 'hello over h2\n');
    apps.push(startNginx(ports[6], ports[7], dir, www));
    await waitFor('nginx up', () => run('curl', ['-sf', `http://127.0.0.1:${ports[6]}/small.txt`]).then(() => true));
    await expose('web', ports[6], ports[8]);
    await expose('web-h2', ports[7], ports[9]);
    const file = path.join(dir, 'got.bin');
    await run('curl', ['-sf', '-o', file, `http://127.0.0.1:${ports[8]}/big.bin`]);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.is(sha(fs.readFileSync(file)), sha(body));
    const h2 = await run('h2load', ['-n', '2000', '-c', '4', '-m', '8', `http://127.0.0.1:${ports[9]}/small.txt`]);
    assert.match(h2, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored/);
    assert.match(h2, /Application protocol: h2c/);
  });

  test('gRPC: unary calls and a server stream through svcnet', async () => {
    const protoFile = path.join(root, 'echo.proto');
    fs.writeFileSync(protoFile, 'syntax = "proto3"; package demo; service Echo { rpc Say(Msg) returns (Msg); rpc Count(Msg) returns (stream Msg); } message Msg { string text = 1; int32 n = 2; }');
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile)) as unknown as { demo: { Echo: grpc.ServiceClientConstructor } };
    const server = new grpc.Server();
    server.addService(pkg.demo.Echo.service, {
      Say: (call: grpc.ServerUnaryCall<{ text: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, { text: `echo: ${call.request.text}` }),
      Count: (call: grpc.ServerWritableStream<{ n: number }, unknown>) => {
        for (let i = 0; i < call.request.n; i++) call.write({ text: 'tick', n: i });
        call.end();
      },
    });
    await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${ports[10]}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
    apps.push({ name: 'grpc', stop: async () => { server.forceShutdown(); } });
    await expose('grpc', ports[10], ports[11]);
    const client = new pkg.demo.Echo(`127.0.0.1:${ports[11]}`, grpc.credentials.createInsecure());
    const say = (text: string) => new Promise<string>((resolve, reject) => client.Say({ text }, (e: Error | null, r: { text: string }) => (e ? reject(e) : resolve(r.text))));
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => say(`m${i}`)));
    assert.equal(replies, Array.from({ length: 100 }, (_, i) => `echo: m${i}`));
    const seen: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = client.Count({ n: 5000 });
      s.on('data', (m: { n: number }) => seen.push(m.n));
      s.on('end', resolve);
      s.on('error', reject);
    });
    assert.is(seen.length, 5000);
    assert.ok(seen.every((n, i) => n === i));
    client.close();
  });
}

test.run();
