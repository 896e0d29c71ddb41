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
import { svcnet, svcnetOk, runSite, stopAll, tempDir, waitFor } from '../helpers/cli.js';
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
  assert.equal(status(B)!.network.sites.map((n) => n.name).sort(), ['alpha', 'alpha/worker-2', 'beta', 'beta/worker-2'], 'the network view holds what every engine sees');
});

/** Opens FLOWS flows, checks both engines of `dir` carry some, SIGKILLs engine `which` and finishes the flows: exactly its flows break, the others end intact. */
async function killOneEngine(dir: string, which: 1 | 2): Promise<{ victim: Worker; other: Worker }> {
  const flows = await Promise.all(Array.from({ length: FLOWS }, () => openFlow(ports[3])));
  const spread = await waitFor('all flows open', () => { const ws = workers(dir); return ws.reduce((n, w) => n + w.flowsActive, 0) === FLOWS ? ws : undefined; });
  assert.ok(spread.every((w) => w.flowsActive > 0), `both engines carry flows (${spread.map((w) => w.flowsActive).join(' + ')})`);
  const victim = spread[which - 1];
  const other = spread[2 - which];
  process.kill(victim.pid!, 'SIGKILL');
  await waitFor('the engine is gone', () => !alive(victim.pid!), 5000);
  const results = await Promise.all(flows.map((f) => f.finish()));
  const intact = results.filter((r) => r === expected).length;
  const broken = results.filter((r) => r.startsWith('broken'));
  assert.is(intact + broken.length, FLOWS, `every flow either finished intact or broke: ${results.filter((r) => r !== expected && !r.startsWith('broken')).join('; ')}`);
  assert.is(broken.length, victim.flowsActive, 'exactly the killed engine\'s flows broke');
  assert.is(intact, other.flowsActive, 'every flow of the other engine finished with its bytes intact');
  await waitFor(`engine ${which} restarted`, () => { const w = workers(dir)[which - 1]; return w?.state === 'running' && w.pid !== victim.pid ? w : undefined; }, 20_000);
  assert.is(workers(dir)[2 - which].pid, other.pid, 'the other engine kept running');
  return { victim, other };
}

const serves = async () => {
  const replies = await Promise.all(Array.from({ length: 20 }, () => sendAndHash(ports[3], 100_000)));
  for (const r of replies) assert.is(r.reply, r.expected);
};

test('issue 11: the connector site: each of its engines holds one of the links, killing one resets only the flows on its link', async () => {
  assert.equal(workers(A).map((w) => w.links), [1, 1], 'the two inbound links landed on different engines');
  await killOneEngine(A, 2);
  await waitFor('beta relinked', () => workers(B).every((w) => w.links >= 1 && w.listenersReady === 1), 20_000);
  await serves();
});

test('issue 11: the listener site: clients spread over both engines; killing one resets only its flows; it is restarted and serves again', async () => {
  const before = workers(B);
  const { victim } = await killOneEngine(B, 2);
  const back = await waitFor('worker 2 linked with its listener open', () => { const w = workers(B)[1]; return w.links >= 1 && w.listenersReady === 1 ? w : undefined; }, 20_000);
  assert.is(back.restarts, before[1].restarts + 1);
  assert.is(workers(B)[0].restarts, before[0].restarts);
  assert.ok(back.pid !== victim.pid);
  await serves();
  await waitFor('the restarted engine carried some of them', () => workers(B)[1].flowsOpened > 0, 5000);
});

test('issue 11: --dataplane-workers outside 1..4 is a usage error', async () => {
  for (const n of ['0', '5']) {
    const r = await svcnet(['site', 'run', '--dir', A, '--dataplane-workers', n]);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /--dataplane-workers \d is outside 1\.\.4/);
  }
});

test('issue 11: stopping the site stops every engine (no orphan process)', async () => {
  const pids = [...workers(A), ...workers(B)].map((w) => w.pid!);
  assert.is(pids.length, 4);
  await stopAll();
  await waitFor('engines gone', () => pids.every((p) => !alive(p)), 5000);
});

test.run();
