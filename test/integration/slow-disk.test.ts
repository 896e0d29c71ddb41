// A slow disk must not look like a dead site. strace injects a 1.3 s delay into every fsync of both
// site processes while certificates (20 s lifetimes) renew and the API writes resources. Links are
// declared dead after 1.2 s of silence, so any fsync on the event loop would drop them (it did
// before state writes moved to the thread pool); here the link stays up and a flow spanning the
// renewals arrives intact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus, siteLog, logCount } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { hashServer, pacedFlow } from '../helpers/tcp.js';

const ENV = { SVCNET_LEAF_LIFETIME: '20s' };
const FSYNC_DELAY_US = 1_300_000;
const root = tempDir();
const A = path.join(root, 'a');
const B = path.join(root, 'b');
let ports: number[];
let server: net.Server;
const tracers: ChildProcess[] = [];
const sites: ChildProcess[] = [];

const ok = (args: string[]) => svcnetOk(args, ENV);
const ready = (dir: string) => runtimeStatus(dir)?.links.some((l) => l.status === 'ready');
const security = (dir: string) => (runtimeStatus(dir) as unknown as { security: { linkRenewals: number; serverRenewals: number } }).security;

/** Delays every fsync/fdatasync of process `pid` (all its threads) by FSYNC_DELAY_US. */
function slowDisk(pid: number): Promise<ChildProcess> {
  const t = spawn('strace', ['-f', '-qq', '-p', String(pid), '-e', 'trace=fsync,fdatasync', '-e', `inject=fsync,fdatasync:delay_enter=${FSYNC_DELAY_US}`, '-o', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
  tracers.push(t);
  let err = '';
  t.stderr!.on('data', (d) => { err += d; });
  // strace gives no "attached" signal with -qq: give it a moment, and fail loudly if it died.
  return new Promise((resolve, reject) => setTimeout(() => (t.exitCode === null ? resolve(t) : reject(new Error(`strace could not attach: ${err}`))), 500));
}

test.before(async () => {
  if (spawnSync('strace', ['-V']).status !== 0) throw new Error('this test needs strace (apt-get install strace)');
  ports = await freePorts(7);
  await ok(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await ok(['site', 'create', 'beta', '--dir', B]);
  sites.push(runSite(A, { env: ENV }), runSite(B, { env: ENV }));
  server = await hashServer(ports[2]);
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B));
  const token = path.join(root, 't.yaml');
  await ok(['token', 'issue', token, '--dir', A]);
  await ok(['token', 'redeem', token, '--dir', B]);
  await ok(['connector', 'create', 'up', String(ports[2]), '--routing-key', 'up', '--dir', A]);
  await ok(['listener', 'create', 'up', String(ports[3]), '--routing-key', 'up', '--host', '127.0.0.1', '--dir', B]);
  await waitFor('listener ready', () => runtimeStatus(B)?.listeners.find((l) => l.status === 'ready'), 20_000);
});

test.after(async () => {
  for (const t of tracers) if (t.exitCode === null) t.kill('SIGTERM'); // detaches; the sites run on
  await new Promise((r) => setTimeout(r, 300));
  await stopAll();
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('with every fsync taking 1.3 s, renewals and API writes go on, the link never drops, every byte arrives', async () => {
  const downs = logCount(B, /"link down"/) + logCount(A, /"link down"/);
  for (const s of sites) await slowDisk(s.pid!);
  const before = { link: security(B).linkRenewals, server: security(A).serverRenewals };
  const flow = pacedFlow(ports[3], 3 << 20, 30_000);
  // State writes through the API while the disk is slow: each waits for its fsyncs, the links do not.
  for (let i = 0; i < 3; i++) await ok(['listener', 'create', `extra${i}`, String(ports[4 + i]), '--routing-key', `k${i}`, '--dir', A]);
  const f = await flow;
  const why = `\n  alpha: ${logCount(A, /event loop stalled/)} stalls, beta: ${logCount(B, /event loop stalled/)} stalls; beta: ${siteLog(B).split('\n').filter((l) => /link down|flow reset|renewal/.test(l)).slice(-3).join('\n    ')}`;
  assert.ok(f.ok, f.detail + why);
  assert.ok(security(B).linkRenewals > before.link, `beta renewed its link certificate under the slow disk${why}`);
  assert.ok(security(A).serverRenewals > before.server, `alpha renewed its server certificate under the slow disk${why}`);
  assert.is(logCount(B, /"link down"/) + logCount(A, /"link down"/), downs, `no link went down${why}`);
  assert.ok(ready(A) && ready(B));
});

test.run();
