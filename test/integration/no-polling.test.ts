// A running site reads its state directory only when the control API tells it something changed
// (issue 11 #2): idle, under strace, neither site touches resources/, pki/, links/ or site.json;
// and a policy change, an inbound link deleted and a listener applied or deleted through the CLI
// take effect within a second or two (live flows reset, the listener port opens and closes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus, siteLog, logCount } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { echoServer } from '../helpers/tcp.js';

const root = tempDir();
const A = path.join(root, 'alpha');
const B = path.join(root, 'beta');
/** How long after the CLI returned a change must have taken effect (a shared 2-core machine). */
const EFFECT_MS = 2000;
let ports: number[];
let echo: net.Server;
const sites: ChildProcess[] = [];
const tracers: ChildProcess[] = [];

const ready = (dir: string) => runtimeStatus(dir)?.links.some((l) => l.status === 'ready');

test.before(async () => {
  if (spawnSync('strace', ['-V']).status !== 0) throw new Error('this test needs strace (apt-get install strace)');
  ports = await freePorts(5);
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'beta', '--dir', B]);
  sites.push(runSite(A), runSite(B));
  echo = await echoServer(ports[2]);
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B));
  await svcnetOk(['connector', 'create', 'echo', String(ports[2]), '--routing-key', 'echo', '--dir', A]);
  await svcnetOk(['listener', 'create', 'echo', String(ports[3]), '--routing-key', 'echo', '--host', '127.0.0.1', '--dir', B]);
  await join();
});

test.after(async () => {
  for (const t of tracers) if (t.exitCode === null) t.kill('SIGTERM');
  await stopAll();
  echo.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Beta redeems a fresh token of alpha and the echo service works through the link. */
async function join(): Promise<void> {
  const token = path.join(root, `t-${Date.now()}.yaml`);
  await svcnetOk(['token', 'issue', token, '--dir', A]);
  await svcnetOk(['token', 'redeem', token, '--dir', B, '--name', `to-alpha-${Date.now()}`]);
  await waitFor('link ready', () => ready(A) && ready(B), 20_000);
  await waitFor('echo routed through the link', () => runtimeStatus(B)?.listeners.find((l) => l.name === 'echo' && l.status === 'ready'), 20_000);
}

/** A flow through beta's listener to alpha's connector, proven live by one echo; `ended` resolves with the time it was closed or reset. */
async function liveFlow(): Promise<{ socket: net.Socket; ended: Promise<number> }> {
  const socket = net.connect(ports[3], '127.0.0.1');
  const ended = new Promise<number>((resolve) => { socket.on('close', () => resolve(Date.now())); socket.on('error', () => {}); });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no echo through the link')), 10_000);
    socket.once('data', () => { clearTimeout(t); resolve(); });
    socket.write('ping');
  });
  return { socket, ended };
}

/** Resolves with the time the flow ended, or fails if it is still open EFFECT_MS after `since`. */
async function endedWithin(flow: { socket: net.Socket; ended: Promise<number> }, since: number, what: string): Promise<number> {
  const end = await Promise.race([flow.ended, new Promise<number>((r) => setTimeout(() => r(-1), since + EFFECT_MS - Date.now()))]);
  if (end < 0) { flow.socket.destroy(); assert.unreachable(`${what}: the live flow was still open ${EFFECT_MS} ms after the CLI returned`); }
  return end - since;
}

/** Whether something accepts TCP connections on `port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Every path syscall of process `pid` (all threads) for `ms` while it is left alone, as strace lines. */
async function traceFiles(pid: number, ms: number): Promise<string[]> {
  const out = path.join(root, `trace-${pid}.txt`);
  const t = spawn('strace', ['-f', '-qq', '-p', String(pid), '-e', 'trace=%file,getdents64', '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  tracers.push(t);
  let err = '';
  t.stderr!.on('data', (d) => { err += d; });
  await new Promise((r) => setTimeout(r, 500)); // strace says nothing once attached (-qq)
  if (t.exitCode !== null) throw new Error(`strace could not attach: ${err}`);
  await new Promise((r) => setTimeout(r, ms));
  const exited = new Promise((r) => t.once('exit', r));
  t.kill('SIGTERM'); // detaches; the site runs on
  await exited;
  return fs.readFileSync(out, 'utf8').split('\n').filter(Boolean);
}

test('issue 11 #2: an idle running site re-reads nothing on a timer: 2 s of strace show no access to resources/, pki/, links/ or site.json', async () => {
  const traces = await Promise.all(sites.map((s) => traceFiles(s.pid!, 2000)));
  for (const [i, dir] of [A, B].entries()) {
    const lines = traces[i];
    // The tracer sees the site's file calls (threads included): the status writer renames run/status.json every 500 ms.
    assert.ok(lines.filter((l) => l.includes(`${dir}/run/`)).length >= 2, `${path.basename(dir)}: strace saw the status writes:\n${lines.slice(0, 10).join('\n')}`);
    const state = lines.filter((l) => /\/(resources|pki|links|site\.json)\b/.test(l.split(dir)[1] ?? ''));
    assert.equal(state, [], `${path.basename(dir)} read its state directory while idle`);
  }
});

test('issue 11 #2: `site policy` through the API: the live inbound link of a peer the policy now refuses closes at once', async () => {
  const flow = await liveFlow();
  const closedBefore = logCount(A, /inbound link closed: its certificate is no longer accepted/);
  await svcnetOk(['site', 'policy', '--dir', A, '--allow-peers', 'gamma']).then((out) => assert.match(out, /policy saved; the running site applies it now/));
  const ms = await endedWithin(flow, Date.now(), 'policy');
  assert.ok(logCount(A, /inbound link closed: its certificate is no longer accepted/) > closedBefore, siteLog(A).slice(-2000));
  assert.match(siteLog(A), /SVCNET_ERR_POLICY_DENIED.*inbound link closed|inbound link closed.*SVCNET_ERR_POLICY_DENIED/);
  console.log(`  policy: live flow reset ${Math.max(0, ms)} ms after the CLI returned`);
  await svcnetOk(['site', 'policy', '--dir', A, '--allow-peers', 'any']);
  await waitFor('beta linked again', () => ready(A) && ready(B), 20_000);
});

test('issue 11 #2: `link delete PEER` (inbound) through the API: certificates revoked, the live link closes at once, the dialer is told and holds', async () => {
  await waitFor('echo routed through the link', () => runtimeStatus(B)?.listeners.find((l) => l.name === 'echo' && l.status === 'ready'), 20_000);
  const flow = await liveFlow();
  const out = await svcnetOk(['link', 'delete', 'beta', '--dir', A]);
  assert.match(out, /inbound link from site beta deleted: its certificates are revoked; the running site applies it now/);
  const ms = await endedWithin(flow, Date.now(), 'revocation');
  assert.match(siteLog(A), /SVCNET_ERR_CERT_REVOKED.*inbound link closed|inbound link closed.*SVCNET_ERR_CERT_REVOKED/);
  // Beta is told why (GOAWAY SVCNET_ERR_CERT_REVOKED) and holds instead of redialing (issue 15).
  await waitFor('beta holds its revoked link', () => runtimeStatus(B)?.links.some((l) => l.status === 'revoked'), 5000);
  console.log(`  revocation: live flow reset ${Math.max(0, ms)} ms after the CLI returned`);
});

test('issue 11 #2: a listener created and deleted through the CLI opens and closes its port at once', async () => {
  const port = ports[4];
  assert.not.ok(await listening(port));
  await svcnetOk(['listener', 'create', 'extra', String(port), '--routing-key', 'echo', '--host', '127.0.0.1', '--dir', A]);
  const t0 = Date.now();
  await waitFor('listener port open', () => listening(port), EFFECT_MS, 20);
  const opened = Date.now() - t0;
  await svcnetOk(['listener', 'delete', 'extra', '--dir', A]);
  const t1 = Date.now();
  await waitFor('listener port closed', async () => !(await listening(port)), EFFECT_MS, 20);
  console.log(`  listener: port open ${opened} ms, closed ${Date.now() - t1} ms after the CLI returned`);
});

test.run();
