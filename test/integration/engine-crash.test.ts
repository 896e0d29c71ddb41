// The data-plane engine is a process of its own, supervised by the site (issue 11): killing it
// (SIGKILL, no chance to clean up) resets the flows it carried, the site's control process stays,
// a new engine is started, gets everything pushed again, relinks, and carries new flows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { svcnetOk, runSite, stopAll, tempDir, waitFor } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { CONTROL_NICE } from '../../common/cpu-priority.js';
import { echoServer, exchange } from '../helpers/tcp.js';

const root = tempDir();
const A = path.join(root, 'alpha');
const B = path.join(root, 'beta');
let ports: number[];
let echo: net.Server;

interface Status { pid: number; engine?: { pid?: number; state: string; restarts: number }; links: { status: string }[]; listeners: { name: string; status: string }[] }
const status = (dir: string): Status | undefined => { try { return JSON.parse(fs.readFileSync(path.join(dir, 'run', 'status.json'), 'utf8')); } catch { return undefined; } };
const linked = (dir: string) => status(dir)?.links.some((l) => l.status === 'ready');
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** A client connection through the listener that has seen its echo; resolves how it ended. */
async function openFlow(port: number): Promise<{ ended: Promise<string>; socket: net.Socket }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const ended = new Promise<string>((resolve) => {
    let code = 'closed';
    socket.on('error', (err: NodeJS.ErrnoException) => { code = err.code ?? err.message; });
    socket.on('close', () => resolve(code));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('data', (d) => (d.toString() === 'ping' ? resolve() : reject(new Error(`echo said ${d}`))));
    socket.once('error', reject);
    socket.write('ping');
  });
  return { ended, socket };
}

test.before(async () => {
  ports = await freePorts(5);
  echo = await echoServer(ports[2]);
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'beta', '--dir', B, '--console-port', String(ports[4])]);
  runSite(A);
  runSite(B);
  await waitFor('alpha running', () => status(A)?.engine?.state === 'running');
  await waitFor('beta running', () => status(B)?.engine?.state === 'running');
  const token = path.join(root, 'token.yaml');
  await svcnetOk(['token', 'issue', token, '--dir', A]);
  await svcnetOk(['token', 'redeem', token, '--dir', B]);
  await svcnetOk(['connector', 'create', 'echo', String(ports[2]), '--routing-key', 'echo', '--dir', A]);
  await svcnetOk(['listener', 'create', 'echo', String(ports[3]), '--routing-key', 'echo', '--host', '127.0.0.1', '--dir', B]);
  await waitFor('listener ready', () => status(B)?.listeners.find((l) => l.name === 'echo' && l.status === 'ready'));
});

test.after(async () => {
  await stopAll();
  echo.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 11: /metrics in the control process counts a flow the engine carried a moment ago', async () => {
  const scrape = async () => (await (await fetch(`http://127.0.0.1:${ports[4]}/metrics`)).text()).match(/^svcnet_flows_opened_total (\d+)$/m)?.[1];
  const before = Number(await scrape());
  assert.is((await exchange(ports[3], 'counted')).toString(), 'counted');
  assert.is(Number(await scrape()), before + 1, 'the scrape waits for the engine\'s fresh counters');
});

test('issue 11: the data plane goes first: the control process runs at a lower priority than its engine', () => {
  const s = status(A)!;
  assert.is(os.getPriority(s.pid), CONTROL_NICE);
  assert.is(os.getPriority(s.engine!.pid!), 0);
});

test('issue 11: the connector site\'s engine is killed: the client sees a reset, the site restarts its engine and relinks', async () => {
  const flow = await openFlow(ports[3]);
  const before = status(A)!;
  const enginePid = before.engine!.pid!;
  assert.ok(enginePid !== before.pid, 'the engine is a process of its own');
  process.kill(enginePid, 'SIGKILL');
  const how = await Promise.race([flow.ended, new Promise<string>((r) => setTimeout(() => r('still open'), 5000))]);
  assert.is(how, 'ECONNRESET', 'the far site resets the flow whose path died');
  const after = await waitFor('a new engine at alpha', () => { const s = status(A); return s?.engine?.state === 'running' && s.engine.pid !== enginePid ? s : undefined; }, 15_000);
  assert.is(after.pid, before.pid, 'the control process stayed');
  assert.is(after.engine!.restarts, 1);
  // Forked by the lowered control thread, the new engine raised itself back (CI runs as root).
  if (process.getuid?.() === 0) assert.is(os.getPriority(after.engine!.pid!), 0, 'a restarted engine runs at normal priority');
  assert.not.ok(alive(enginePid));
  await waitFor('relinked on both sides', () => linked(A) && linked(B), 15_000);
  await waitFor('listener ready again', () => status(B)?.listeners.find((l) => l.name === 'echo' && l.status === 'ready'));
  assert.is((await exchange(ports[3], 'after the crash')).toString(), 'after the crash');
});

test('issue 11: the listener site\'s engine is killed: its client\'s connection ends, not hangs; new clients are served', async () => {
  const flow = await openFlow(ports[3]);
  const before = status(B)!;
  const enginePid = before.engine!.pid!;
  process.kill(enginePid, 'SIGKILL');
  // The kernel closes the dead engine's sockets; a write after that is answered with a reset.
  const writer = setInterval(() => { if (!flow.socket.destroyed) flow.socket.write('more'); }, 50);
  const how = await Promise.race([flow.ended, new Promise<string>((r) => setTimeout(() => r('still open'), 5000))]);
  clearInterval(writer);
  assert.ok(how === 'ECONNRESET' || how === 'EPIPE' || how === 'closed', how);
  const after = await waitFor('a new engine at beta', () => { const s = status(B); return s?.engine?.state === 'running' && s.engine.pid !== enginePid ? s : undefined; }, 15_000);
  assert.is(after.pid, before.pid);
  await waitFor('relinked', () => linked(A) && linked(B), 15_000);
  await waitFor('listener ready again', () => status(B)?.listeners.find((l) => l.name === 'echo' && l.status === 'ready'));
  const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => exchange(ports[3], `flow ${i}`)));
  assert.equal(replies.map(String), Array.from({ length: 20 }, (_, i) => `flow ${i}`));
});

test('issue 11: stopping the site stops its engine (no orphan process)', async () => {
  const enginePid = status(A)!.engine!.pid!;
  await stopAll();
  await waitFor('engine gone', () => !alive(enginePid), 5000);
});

test.run();
