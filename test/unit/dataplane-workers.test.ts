// Issue 11 item 4: the pure parts of a site with several data-plane engines — who worker k is on
// the network (and that its HELLO proves it like any node of the site), and the merged status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import * as P from '../../wasm/assembly/protocol.js';
import { validHello, helloProofBytes } from '../../dataplane/hello.js';
import { SiteIdentity } from '../../common/identity.js';
import { workerInit, isWorkerName, MAX_WORKERS } from '../../control/engine/worker-node.js';
import { mergeStatus } from '../../control/engine/merge-status.js';
import { EnginePool } from '../../control/engine/engine-pool.js';
import type { EngineInit, EngineStatus } from '../../dataplane/port/report.js';

const alpha = SiteIdentity.generate();
const mallory = SiteIdentity.generate();
const init: EngineInit = { siteId: alpha.id, siteName: 'alpha', identityPem: alpha.toPem(), window: 65536 };
const binding = randomBytes(32);
const helloOf = (by: SiteIdentity, i: EngineInit) => ({ version: P.PROTOCOL_VERSION, siteId: i.siteId, siteName: i.siteName, window: 65536, cost: 1, pub: by.pub, proof: by.sign(helloProofBytes(i.siteId, i.siteName, binding)) });
const expectAlpha = { selfId: SiteIdentity.generate().id, binding, expect: { siteId: alpha.id, siteName: 'alpha' } };

test('issue 11: worker 1 is the site itself (a one-engine site is unchanged), worker k a sub-node of it', () => {
  assert.is(workerInit(init, 1), init);
  const w2 = workerInit(init, 2);
  assert.is(w2.siteId, `${alpha.id}/worker-2`);
  assert.is(w2.siteName, 'alpha/worker-2');
  assert.is(w2.identityPem, init.identityPem, 'every worker signs with the site key');
});

test('issue 11: a worker\'s HELLO is taken on the site\'s certificate; the same node id claimed with another key is refused', () => {
  const w2 = workerInit(init, 2);
  const ok = validHello(helloOf(alpha, w2), expectAlpha);
  assert.ok('hello' in ok, JSON.stringify(ok));
  const forged = validHello(helloOf(mallory, w2), expectAlpha);
  assert.ok('code' in forged && forged.code === P.ERR_PEER_IDENTITY);
  const renamed = validHello(helloOf(alpha, { ...w2, siteName: 'alpha' }), expectAlpha);
  assert.ok('code' in renamed && /site name/.test(renamed.reason), 'the name must carry the same suffix');
});

test('issue 11: router replica names that would collide with a worker node are recognised', () => {
  assert.ok(isWorkerName('worker-2'));
  assert.not.ok(isWorkerName('worker'));
  assert.not.ok(isWorkerName('r1'));
});

test('issue 11: the pool takes 1..MAX_WORKERS engines', () => {
  const log = pino({ level: 'silent' });
  for (const workers of [0, MAX_WORKERS + 1, 1.5]) assert.throws(() => new EnginePool({ init, log, workers, onReport: () => {} }), /1\.\.4/);
  assert.is(new EnginePool({ init, log, workers: 2, onReport: () => {} }).hosts.length, 2);
});

const snap = (o: { sites?: string[]; node: string; links: string[]; flows: [number, number]; ready: boolean; rss: number; stalls: number; longest: number; opened: number; refused: Record<string, number> }): EngineStatus => ({
  pid: 1, node: { id: o.node, name: o.node },
  links: o.links.map((name) => ({ name, direction: 'outbound', status: 'ready', message: '' })),
  listeners: [{ name: 'web', routingKey: 'web', port: 8080, status: o.ready ? 'ready' : 'no-route', message: o.ready ? 'open' : 'no route', flowsActive: o.flows[0], flowsOpened: o.flows[1] }],
  connectors: [{ name: 'db', routingKey: 'db', host: 'h', port: 5432, ready: o.ready, message: '', flowsActive: o.flows[0], flowsOpened: o.flows[1] }],
  network: { sites: (o.sites ?? []).map((id) => ({ id, name: id, cost: o.node === 'a' ? 1 : 2, links: [], keys: [] })), routesVersion: 3 },
  counters: { flowsOpened: o.opened, flowsFailed: 1, opensRefused: 0, linksClosed: 0, fdExhaustion: 0, illegalTransitions: 0 },
  streamsActive: o.flows[0], refused: o.refused, linksRefusedTotal: 1, ports: {},
  eventLoop: { stalls: o.stalls, longestMs: o.longest }, memory: { rss: o.rss, heapUsed: 10 },
  pushes: {} as EngineStatus['pushes'],
});

test('issue 11: one engine\'s status is passed through as it is', () => {
  const s = snap({ node: 'a', links: ['to-b'], flows: [1, 2], ready: true, rss: 5, stalls: 0, longest: 0, opened: 2, refused: {} });
  assert.is(mergeStatus([{ worker: 1, status: s }]), s);
  assert.is(mergeStatus([]), undefined);
});

test('issue 11: several engines: counters summed, listeners and connectors merged by name, links named by worker', () => {
  const one = snap({ sites: ['a', 'b'], node: 'a', links: ['to-b'], flows: [3, 10], ready: false, rss: 100, stalls: 1, longest: 40, opened: 10, refused: { X: 1 } });
  const two = snap({ sites: ['a/worker-2', 'b/worker-2', 'b'], node: 'a/worker-2', links: ['to-b'], flows: [4, 20], ready: true, rss: 50, stalls: 2, longest: 30, opened: 20, refused: { X: 2, Y: 1 } });
  const m = mergeStatus([{ worker: 1, status: one }, { worker: 2, status: two }])!;
  assert.equal(m.links.map((l) => l.name), ['to-b', 'to-b/worker-2']);
  assert.equal(m.listeners.map((l) => [l.name, l.status, l.flowsActive, l.flowsOpened]), [['web', 'ready', 7, 30]], 'open on any worker: open');
  assert.equal(m.connectors.map((c) => [c.name, c.ready, c.flowsActive, c.flowsOpened]), [['db', true, 7, 30]]);
  assert.is(m.counters.flowsOpened, 30);
  assert.is(m.counters.flowsFailed, 2);
  assert.is(m.streamsActive, 7);
  assert.equal(m.refused, { X: 3, Y: 1 });
  assert.is(m.linksRefusedTotal, 2);
  assert.equal(m.eventLoop, { stalls: 3, longestMs: 40 });
  assert.equal(m.memory, { rss: 150, heapUsed: 20 });
  assert.is(m.node.name, 'a', 'the site is named by worker 1');
  assert.equal(m.network.sites.map((n) => [n.id, n.cost]), [['a', 1], ['b', 1], ['a/worker-2', 2], ['b/worker-2', 2]], 'every node any engine sees, once, as the lowest engine sees it');
});

test.run();
