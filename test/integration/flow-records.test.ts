// Issue 12 with real site processes: flows with known byte counts leave records on both sites
// (same id, right bytes, outcome and time to first byte) that `svcnet flow list`, ListFlows and the
// console's /api/flows show; a refused flow, an OPEN for a key with no connector (no route) and a
// flow the server resets show their outcomes; /metrics counts them, passes promtool, and keeps the
// link's peer label when the link goes down.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import * as P from '../../wasm/assembly/protocol.js';
import { svcnetOk, runSite, kill, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { LinkPeer, readCredentials, frame } from '../helpers/link-peer.js';
import type { FlowRecordMessage, Event } from '../../control/api/types.js';
import { unixClient } from '../../control/api/client.js';

const root = tempDir();
const A = path.join(root, 'alpha');
const B = path.join(root, 'beta');
const M = path.join(root, 'mallory');
let ports: number[];
let siteA: ChildProcess;
const servers: net.Server[] = [];
const UP = 123_457;
const DOWN = 2_345_679;

/** Reads the client's bytes to its FIN, then answers `reply` bytes and ends: known counts each way. */
function answerServer(port: number, reply: number): Promise<net.Server> {
  const s = net.createServer({ allowHalfOpen: true }, (c) => {
    c.on('data', () => {});
    c.on('end', () => { c.end(Buffer.alloc(reply, 7)); });
    c.on('error', () => {});
  });
  servers.push(s);
  return new Promise((r) => s.listen(port, '127.0.0.1', () => r(s)));
}

/** Resets every connection once its first bytes arrive. */
function resettingServer(port: number): Promise<net.Server> {
  const s = net.createServer((c) => { c.once('data', () => c.resetAndDestroy()); c.on('error', () => {}); });
  servers.push(s);
  return new Promise((r) => s.listen(port, '127.0.0.1', () => r(s)));
}

/** Sends `n` bytes, half-closes, reads to the end; resolves with what came back and the local port. */
function flow(port: number, n: number): Promise<{ got: number; localPort: number; error?: string }> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let got = 0;
    let localPort = 0;
    const t = setTimeout(() => { s.destroy(); resolve({ got, localPort, error: 'timeout' }); }, 20_000);
    s.on('connect', () => { localPort = s.localPort!; s.end(Buffer.alloc(n, 1)); });
    s.on('data', (d) => { got += d.length; });
    s.on('end', () => { clearTimeout(t); s.destroy(); resolve({ got, localPort }); });
    s.on('error', (e: NodeJS.ErrnoException) => { clearTimeout(t); resolve({ got, localPort, error: e.code ?? e.message }); });
  });
}

const flows = async (dir: string, ...args: string[]): Promise<FlowRecordMessage[]> => JSON.parse(await svcnetOk(['flow', 'list', '--dir', dir, '-o', 'json', ...args]));
const metrics = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const siteId = (dir: string): string => JSON.parse(fs.readFileSync(path.join(dir, 'site.json'), 'utf8')).id;

test.before(async () => {
  ports = await freePorts(12);
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1]), '--console-port', String(ports[2])]);
  await svcnetOk(['site', 'create', 'beta', '--dir', B, '--console-port', String(ports[3])]);
  await svcnetOk(['site', 'create', 'mallory', '--dir', M]);
  siteA = runSite(A);
  runSite(B);
  await waitFor('alpha running', () => runtimeStatus(A));
  await waitFor('beta running', () => runtimeStatus(B));
  const token = path.join(root, 'token.yaml');
  await svcnetOk(['token', 'issue', token, '--dir', A]);
  await svcnetOk(['token', 'redeem', token, '--dir', B]);
  const token2 = path.join(root, 'token2.yaml');
  await svcnetOk(['token', 'issue', token2, '--dir', A]);
  await svcnetOk(['token', 'redeem', token2, '--dir', M]);
  await answerServer(ports[4], DOWN);
  await resettingServer(ports[5]);
  // ports[6]: nothing listens (a refused connection)
  await svcnetOk(['connector', 'create', 'bulk', String(ports[4]), '--routing-key', 'bulk', '--dir', A]);
  await svcnetOk(['connector', 'create', 'rst', String(ports[5]), '--routing-key', 'rst', '--dir', A]);
  await svcnetOk(['connector', 'create', 'gone', String(ports[6]), '--routing-key', 'gone', '--dir', A]);
  await svcnetOk(['listener', 'create', 'bulk', String(ports[7]), '--routing-key', 'bulk', '--host', '127.0.0.1', '--dir', B]);
  await svcnetOk(['listener', 'create', 'rst', String(ports[8]), '--routing-key', 'rst', '--host', '127.0.0.1', '--dir', B]);
  await svcnetOk(['listener', 'create', 'gone', String(ports[9]), '--routing-key', 'gone', '--host', '127.0.0.1', '--dir', B]);
  for (const l of ['bulk', 'rst', 'gone']) await waitFor(`listener ${l} ready`, () => runtimeStatus(B)?.listeners.find((x) => x.name === l && x.status === 'ready'), 20_000);
});

test.after(async () => {
  await stopAll();
  for (const s of servers) s.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 12: a flow with known bytes leaves the same record (id, sites, bytes, ttfb, closed) on both sites', async () => {
  const r = await flow(ports[7], UP);
  assert.equal([r.got, r.error], [DOWN, undefined]);
  const atB = await waitFor('the listener record', async () => (await flows(B, '--routing-key', 'bulk', '--recent')).find((f) => f.client.endsWith(`:${r.localPort}`)));
  assert.equal([atB.role, atB.listenerSite, atB.connectorSite, atB.peerSite, atB.endpoint, atB.bytesToServer, atB.bytesToClient, atB.outcome, atB.active], ['listener', 'beta', 'alpha', 'alpha', 'bulk', UP, DOWN, 'closed', false]);
  assert.ok(atB.ttfbMs >= 0 && atB.ttfbMs < 10_000, `ttfb ${atB.ttfbMs}`);
  assert.ok(Date.parse(atB.endedAt) >= Date.parse(atB.startedAt));
  // The connector end, at alpha, through the console's JSON API: the same flow id.
  const atA = await waitFor('the connector record', async () => ((await (await fetch(`http://127.0.0.1:${ports[2]}/api/flows?key=bulk&state=recent`)).json()) as { flows: FlowRecordMessage[] }).flows.find((f) => f.id === atB.id));
  assert.equal([atA.role, atA.listenerSite, atA.connectorSite, atA.peerSite, atA.endpoint, atA.target, atA.client, atA.bytesToServer, atA.bytesToClient, atA.outcome],
    ['connector', 'beta', 'alpha', 'beta', 'bulk', `127.0.0.1:${ports[4]}`, atB.client, UP, DOWN, 'closed']);
  assert.ok(atA.ttfbMs >= 0 && atA.ttfbMs <= atB.ttfbMs + 50, `the server answers alpha first (${atA.ttfbMs} ms) and beta after (${atB.ttfbMs} ms)`);
  // The plain table names it too.
  const table = await svcnetOk(['flow', 'list', '--dir', B, '--routing-key', 'bulk']);
  assert.match(table, /^ID\s+ROLE\s+ROUTING KEY\s+SITES/m);
  assert.match(table, new RegExp(`^${atB.id.slice(0, 8)}\\s+listener\\s+bulk\\s+beta -> alpha\\s.*closed$`, 'm'));
});

test('issue 12: an active flow is listed as active with its bytes so far', async () => {
  const s = net.connect({ port: ports[7], host: '127.0.0.1', allowHalfOpen: true });
  await new Promise((r) => s.once('connect', r));
  s.write(Buffer.alloc(5000, 2));
  const live = await waitFor('an active record with the bytes', async () => (await flows(B, '--active', '--routing-key', 'bulk')).find((f) => f.client.endsWith(`:${s.localPort}`) && f.bytesToServer === 5000));
  assert.equal([live.active, live.outcome, live.endedAt, live.ttfbMs], [true, '', '', -1]);
  s.end();
  await new Promise((r) => s.on('close', r).resume());
});

test('issue 12: a refused connection, a server reset and an OPEN for a key nobody serves show their outcomes', async () => {
  const refused = await flow(ports[9], 10);
  assert.ok(refused.error, 'the client sees the refusal as a reset');
  const reset = await flow(ports[8], 10);
  assert.ok(reset.error, 'the client sees the server\'s reset');
  const outcome = async (dir: string, key: string) => waitFor(`${key} record at ${path.basename(dir)}`, async () => (await flows(dir, '--routing-key', key, '--recent'))[0]?.outcome);
  assert.is(await outcome(B, 'gone'), 'refused');
  assert.is(await outcome(A, 'gone'), 'refused');
  assert.is(await outcome(B, 'rst'), 'reset_by_server');
  assert.is(await outcome(A, 'rst'), 'reset_by_server');
  // A peer (with a real link certificate) opens a stream for a key no connector serves at alpha.
  const m = await LinkPeer.connect(ports[0], readCredentials(M));
  try {
    m.helloFrom(M);
    await m.peerHello();
    m.write(frame(P.FRAME_OPEN, 1, JSON.stringify({ key: 'nobody', dst: siteId(A), src: siteId(M), client: '10.0.0.9:1234', flow: 'mallory-flow-1' })));
    await m.waitFrame((f) => f.type === P.FRAME_RESET && f.stream === 1);
  } finally { m.close(); }
  const nr = await waitFor('the no-route record', async () => (await flows(A, '--outcome', 'no_route')).find((f) => f.id === 'mallory-flow-1'));
  assert.equal([nr.role, nr.routingKey, nr.listenerSite, nr.client, nr.bytesToServer], ['connector', 'nobody', 'mallory', '10.0.0.9:1234', 0]);
  const bad = spawnSync(process.execPath, [path.resolve('bin/svcnet.js'), 'flow', 'list', '--dir', A, '--outcome', 'exploded'], { encoding: 'utf8' });
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /outcome: "exploded" is not one of closed/);
});

test('issue 12: /metrics counts the flows by outcome and their bytes, and passes promtool', async () => {
  const text = await metrics(ports[3]);
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  assert.ok(value(/^svcnet_flows_total\{routing_key="bulk",role="listener",peer_site="alpha",outcome="closed"\} (\d+)$/m) >= 1, text);
  assert.ok(value(/^svcnet_flows_total\{routing_key="gone",role="listener",peer_site="alpha",outcome="refused"\} (\d+)$/m) >= 1);
  assert.ok(value(/^svcnet_flows_total\{routing_key="rst",role="listener",peer_site="alpha",outcome="reset_by_server"\} (\d+)$/m) >= 1);
  assert.is(value(/^svcnet_bytes_total\{routing_key="bulk",role="listener",peer_site="alpha",direction="to_client"\} (\d+)$/m), 2 * DOWN, 'the server answered both bulk flows');
  assert.is(value(/^svcnet_bytes_total\{routing_key="bulk",role="listener",peer_site="alpha",direction="to_server"\} (\d+)$/m), UP + 5000);
  assert.ok(value(/^svcnet_flow_duration_seconds_count\{routing_key="bulk",role="listener"\} (\d+)$/m) >= 2);
  if (spawnSync('which', ['promtool']).status === 0) execFileSync('promtool', ['check', 'metrics'], { input: text });
});

test('issue 12: a Watch for FLOW_OPEN and FLOW_END gets each flow opened and ended, with its key, peer site and bytes', async () => {
  const client = unixClient(B);
  const events: Event[] = [];
  const w = client.watch({ types: ['FLOW_OPEN', 'FLOW_END'] }, (e) => { if (e.type !== 'SYNC') events.push(e); });
  try {
    // The engine reports flow events only while someone watches: give the subscription time to reach it.
    await waitFor('the engine told of the watcher', async () => {
      await flow(ports[7], 10);
      return events.some((e) => e.type === 'FLOW_END' && e.flow?.bytesIn === 10) || undefined;
    }, 10_000, 200);
    events.length = 0;
    const r = await flow(ports[7], UP);
    assert.is(r.got, DOWN);
    const end = await waitFor('FLOW_END of the flow', () => events.find((e) => e.type === 'FLOW_END' && e.flow?.bytesIn === UP));
    assert.equal([end.flow!.routingKey, end.flow!.listener, end.flow!.site, end.flow!.bytesOut, end.flow!.error], ['bulk', 'bulk', 'alpha', DOWN, '']);
    const open = events.find((e) => e.type === 'FLOW_OPEN');
    assert.ok(open && open.seq < end.seq && open.flow!.routingKey === 'bulk', JSON.stringify(events));
  } finally {
    w.cancel();
    client.close();
  }
});

test('issue 12: svcnet_link_up keeps its labels when the link goes down (only the value changes)', async () => {
  const before = await metrics(ports[3]);
  const up = /^svcnet_link_up\{link="link-alpha",direction="outbound",peer_site="alpha"\} 1$/m;
  assert.match(before, up);
  const sent = (text: string) => Number(/^svcnet_link_bytes_total\{link="link-alpha",direction="out"\} (\d+)$/m.exec(text)?.[1] ?? NaN);
  const received = (text: string) => Number(/^svcnet_link_bytes_total\{link="link-alpha",direction="in"\} (\d+)$/m.exec(text)?.[1] ?? NaN);
  assert.ok(sent(before) > UP + 5000 && received(before) > 2 * DOWN, `the link carried the flows' bytes and their frame headers (${sent(before)} out, ${received(before)} in)`);
  await kill(siteA);
  await waitFor('the link down at beta', () => runtimeStatus(B)?.links.every((l) => l.status !== 'ready'), 10_000);
  const after = await metrics(ports[3]);
  assert.match(after, /^svcnet_link_up\{link="link-alpha",direction="outbound",peer_site="alpha"\} 0$/m);
  assert.is(after.split('\n').filter((l) => l.startsWith('svcnet_link_up{')).length, before.split('\n').filter((l) => l.startsWith('svcnet_link_up{')).length, 'no new series');
  assert.ok(sent(after) >= sent(before) && received(after) >= received(before), 'the link\'s byte counters keep what it carried after it went down');
});

test.run();
