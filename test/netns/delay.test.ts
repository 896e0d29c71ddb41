// A link over a long path: site X reaches site Y only through a delaying TCP proxy (250 ms each way,
// as the kernel has no netem). The link joins and stays up, and bytes arrive exact both ways.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import { stopAll, tempDir, waitFor } from '../helpers/cli.js';
import { NetnsLab, netnsUnavailable, logSkip, type Agent } from '../helpers/netns.js';
import { createNsSite, startNsSite, linkNsSites, svcnetIn, listenerStatus, readyPeers, type NsSite } from '../helpers/netns-sites.js';
import { startDelayProxy } from '../helpers/delay-proxy.js';
import { uploadServer, upload, type FlowResult } from '../helpers/framed-traffic.js';

const DELAY_MS = 250;
const why = netnsUnavailable();
if (why) logSkip('netns/delay (namespace part)', why);
const it = why ? test.skip : test;
let lab: NetnsLab | undefined;
let setupError: Error | undefined;
let x: NsSite;
let y: NsSite;
let ax: Agent;

// The proxy itself, on loopback in this process: no namespace needed.
test('the delay proxy holds each direction for its delay and keeps every byte in order', async () => {
  const { server } = await uploadServer(0, '127.0.0.1');
  const target = (server.address() as net.AddressInfo).port;
  const proxy = await startDelayProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort: target, delayMs: 100 });
  try {
    const small = await upload('127.0.0.1', proxy.port, 1000);
    assert.is(small.outcome, 'complete', JSON.stringify(small));
    assert.ok(small.ms >= 200, `a request and its reply crossed the proxy in ${small.ms} ms; 2 × 100 ms expected at least`);
    const big = await Promise.all([upload('127.0.0.1', proxy.port, 8 << 20), upload('127.0.0.1', proxy.port, 3 << 20, 8 << 20)]);
    for (const r of big) assert.is(r.outcome, 'complete', JSON.stringify(r));
  } finally {
    await proxy.close();
    server.close();
  }
});

test.before(async () => {
  if (why) return;
  lab = new NetnsLab();
  const root = tempDir('svcnet-delay-');
  lab.onCleanup(stopAll);
  lab.onCleanup(() => fs.rmSync(root, { recursive: true, force: true }));
  try {
    lab.add('x');
    lab.add('y');
    const { bIp } = lab.connect('x', 'y', 5);
    // Y announces 127.0.0.1 as its link and grant address; in X's namespace that address is the
    // delaying proxy, so both the redemption and the link cross the long path. Y itself listens on
    // its veth address, where the proxy delivers (a site behind NAT: told one address, bound to another).
    [x, y] = await Promise.all([createNsSite(lab, root, 'x', 'site-x'), createNsSite(lab, root, 'y', 'site-y', '127.0.0.1', bIp)]);
    await Promise.all([startNsSite(x), startNsSite(y)]);
    ax = await lab.agent('x');
    const ay = await lab.agent('y');
    for (const port of [7000, 7001]) await ax.call('proxy', { listenHost: '127.0.0.1', listenPort: port, targetHost: bIp, targetPort: port, delayMs: DELAY_MS });
    await linkNsSites(root, x, y);
    await ay.call('uploadServer', { port: 9001, host: '127.0.0.1' });
    await ay.call('downloadServer', { port: 9002, bytes: 4 << 20, host: '127.0.0.1' });
    await svcnetIn(y.ns, ['connector', 'create', 'up', '9001', '--routing-key', 'up', '--dir', y.dir]);
    await svcnetIn(y.ns, ['connector', 'create', 'down', '9002', '--routing-key', 'down', '--dir', y.dir]);
    await svcnetIn(x.ns, ['listener', 'create', 'up', '8001', '--routing-key', 'up', '--host', '127.0.0.1', '--dir', x.dir]);
    await svcnetIn(x.ns, ['listener', 'create', 'down', '8002', '--routing-key', 'down', '--host', '127.0.0.1', '--dir', x.dir]);
    await waitFor('listeners open on X', () => listenerStatus(x, 'up') === 'ready' && listenerStatus(x, 'down') === 'ready', 15_000);
  } catch (err) {
    setupError = err as Error;
    console.error(`delay setup failed: ${setupError.stack}`);
  }
});
test.after(async () => { await lab?.cleanup(); });

function ready(): void {
  if (setupError) throw new Error(`setup failed: ${setupError.message}`);
}

const linkDowns = (s: NsSite) => (fs.readFileSync(`${s.dir}/site.log`, 'utf8').match(/"msg":"link down"/g) ?? []).length;

it(`a token redeemed across ${DELAY_MS} ms each way links X to Y`, () => {
  ready();
  assert.equal(readyPeers(x), ['site-y']);
  assert.equal(readyPeers(y), ['site-x']);
});

it('a request and its reply take at least the round trip of the delayed path', async () => {
  ready();
  const r = await ax.call<FlowResult>('upload', { host: '127.0.0.1', port: 8001, bytes: 1000 });
  assert.is(r.outcome, 'complete', JSON.stringify(r));
  assert.ok(r.ms >= 2 * DELAY_MS, `round trip ${r.ms} ms is shorter than the path's ${2 * DELAY_MS} ms: the proxy is not on the path`);
  console.log(`    request over the delayed link: ${r.ms} ms (path round trip ${2 * DELAY_MS} ms)`);
});

it('bulk bytes both ways over the delayed link arrive exact', async () => {
  ready();
  const results = await Promise.all([
    ax.call<FlowResult>('upload', { host: '127.0.0.1', port: 8001, bytes: 6 << 20 }),
    ax.call<FlowResult>('download', { host: '127.0.0.1', port: 8002 }),
    ax.call<FlowResult>('download', { host: '127.0.0.1', port: 8002 }),
  ]);
  for (const r of results) assert.is(r.outcome, 'complete', JSON.stringify(r));
  console.log(`    over the delayed link: 6 MiB up in ${results[0].ms} ms, 4 MiB down in ${results[1].ms} / ${results[2].ms} ms`);
});

it('heartbeats tolerate the long path: no link went down while idle for 4 s', async () => {
  ready();
  const before = linkDowns(x) + linkDowns(y);
  await new Promise((r) => setTimeout(r, 4000));
  assert.is(linkDowns(x) + linkDowns(y), before, 'a link was declared down on a live, slow path');
  assert.is(before, 0, 'a link went down earlier in the suite');
  assert.equal(readyPeers(x), ['site-y']);
});

test.run();
