// A site with several data-plane engines (issue 11 item 4, `--dataplane-workers 2` on both sites):
// client connections are spread over the listener site's engines, each engine has its own link,
// and killing one engine resets only the flows it carried — the others finish with every byte
// intact — while the killed engine is restarted, relinks and carries flows again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { svcnetOk, runSite, stopAll, tempDir, waitFor } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { hashServer, patternBlock, sendAndHash } from '../helpers/tcp.js';

const root = tempDir();
const A = path.join(root, 'alpha');
const B = path.join(root, 'beta');
const FLOWS = 40;
const HEAD = 64 * 1024;
const TAIL = 192 * 1024;
let ports: number[];
let backend: net.Server;

interface Worker { worker: number; node: string; pid?: number; state: string; restarts: number; flowsActive: number; flowsOpened: number; links: number; listenersReady: number }
interface Status { pid: number; engine?: { pid?: number; state: string; restarts: number; workers?: Worker[] }; links: { name: string; status: string }[]; listeners: { name: string; status: string; flowsActive: number }[]; network: { sites: { name: string }[] } }
const status = (dir: string): Status | undefined => { try { return JSON.parse(fs.readFileSync(path.join(dir, 'run', 'status.json'), 'utf8')); } catch { return undefined; } };
const workers = (dir: string): Worker[] => status(dir)?.engine?.workers ?? [];
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const expected = (() => {
  const h = createHash('sha256');
  const b = patternBlock();
  h.update(b.subarray(0, HEAD));
  for (let sent = 0; sent < TAIL; sent += b.length) h.update(b.subarray(0, Math.min(b.length, TAIL - sent)));
  return `${HEAD + TAIL} ${h.digest('hex')}`;
})();

/** A flow that sent its first HEAD bytes; `finish()` sends the rest, half-closes and resolves the reply or how it broke. */
async function openFlow(port: number): Promise<{ finish(): Promise<string> }> {
  const b = patternBlock();
  const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let reply = '';
  let broke = '';
  c.on('data', (d) => { reply += d; });
  c.on('error', (err: NodeJS.ErrnoException) => { broke = err.code ?? err.message; });
  const closed = new Promise<string>((resolve) => c.on('close', () => resolve(broke ? `broken: ${broke}` : reply || 'broken: closed without reply')));
  await new Promise<void>((resolve, reject) => { c.once('connect', resolve); c.once('error', reject); });
  c.write(b.subarray(0, HEAD));
  return {
    finish() {
      if (!c.destroyed) {
        for (let sent = 0; sent < TAIL; sent += b.length) c.write(b.subarray(0, Math.min(b.length, TAIL - sent)));
        c.end();
      }
      return Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('still open after 15 s'), 15_000))]);
    },
  };
}

test.before(async () => {
  ports = await freePorts(4);
  backend = await hashServer(ports[2]);
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'beta', '--dir', B]);
  runSite(A, { args: ['--dataplane-workers', '2'] });
  runSite(B, { args: ['--dataplane-workers', '2'] });
  await waitFor('alpha running', () => status(A)?.engine?.state === 'running');
  await waitFor('beta running', () => status(B)?.engine?.state === 'running');
  const token = path.join(root, 'token.yaml');
  await svcnetOk(['token', 'issue', token, '--dir', A]);
  await svcnetOk(['token', 'redeem', token, '--dir', B]);
  await svcnetOk(['connector', 'create', 'hash', String(ports[2]), '--routing-key', 'hash', '--dir', A]);
  await svcnetOk(['listener', 'create', 'hash', String(ports[3]), '--routing-key', 'hash', '--host', '127.0.0.1', '--dir', B]);
  await waitFor('every beta engine linked with its listener open', () => workers(B).length === 2 && workers(B).every((w) => w.links >= 1 && w.listenersReady === 1), 20_000);
});

test.after(async () => {
  await stopAll();
  backend.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 11: --dataplane-workers 2 runs two engine processes, each a node of its own with its own link', () => {
  const ws = workers(B);
  assert.equal(ws.map((w) => w.node), ['beta', 'beta/worker-2']);
  const pids = ws.map((w) => w.pid!);
  assert.ok(pids[0] !== pids[1] && pids.every((p) => p !== status(B)!.pid && alive(p)), 'two engine processes besides the control process');
  const outbound = status(B)!.links.filter((l) => l.status === 'ready').map((l) => l.name).sort();
  assert.equal(outbound, outbound.length === 2 ? [outbound[0], `${outbound[0]}/worker-2`] : [], 'one link per engine, the second named for its worker');
  assert.is(outbound.length, 2);
});

test('issue 11: flows spread over both engines; killing one resets only its flows, the others finish intact; it is restarted and serves again', async () => {
  const flows = await Promise.all(Array.from({ length: FLOWS }, () => openFlow(ports[3])));
  const spread = await waitFor('all flows open at beta', () => { const ws = workers(B); return ws.reduce((n, w) => n + w.flowsActive, 0) === FLOWS ? ws : undefined; });
  const [w1, w2] = spread;
  assert.ok(w1.flowsActive > 0 && w2.flowsActive > 0, `both engines carry flows (${w1.flowsActive} + ${w2.flowsActive})`);
  const victim = w2.pid!;
  process.kill(victim, 'SIGKILL');
  await waitFor('the engine is gone', () => !alive(victim), 5000);
  const results = await Promise.all(flows.map((f) => f.finish()));
  const intact = results.filter((r) => r === expected).length;
  const broken = results.filter((r) => r.startsWith('broken'));
  assert.is(intact + broken.length, FLOWS, `every flow either finished intact or broke: ${results.filter((r) => r !== expected && !r.startsWith('broken')).join('; ')}`);
  assert.is(broken.length, w2.flowsActive, 'exactly the killed engine\'s flows broke');
  assert.is(intact, w1.flowsActive, 'every flow of the other engine finished with its bytes intact');
  const back = await waitFor('worker 2 restarted', () => { const w = workers(B)[1]; return w?.state === 'running' && w.pid !== victim && w.links >= 1 && w.listenersReady === 1 ? w : undefined; }, 20_000);
  assert.is(back.restarts, 1);
  assert.is(workers(B)[0].pid, w1.pid, 'the other engine kept running');
  assert.is(workers(B)[0].restarts, 0);
  const replies = await Promise.all(Array.from({ length: 20 }, () => sendAndHash(ports[3], 100_000)));
  for (const r of replies) assert.is(r.reply, r.expected);
  await waitFor('the restarted engine carried some of them', () => workers(B)[1].flowsOpened > 0, 5000);
});

test('issue 11: stopping the site stops every engine (no orphan process)', async () => {
  const pids = [...workers(A), ...workers(B)].map((w) => w.pid!);
  assert.is(pids.length, 4);
  await stopAll();
  await waitFor('engines gone', () => pids.every((p) => !alive(p)), 5000);
});

test.run();
