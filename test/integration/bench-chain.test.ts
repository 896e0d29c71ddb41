// `svcnet bench` (issue 14) on a chain of three loopback sites (C -> B -> A; C and A not linked):
// the bench from C to A crosses B and says so (socket ends, the default, and engine ends; the relay
// reports its CPU), a socket-ends bench between two neighbours, its traffic stays out of every site's flow records,
// a second run between the same sites is refused while one runs, cancelling (API and Ctrl-C) closes
// every flow, a target whose policy refuses bench streams fails the run with the code, and the
// reserved key cannot be bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, svcnet, svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { unixClient } from '../../control/api/client.js';
import type { BenchmarkEvent, BenchmarkResult } from '../../control/api/types.js';
import type { ApiError } from '../../control/api/errors.js';

const root = tempDir();
const [A, B, C] = ['a', 'b', 'c'].map((n) => path.join(root, n));

test.before(async () => {
  const ports = await freePorts(8);
  await svcnetOk(['site', 'create', 'site-a', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'site-b', '--dir', B, '--link-access', '--link-port', String(ports[2]), '--grant-port', String(ports[3])]);
  await svcnetOk(['site', 'create', 'site-c', '--dir', C]);
  runSite(A); runSite(B); runSite(C);
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B) && runtimeStatus(C));
  await svcnetOk(['token', 'issue', path.join(root, 'a.token'), '--dir', A]);
  await svcnetOk(['token', 'redeem', path.join(root, 'a.token'), '--dir', B]);
  await svcnetOk(['token', 'issue', path.join(root, 'b.token'), '--dir', B]);
  await svcnetOk(['token', 'redeem', path.join(root, 'b.token'), '--dir', C]);
  await waitFor('C sees A two hops away', () => runtimeStatus(C)?.network.sites.find((s) => s.name === 'site-a' && s.cost === 2));
});

test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Streams (flows and relay halves) open in a site's engine. */
async function streams(dir: string): Promise<number> {
  const c = unixClient(dir);
  try { return (await c.getMetrics()).streamsActive; } finally { c.close(); }
}

/** Starts a run over the API; resolves `started` at its first progress event. */
function apiRun(dir: string, req: { to: string; durationMs: number; flows?: number }) {
  const c = unixClient(dir);
  let started!: () => void;
  const first = new Promise<void>((r) => { started = r; });
  let result: BenchmarkResult | undefined;
  let cancel = () => {};
  const done = new Promise<{ result?: BenchmarkResult; err?: ApiError }>((resolve) => {
    const call = c.runBenchmark(req, (e: BenchmarkEvent) => { if (e.progress) started(); if (e.result) result = e.result; }, (err) => { c.close(); resolve({ result, err }); });
    cancel = () => call.cancel();
  });
  return { first, done, cancel: () => cancel() };
}

/** Every figure of a finished run is there and sane (no timing thresholds). */
function sane(r: BenchmarkResult, flows: number): void {
  assert.is(r.throughput.flows, flows);
  assert.is(r.throughput.perFlowGbps.length, flows);
  assert.ok(r.throughput.bytes > 1_000_000, `bytes ${r.throughput.bytes}`);
  assert.ok(r.throughput.totalGbps > 0 && r.throughput.perFlowGbps.every((g) => g > 0), JSON.stringify(r.throughput));
  assert.ok(r.latency.samples > 10 && r.latency.p50Ms > 0 && r.latency.p50Ms <= r.latency.p90Ms && r.latency.p90Ms <= r.latency.p99Ms, JSON.stringify(r.latency));
  assert.ok(r.rate.flows > 10 && r.rate.flowsPerSec > 0, JSON.stringify(r.rate));
  assert.is(r.rate.failed, 0, JSON.stringify(r.rate));
  for (const c of r.cpu) assert.ok(c.cpuSeconds > 0 && c.secondsPerGb > 0, JSON.stringify(c));
}

test('the bench from C to A crosses B, reports every figure, and stays out of the flow records', async () => {
  const out = await svcnetOk(['bench', '--to', 'site-a', '--dir', C, '--duration', '2s', '--flows', '2', '-o', 'json']);
  const r = JSON.parse(out) as BenchmarkResult;
  assert.is(r.ends, 'socket');
  sane(r, 2);
  assert.equal(r.path.sites.map((s) => s.name), ['site-c', 'site-b', 'site-a']);
  assert.is(r.path.hops, 2);
  assert.is(r.throughput.flows, 2);
  assert.is(r.throughput.perFlowGbps.length, 2);
  assert.ok(r.throughput.bytes > 1_000_000, `bytes ${r.throughput.bytes}`);
  assert.ok(r.throughput.totalGbps > 0);
  assert.ok(r.latency.samples > 10 && r.latency.p50Ms > 0 && r.latency.p50Ms <= r.latency.p90Ms && r.latency.p90Ms <= r.latency.p99Ms, JSON.stringify(r.latency));
  assert.ok(r.rate.flows > 10 && r.rate.flowsPerSec > 0, JSON.stringify(r.rate));
  assert.equal(r.cpu.map((c) => `${c.site} ${c.role}`), ['site-c driver', 'site-a target', 'site-b relay']);
  assert.equal(r.notes, []);
  // No site lists a bench stream among its flows (relay included), nor counts it in flow metrics.
  for (const dir of [A, B, C]) {
    const flows = JSON.parse(await svcnetOk(['flow', 'list', '--dir', dir, '-o', 'json'])) as unknown[];
    assert.is(flows.length, 0, `${dir}: ${JSON.stringify(flows).slice(0, 200)}`);
  }
  const c = unixClient(A);
  const m = await c.getMetrics();
  c.close();
  assert.match(m.prometheus, /svcnet_bench_bytes_total\{direction="received"\} [1-9]/);
  // The table names the path.
  const table = await svcnetOk(['bench', '--to', 'site-a', '--dir', C, '--duration', '1s']);
  assert.match(table, /PATH\s+site-c -> site-b -> site-a \(2 hops/);
  assert.match(table, /THROUGHPUT\s+[\d.]+ Gbit\/s/);
  assert.match(table, /ENDS\s+socket \(loopback TCP sockets/);
  assert.match(table, /CPU PER GB\s+site-c \(driver\) [\d.]+ s, site-a \(target\) [\d.]+ s, site-b \(relay\) [\d.]+ s/);
  // Never a listener or connector of the sites', and nothing left open once over.
  for (const dir of [A, B, C]) {
    const st = runtimeStatus(dir)!;
    assert.equal(st.listeners, [], dir);
    await waitFor(`${dir}: no stream left`, async () => (await streams(dir)) === 0);
  }
});

test('engine ends cross the relay too; socket ends between two neighbours', async () => {
  const e = JSON.parse(await svcnetOk(['bench', '--to', 'site-a', '--dir', C, '--duration', '1s', '--ends', 'engine', '-o', 'json'])) as BenchmarkResult;
  assert.is(e.ends, 'engine');
  assert.is(e.path.hops, 2);
  sane(e, 1);
  assert.equal(e.cpu.map((c) => c.role), ['driver', 'target', 'relay']);
  const two = JSON.parse(await svcnetOk(['bench', '--to', 'site-b', '--dir', C, '--duration', '1s', '--flows', '3', '-o', 'json'])) as BenchmarkResult;
  assert.is(two.ends, 'socket');
  assert.equal(two.path.sites.map((s) => s.name), ['site-c', 'site-b']);
  sane(two, 3);
  assert.equal(two.cpu.map((c) => c.role), ['driver', 'target']);
  for (const dir of [B, C]) await waitFor(`${dir}: no stream left`, async () => (await streams(dir)) === 0);
});

test('a second bench between the same sites is refused; cancelling closes every flow', async () => {
  const run = apiRun(C, { to: 'site-a', durationMs: 20_000, flows: 4 });
  await run.first;
  const second = await svcnet(['bench', '--to', 'site-a', '--dir', C, '--duration', '1s']);
  assert.is(second.code, 1);
  assert.match(second.stderr, /already running/);
  assert.is(second.stderr.trim().split('\n').length, 1);
  assert.ok((await streams(C)) >= 4);
  run.cancel();
  const end = await run.done;
  assert.is(end.result, undefined);
  for (const dir of [C, B, A]) await waitFor(`${dir}: no stream left`, async () => (await streams(dir)) === 0);
});

test('Ctrl-C cancels the CLI run: exit 1, one line, flows closed', async () => {
  const child = spawn(process.execPath, [BIN, 'bench', '--to', 'site-a', '--dir', C, '--duration', '20s', '--flows', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  await waitFor('the run started', () => stderr.includes('throughput'));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.is(code, 1);
  assert.match(stderr, /error: bench cancelled/);
  for (const dir of [C, B, A]) await waitFor(`${dir}: no stream left`, async () => (await streams(dir)) === 0);
});

test('a target whose policy refuses bench streams fails the run with the code', async () => {
  await svcnetOk(['site', 'policy', '--bench', 'off', '--dir', A]);
  const refused = await svcnet(['bench', '--to', 'site-a', '--dir', C, '--duration', '1s']);
  const shown = JSON.parse(await svcnetOk(['site', 'policy', '--bench', 'on', '--dir', A, '-o', 'json'])) as { bench: boolean };
  assert.is(shown.bench, true);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /SVCNET_ERR_POLICY_DENIED/);
  for (const dir of [C, B]) await waitFor(`${dir}: no stream left`, async () => (await streams(dir)) === 0);
  // Served again once the policy allows it.
  const ok = JSON.parse(await svcnetOk(['bench', '--to', 'site-a', '--dir', C, '--duration', '1s', '-o', 'json'])) as BenchmarkResult;
  assert.ok(ok.throughput.bytes > 0);
});

test('usage errors exit 2 in one line; an unknown site exits 1', async () => {
  for (const args of [[], ['--to', 'site-a', '--ends', 'kernel'], ['--to', 'site-a', '--flows', '0'], ['--to', 'site-a', '--duration', '2h'], ['--to', 'site-a', '--size', 'big'], ['--to', 'site-a', '-o', 'xml']]) {
    const r = await svcnet(['bench', '--dir', C, ...args]);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const unknown = await svcnet(['bench', '--to', 'nowhere', '--dir', C, '--duration', '1s']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /"nowhere" is not in this site's network/);
  const from = await svcnet(['bench', '--to', 'site-a', '--from', 'site-b', '--dir', C, '--duration', '1s']);
  assert.is(from.code, 1);
  assert.match(from.stderr, /runs from the site whose API is called \(site-c\)/);
});

test('the reserved routing key cannot be bound by a listener or connector', async () => {
  const l = await svcnet(['listener', 'create', 'sneaky', '9', '--routing-key', 'svcnet.bench', '--dir', C]);
  assert.is(l.code, 2, l.stderr);
  assert.match(l.stderr, /reserved for svcnet bench/);
  const c = await svcnet(['connector', 'create', 'sneaky', '9', '--routing-key', 'svcnet.bench', '--dir', A]);
  assert.match(c.stderr, /reserved for svcnet bench/);
});

test.run();
