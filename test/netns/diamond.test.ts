// Four sites in four network namespaces (a diamond): bytes across two hops both ways, balancing
// over equal-cost connectors, and transfers that stay byte-exact under packet loss and a rate limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetnsLab, netnsUnavailable, logSkip } from '../helpers/netns.js';
import { buildDiamond, PORT, BAL_SERVER, DOWN_BYTES, type Diamond } from '../helpers/diamond.js';
import { readyPeers, logTail } from '../helpers/netns-sites.js';
import type { FlowResult, ServerStats } from '../helpers/framed-traffic.js';

const why = netnsUnavailable();
if (why) logSkip('netns/diamond', why);
const it = why ? test.skip : test;
let lab: NetnsLab | undefined;
let net: Diamond;
let setupError: Error | undefined;
const MiB = 1 << 20;

test.before(async () => {
  if (why) return;
  lab = new NetnsLab();
  try { net = await buildDiamond(lab); } catch (err) {
    setupError = err as Error;
    console.error(`diamond setup failed: ${setupError.stack}`);
  }
});
test.after(async () => { await lab?.cleanup(); });

function ready(): Diamond {
  if (setupError) throw new Error(`setup failed: ${setupError.message}`);
  return net;
}

const upload = (bytes: number, port: number = PORT.up, rateBps = 0, timeoutMs = 30_000) =>
  net.agents.a.call<FlowResult>('upload', { host: '127.0.0.1', port, bytes, rateBps, timeoutMs });
const download = (port: number = PORT.down, timeoutMs = 30_000) =>
  net.agents.a.call<FlowResult>('download', { host: '127.0.0.1', port, timeoutMs });
const stats = (site: 'b' | 'c' | 'd', port: number) => net.agents[site].call<ServerStats>('stats', { port });

/** Every flow complete: all bytes arrived and the hash matched. */
function assertAllComplete(results: FlowResult[], what: string): void {
  const bad = results.filter((r) => r.outcome !== 'complete');
  assert.is(bad.length, 0, `${what}: ${bad.length}/${results.length} not complete: ${JSON.stringify(bad.slice(0, 5))}\n--- site-a log ---\n${logTail(net.sites.a)}`);
}

it('the diamond converges: A is linked to B and C, D linked to B and C', () => {
  const n = ready();
  assert.equal(readyPeers(n.sites.a), ['site-b', 'site-c']);
  assert.equal(readyPeers(n.sites.d), ['site-b', 'site-c']);
});

it('uploads and downloads across two hops (A→B→D) arrive byte-exact, 4+4 at once', async () => {
  ready();
  const results = await Promise.all([
    ...Array.from({ length: 4 }, (_, i) => upload(4 * MiB + i * 4099)),
    ...Array.from({ length: 4 }, () => download()),
  ]);
  assertAllComplete(results, 'bulk transfers');
  for (const r of results.slice(4)) assert.is(r.bytes, DOWN_BYTES);
});

it('equal-cost connectors on B and C share the flows; the costlier one on D gets none', async () => {
  ready();
  for (const s of ['b', 'c', 'd'] as const) await net.agents[s].call('resetStats', { port: BAL_SERVER });
  // 20 flows of ~0.5 s opened together: all are open at once, so "fewest open flows" must alternate.
  const results = await Promise.all(Array.from({ length: 20 }, () => upload(256 << 10, PORT.bal, 512 << 10)));
  assertAllComplete(results, 'balanced flows');
  const [b, c, d] = await Promise.all([stats('b', BAL_SERVER), stats('c', BAL_SERVER), stats('d', BAL_SERVER)]);
  assert.is(b.accepted + c.accepted, 20, `B got ${b.accepted}, C got ${c.accepted}, D got ${d.accepted}`);
  assert.ok(Math.abs(b.accepted - c.accepted) <= 1, `uneven split: B ${b.accepted}, C ${c.accepted}`);
  assert.is(d.accepted, 0, 'D is at cost 2 from A and must not be chosen while B and C (cost 1) serve the key');
});

it('2% random packet loss at every site: transfers across two hops stay byte-exact', async () => {
  const n = ready();
  const veths = [['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd']];
  for (const [x, y] of veths) n.lab.wireSegments(x, y, true);
  for (const s of ['a', 'b', 'c', 'd']) n.lab.dropRandom(s, 0.02);
  try {
    const results = await Promise.all([upload(3 * MiB), upload(3 * MiB + 17), download(), download()]);
    assertAllComplete(results, 'transfers under 2% loss');
    const dropped = ['a', 'b', 'c', 'd'].reduce((sum, s) => sum + n.lab.droppedPackets(s), 0);
    assert.ok(dropped > 0, 'the drop rules dropped nothing: the fault was not in place');
    console.log(`    2% loss: ${dropped} packets dropped; flows took ${results.map((r) => r.ms).join(', ')} ms`);
  } finally {
    for (const s of ['a', 'b', 'c', 'd']) n.lab.clearDrops(s);
    for (const [x, y] of veths) n.lab.wireSegments(x, y, false);
  }
  assert.equal(readyPeers(n.sites.a), ['site-b', 'site-c'], 'a link went down under 2% loss');
});

it('a 16 Mbit/s token-bucket limit on A–B both ways: flows are slower but byte-exact', async () => {
  const n = ready();
  n.lab.limitRate('a', 'b', '16mbit');
  n.lab.limitRate('b', 'a', '16mbit');
  try {
    const bytes = 3 * MiB;
    const results = await Promise.all([upload(bytes), download()]);
    assertAllComplete(results, 'transfers under a rate limit');
    // 16 Mbit/s is 2 MB/s: 3 MiB needs ~1.6 s. Far quicker means the limit was not on the path.
    const floorMs = ((bytes * 8) / 16e6) * 1000 * 0.6;
    for (const r of results) assert.ok(r.ms >= floorMs, `a flow took ${r.ms} ms, under the ${floorMs.toFixed(0)} ms a 16 Mbit/s path allows`);
    console.log(`    16 Mbit/s: upload ${results[0].ms} ms, download ${results[1].ms} ms for 3 MiB each`);
  } finally {
    n.lab.clearRate('a', 'b');
    n.lab.clearRate('b', 'a');
  }
  assert.equal(readyPeers(n.sites.a), ['site-b', 'site-c'], 'a link went down under the rate limit');
});

it('no server ever saw a flow end cleanly short of its announced length', async () => {
  ready();
  for (const [site, port] of [['d', 9001], ['b', BAL_SERVER], ['c', BAL_SERVER], ['d', BAL_SERVER]] as const) {
    const s = await stats(site, port);
    assert.is(s.truncatedEof, 0, `server ${site}:${port} saw ${s.truncatedEof} truncated flows presented as complete`);
  }
});

test.run();
