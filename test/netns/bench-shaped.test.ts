// `svcnet bench` (issue 14) over a shaped network: two sites in two namespaces joined by one veth.
// Under a 50 Mbit/s token bucket (tc tbf) on the direction the bulk flows, the measured throughput
// matches the limit within 10% (socket ends and engine ends); under 2% random packet loss the run still completes with figures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { stopAll, tempDir, waitFor, svcnetOk } from '../helpers/cli.js';
import { NetnsLab, netnsUnavailable, logSkip } from '../helpers/netns.js';
import { createNsSite, startNsSite, linkNsSites, readyPeers, logTail, type NsSite } from '../helpers/netns-sites.js';
import type { BenchmarkResult } from '../../control/api/types.js';

const why = netnsUnavailable();
if (why) logSkip('netns/bench-shaped', why);
const it = why ? test.skip : test;
let lab: NetnsLab;
let x: NsSite;
let y: NsSite;
let setupError: Error | undefined;

test.before(async () => {
  if (why) return;
  lab = new NetnsLab();
  const root = tempDir('svcnet-bench-ns-');
  lab.onCleanup(stopAll);
  lab.onCleanup(() => fs.rmSync(root, { recursive: true, force: true }));
  try {
    lab.add('x');
    lab.add('y');
    const { bIp } = lab.connect('x', 'y', 41);
    [x, y] = await Promise.all([createNsSite(lab, root, 'x', 'site-x'), createNsSite(lab, root, 'y', 'site-y', bIp)]);
    await Promise.all([startNsSite(x), startNsSite(y)]);
    await linkNsSites(root, x, y);
    await waitFor('X linked to Y', () => readyPeers(x).includes('site-y'), 20_000);
  } catch (err) {
    setupError = err as Error;
    console.error(`bench-shaped setup failed: ${setupError.stack}`);
  }
});
test.after(async () => { await lab?.cleanup(); });

function ready(): void {
  if (setupError) throw new Error(`setup failed: ${setupError.message}`);
}

/** The CLI talks to the site's unix socket: it needs no namespace. */
async function bench(args: string[]): Promise<BenchmarkResult> {
  return JSON.parse(await svcnetOk(['bench', '--to', 'site-y', '--dir', x.dir, '-o', 'json', ...args])) as BenchmarkResult;
}

// The bulk bytes flow from the target to the driver with socket ends (the target's source to this
// side's readers) and from the driver to the target with engine ends: the bucket shapes that direction.
for (const [ends, from, to] of [['socket', 'y', 'x'], ['engine', 'x', 'y']] as const) {
  it(`${ends} ends, a 50 Mbit/s token bucket on ${from.toUpperCase()}→${to.toUpperCase()}: the measured throughput is the limit within 10%`, async () => {
    ready();
    lab.limitRate(from, to, '50mbit');
    let r: BenchmarkResult;
    try { r = await bench(['--duration', '10s', '--flows', '2', '--ends', ends]); } finally { lab.clearRate(from, to); }
    const mbps = r.throughput.totalGbps * 1000;
    console.log(`    ${ends} ends, tbf 50 mbit: bench measured ${mbps.toFixed(1)} Mbit/s (${r.throughput.perFlowGbps.map((g) => (g * 1000).toFixed(1)).join(' + ')}), latency p50 ${r.latency.p50Ms} ms, ${r.rate.flowsPerSec} flows/s`);
    // tbf counts Ethernet, IP, TCP, TLS and frame headers too (~5% at 1,500-byte packets): the payload
    // rate sits a little under 50; 10% either side is the bound.
    assert.ok(mbps >= 45 && mbps <= 55, `measured ${mbps.toFixed(1)} Mbit/s under a 50 Mbit/s limit\n${logTail(x)}`);
    assert.is(r.ends, ends);
    assert.is(r.path.hops, 1);
    assert.ok(r.latency.samples > 0 && r.rate.flows > 0);
  });
}

it('2% random packet loss both ways: the run completes with its figures', async () => {
  ready();
  lab.wireSegments('x', 'y', true);
  lab.dropRandom('x', 0.02);
  lab.dropRandom('y', 0.02);
  let r: BenchmarkResult;
  let dropped = 0;
  try {
    r = await bench(['--duration', '5s']);
    dropped = lab.droppedPackets('x') + lab.droppedPackets('y');
  } finally {
    lab.clearDrops('x');
    lab.clearDrops('y');
    lab.wireSegments('x', 'y', false);
  }
  console.log(`    2% loss: ${(r.throughput.totalGbps * 1000).toFixed(1)} Mbit/s, latency p50 ${r.latency.p50Ms} ms p99 ${r.latency.p99Ms} ms, ${r.rate.flowsPerSec} flows/s; ${dropped} packets dropped`);
  assert.ok(dropped > 0, 'the drop rules dropped nothing: the fault was not in place');
  assert.ok(r.throughput.bytes > 0 && r.throughput.totalGbps > 0);
  assert.ok(r.latency.samples > 0 && r.latency.p99Ms >= r.latency.p50Ms);
  assert.ok(r.rate.flows > 0);
  assert.ok(readyPeers(x).includes('site-y'), 'the link went down under 2% loss');
});

test.run();
