// Failover in the four-namespace diamond: cut the A–B veth, then SIGKILL site B. Measures how long
// until A's routes move to C and new flows succeed again (product bound: under 2 s), checks that
// flows through the broken path end as errors (never truncated or corrupt) and that links heal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { waitFor, kill } from '../helpers/cli.js';
import { NetnsLab, netnsUnavailable, logSkip } from '../helpers/netns.js';
import { buildDiamond, PORT, type Diamond } from '../helpers/diamond.js';
import { costTo, listenerStatus, readyPeers, startNsSite, logTail } from '../helpers/netns-sites.js';
import type { FlowResult, ServerStats } from '../helpers/framed-traffic.js';

const why = netnsUnavailable();
if (why) logSkip('netns/failover', why);
const it = why ? test.skip : test;
let lab: NetnsLab | undefined;
let net: Diamond;
let setupError: Error | undefined;
/** Product requirement (issue 5): routes withdrawn and new flows served within 2 s of a failure. */
const RECONVERGE_MS = 2000;
const measured: string[] = [];

test.before(async () => {
  if (why) return;
  lab = new NetnsLab();
  try { net = await buildDiamond(lab); } catch (err) {
    setupError = err as Error;
    console.error(`diamond setup failed: ${setupError.stack}`);
  }
});
test.after(async () => {
  if (measured.length) console.log(`\n  measured:\n    ${measured.join('\n    ')}\n`);
  await lab?.cleanup();
});

function ready(): Diamond {
  if (setupError) throw new Error(`setup failed: ${setupError.message}`);
  return net;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const upload = (bytes: number, rateBps = 0, timeoutMs = 10_000) =>
  net.agents.a.call<FlowResult>('upload', { host: '127.0.0.1', port: PORT.up, bytes, rateBps, timeoutMs });
const download = (port: number, timeoutMs = 10_000) => net.agents.a.call<FlowResult>('download', { host: '127.0.0.1', port, timeoutMs });

/** Long flows (about 3 s each) on the path through B, started before a failure. */
function longFlows(): Promise<FlowResult>[] {
  return [
    ...Array.from({ length: 3 }, () => upload(3 << 19, 512 << 10)),
    ...Array.from({ length: 3 }, () => download(PORT.slow)),
  ];
}

interface Failover { routeMs: number; firstFlowMs: number; probes: FlowResult[]; at: number }

/**
 * Runs `fault`, then watches A: when its network view shows D at `costAfter` (the route through B
 * withdrawn), and when the first new flow (a 64 KiB upload, one started every 100 ms) completes.
 */
async function failover(fault: () => Promise<void> | void, costAfter: number): Promise<Failover> {
  const t0 = performance.now();
  const at = Date.now(); // to line up with the "time" of site.log lines
  await fault();
  const since = () => Math.round(performance.now() - t0);
  let routeMs = Infinity;
  let firstFlowMs = Infinity;
  const watch = (async () => {
    while (since() < 10_000 && routeMs === Infinity) {
      if (costTo(net.sites.a, 'site-d') === costAfter) routeMs = since();
      else await sleep(20);
    }
  })();
  const probes: Promise<FlowResult>[] = [];
  while (firstFlowMs === Infinity && since() < 10_000 && probes.length < 100) {
    probes.push(upload(64 << 10, 0, 8000).then((r) => {
      if (r.outcome === 'complete') firstFlowMs = Math.min(firstFlowMs, since());
      return r;
    }));
    await sleep(100);
  }
  await watch;
  return { routeMs, firstFlowMs, probes: await Promise.all(probes), at };
}

/** Every flow either completed byte-exact or ended as an error its client saw. */
function assertHonest(results: FlowResult[], what: string): void {
  const bad = results.filter((r) => r.outcome !== 'complete' && r.outcome !== 'error');
  assert.is(bad.length, 0, `${what}: ${JSON.stringify(bad.slice(0, 5))}\n--- site-a log ---\n${logTail(net.sites.a)}`);
}

async function assertServersHonest(): Promise<void> {
  const up = await net.agents.d.call<ServerStats>('stats', { port: 9001 });
  assert.is(up.truncatedEof, 0, `D's upload server saw ${up.truncatedEof} flows end cleanly short of their length`);
}

it('A cut off from B (ip link down): routes move to C and new flows succeed within 2 s', async () => {
  const n = ready();
  const live = longFlows();
  await sleep(400);
  const f = await failover(() => n.lab.setLink('a', 'b', false), 3);
  measured.push(`link cut A–B: route withdrawn after ${f.routeMs} ms, first new flow complete after ${f.firstFlowMs} ms (${f.probes.length} probes; cut at epoch ms ${f.at})`);
  const flows = await Promise.all(live);
  assertHonest(f.probes, 'probe flows during the cut');
  assertHonest(flows, 'long flows through the cut path');
  assert.ok(flows.every((r) => r.outcome === 'error'), `flows through the cut path must be reset, got ${flows.map((r) => r.outcome)}`);
  assert.ok(f.routeMs < RECONVERGE_MS, `route through B withdrawn after ${f.routeMs} ms (bound ${RECONVERGE_MS})`);
  assert.ok(f.firstFlowMs < RECONVERGE_MS, `first new flow completed ${f.firstFlowMs} ms after the cut (bound ${RECONVERGE_MS})`);
  // A now reaches D only through C (1 + 2) and B only round the diamond (1 + 2 + 1).
  assert.is(costTo(n.sites.a, 'site-b'), 4);
  const after = await Promise.all([upload(2 << 20), download(PORT.down)]);
  assert.ok(after.every((r) => r.outcome === 'complete'), JSON.stringify(after));
});

it('A cut off from C too: the listener closes (connection refused) within 2 s', async () => {
  const n = ready();
  const t0 = performance.now();
  n.lab.setLink('a', 'c', false);
  await waitFor('listener up closed', () => listenerStatus(n.sites.a, 'up') === 'no-route', RECONVERGE_MS, 20);
  const ms = Math.round(performance.now() - t0);
  measured.push(`A isolated: listener closed after ${ms} ms`);
  assert.is(await n.agents.a.call('probe', { host: '127.0.0.1', port: PORT.up }), 'ECONNREFUSED');
});

it('both links back up: A redials by itself, routes return through B, traffic flows', async () => {
  const n = ready();
  const t0 = performance.now();
  n.lab.setLink('a', 'b', true);
  n.lab.setLink('a', 'c', true);
  await waitFor('A linked to B and C again', () => readyPeers(n.sites.a).length === 2, 15_000);
  await waitFor('A routes to D through B again', () => costTo(n.sites.a, 'site-d') === 2, 5000);
  await waitFor('listener open again', () => listenerStatus(n.sites.a, 'up') === 'ready', 3000);
  measured.push(`links restored: healed (D at cost 2 again) after ${Math.round(performance.now() - t0)} ms`);
  const r = await upload(2 << 20);
  assert.is(r.outcome, 'complete', JSON.stringify(r));
});

it('site B killed (SIGKILL) mid-transfer: flows through it fail as errors, new flows go via C within 2 s', async () => {
  const n = ready();
  const live = longFlows();
  await sleep(400);
  const f = await failover(() => kill(n.sites.b.child!, 'SIGKILL'), 3);
  measured.push(`site B killed: route withdrawn after ${f.routeMs} ms, first new flow complete after ${f.firstFlowMs} ms (${f.probes.length} probes; kill at epoch ms ${f.at})`);
  const flows = await Promise.all(live);
  assertHonest(f.probes, 'probe flows after the kill');
  assertHonest(flows, 'long flows through the killed site');
  assert.ok(flows.every((r) => r.outcome === 'error'), `flows through the killed site must be reset, got ${flows.map((r) => r.outcome)}`);
  assert.ok(f.routeMs < RECONVERGE_MS, `route through B withdrawn after ${f.routeMs} ms (bound ${RECONVERGE_MS})`);
  assert.ok(f.firstFlowMs < RECONVERGE_MS, `first new flow completed ${f.firstFlowMs} ms after the kill (bound ${RECONVERGE_MS})`);
  await waitFor('D sees B gone', () => readyPeers(n.sites.d).join() === 'site-c', RECONVERGE_MS);
});

it('site B restarted: A and D link to it again by themselves and routes return through it', async () => {
  const n = ready();
  const t0 = performance.now();
  await startNsSite(n.sites.b);
  await waitFor('B linked to A and D again', () => readyPeers(n.sites.b).join() === 'site-a,site-d', 15_000);
  await waitFor('A routes to D through B again', () => costTo(n.sites.a, 'site-d') === 2, 5000);
  measured.push(`site B restarted: healed (D at cost 2 again) ${Math.round(performance.now() - t0)} ms after the restart began`);
  const results = await Promise.all([upload(2 << 20), download(PORT.down), download(PORT.slow)]);
  assert.ok(results.every((r) => r.outcome === 'complete'), JSON.stringify(results));
});

it('no server saw a broken flow end as a clean, short EOF', async () => {
  ready();
  await assertServersHonest();
});

test.run();
