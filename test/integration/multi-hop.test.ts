// A chain of three sites on loopback (C -> B -> A, C and A not linked): flows cross B, which relays
// frames link to link. Bytes, half-close and reset travel end to end; B's memory stays bounded by
// per-hop credit when the far server stops reading; killing B resets flows and closes the listener.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { svcnetOk, runSite, kill, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { hashServer, echoServer, sendAndHash, exchange } from '../helpers/tcp.js';

const root = tempDir();
const [A, B, C] = ['a', 'b', 'c'].map((n) => path.join(root, n));
let ports: number[];
let siteB: ChildProcess;
const servers: net.Server[] = [];
const MiB = 1 << 20;

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

test.before(async () => {
  ports = await freePorts(16);
  await svcnetOk(['site', 'create', 'site-a', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'site-b', '--dir', B, '--link-access', '--link-port', String(ports[2]), '--grant-port', String(ports[3])]);
  await svcnetOk(['site', 'create', 'site-c', '--dir', C]);
  runSite(A);
  siteB = runSite(B);
  runSite(C);
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B) && runtimeStatus(C));
  await svcnetOk(['token', 'issue', path.join(root, 'a.token'), '--dir', A]);
  await svcnetOk(['token', 'redeem', path.join(root, 'a.token'), '--dir', B]);
  await svcnetOk(['token', 'issue', path.join(root, 'b.token'), '--dir', B]);
  await svcnetOk(['token', 'redeem', path.join(root, 'b.token'), '--dir', C]);
  await waitFor('C sees A two hops away', () => runtimeStatus(C)?.network.sites.find((s) => s.name === 'site-a' && s.cost === 2));
});

test.after(async () => {
  await stopAll();
  for (const s of servers) s.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function expose(name: string, serverPort: number, listenPort: number): Promise<void> {
  await svcnetOk(['connector', 'create', name, String(serverPort), '--routing-key', name, '--dir', A]);
  await svcnetOk(['listener', 'create', name, String(listenPort), '--routing-key', name, '--host', '127.0.0.1', '--dir', C]);
  await waitFor(`listener ${name} ready`, () => runtimeStatus(C)?.listeners.find((l) => l.name === name && l.status === 'ready'));
}

test('20 MiB and 20 concurrent flows cross two hops byte-exact', async () => {
  servers.push(await hashServer(ports[4]));
  await expose('hash', ports[4], ports[5]);
  const big = await sendAndHash(ports[5], 20 * MiB);
  assert.is(big.reply, big.expected);
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => sendAndHash(ports[5], 100_000 + i * 977)));
  for (const r of many) assert.is(r.reply, r.expected);
});

test('half-close travels end to end: the reply arrives after the client shut its write side', async () => {
  servers.push(await echoServer(ports[6]));
  await expose('echo', ports[6], ports[7]);
  const msg = Buffer.alloc(2 * MiB + 3, 'q');
  const got = await exchange(ports[7], msg);
  assert.ok(got.equals(msg));
});

test('a reset by the server reaches the client as an error, not as a clean end', async () => {
  const rst = net.createServer((s) => { s.once('data', () => s.resetAndDestroy()); });
  await new Promise<void>((r) => rst.listen(ports[8], '127.0.0.1', r));
  servers.push(rst);
  await expose('rst', ports[8], ports[9]);
  const outcome = await new Promise<string>((resolve) => {
    const c = net.connect(ports[9], '127.0.0.1', () => c.write('hi'));
    c.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    c.on('end', () => resolve('clean end'));
  });
  assert.is(outcome, 'error ECONNRESET');
});

test('the relay site buffers at most a few windows when the far server stops reading', async () => {
  let stalled: net.Socket | undefined;
  const slow = net.createServer((s) => { s.pause(); stalled = s; });
  await new Promise<void>((r) => slow.listen(ports[10], '127.0.0.1', r));
  servers.push(slow);
  await expose('slow', ports[10], ports[11]);
  const before = rssKiB(siteB.pid!);
  const c = net.connect(ports[11], '127.0.0.1');
  const chunk = Buffer.alloc(MiB, 1);
  let written = 0;
  // Offer 256 MiB; the client's own socket stops accepting once credit is exhausted along the path.
  const deadline = Date.now() + 4000;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (written < 256 && Date.now() < deadline) {
        written++;
        if (!c.write(chunk)) { c.once('drain', pump); setTimeout(resolve, 1500); return; }
      }
      resolve();
    };
    c.on('connect', pump);
  });
  await new Promise((r) => setTimeout(r, 1500));
  const grown = (rssKiB(siteB.pid!) - before) / 1024;
  assert.ok(stalled, 'the flow reached the server');
  assert.ok(grown < 48, `relay RSS grew ${grown.toFixed(1)} MiB while the server read nothing`);
  c.destroy();
});

test('killing the middle site resets open flows and closes the listener until it returns', async () => {
  const open = net.connect({ port: ports[7], host: '127.0.0.1', allowHalfOpen: true });
  await new Promise((r) => open.once('connect', r));
  open.write('ping');
  await new Promise((r) => open.once('data', r));
  const ended = new Promise<string>((resolve) => {
    open.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    open.on('end', () => resolve('clean end'));
  });
  const t0 = Date.now();
  await kill(siteB, 'SIGKILL');
  assert.is(await ended, 'error ECONNRESET');
  await waitFor('listener closed (no route)', () => runtimeStatus(C)?.listeners.find((l) => l.name === 'echo' && l.status === 'no-route'), 5000);
  const withdrawnMs = Date.now() - t0;
  assert.ok(withdrawnMs < 2500, `routes withdrawn after ${withdrawnMs} ms`);
  siteB = runSite(B);
  await waitFor('listener back', () => runtimeStatus(C)?.listeners.find((l) => l.name === 'echo' && l.status === 'ready'), 20_000);
  const got = await exchange(ports[7], 'back again');
  assert.is(got.toString(), 'back again');
});

test.run();
