// Engine host (issue 11): the real data-plane engine hosted in a worker_threads Worker vs a forked child
// process (serialization 'advanced'): start-up, RSS, message cost, socket hand-off and crash isolation.
// Run `node dist/bench/engine-host.js`; every figure comes from a fresh probe process (bench/analysis/engine-host.md).
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { percentile, summarize } from './stats.js';
import { mdTable, num } from './tables.js';

type Host = 'worker' | 'child';
type Msg = { kind: string; [field: string]: unknown };
type Handle = net.Socket | net.Server;
/** One side of the control channel, the same shape over a worker's port and a child's IPC pipe. */
interface Port { send(m: Msg, handle?: Handle): void; on(f: (m: Msg, handle?: Handle) => void): void }
interface Engine { port: Port; pid: number; exited: Promise<{ code: number | null; signal: string | null; error?: string }>; stop(): void }

const SELF = fileURLToPath(import.meta.url);
const HOSTS: Host[] = ['worker', 'child'];
const CRASHES = ['throw', 'abort', 'oom', 'segv'];
const REPS = 3, WARMUP = 200, PAIRS = 2000, EVENTS = 20_000, CONNS = 2000, BATCH = 100, CONCURRENCY = 8, BOUND_MS = 20_000;

/** A memory figure of `pid` in MiB: VmRSS or RssAnon from status, Pss (shared pages split between sharers) from smaps_rollup. */
const memMiB = (pid: number | 'self', field: 'VmRSS' | 'RssAnon' | 'Pss') =>
  Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/${field === 'Pss' ? 'smaps_rollup' : 'status'}`, 'utf8'))?.[1] ?? NaN) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The engine side: loads the real data plane (wasm core with a 4 MiB window), then answers the probe. */
async function engine(port: Port): Promise<void> {
  const [{ Dataplane }, { loadCore }, , { DataplaneAgent }, { default: pino }, { SiteIdentity }] = await Promise.all([
    import('../dataplane/dataplane.js'), import('../dataplane/core/wasm-core.js'), import('../dataplane/link-server.js'),
    import('../dataplane/xds/agent.js'), import('pino'), import('../common/identity.js')]);
  const log = pino({ level: 'warn' }, pino.destination(2));
  const identity = SiteIdentity.generate();
  const dp = new Dataplane({ siteId: identity.id, siteName: 'bench', identity, core: loadCore(4 << 20), window: 4 << 20, log });
  new DataplaneAgent(dp, { log });
  port.on((m, handle) => {
    if (m.kind === 'req') port.send({ kind: 'res', id: m.id, status: m.status });
    else if (m.kind === 'emit') for (let i = 0; i < EVENTS; i++) port.send(flowEnd(i));
    else if (m.kind === 'emit-batched') for (let i = 0; i < EVENTS; i += BATCH) port.send({ kind: 'flow-ends', events: Array.from({ length: BATCH }, (_, j) => flowEnd(i + j)) });
    else if (m.kind === 'sock' && handle instanceof net.Socket) echoOnce(handle);
    else if (m.kind === 'server' && handle instanceof net.Server) { handle.on('connection', echoOnce); port.send({ kind: 'accepting' }); }
    else if (m.kind === 'crash') crash(String(m.how));
  });
  port.send({ kind: 'ready' });
}

const flowEnd = (id: number) => ({ kind: 'flow-end', id, key: 'backend:8080', bytesIn: id * 7, bytesOut: id * 3 });

function echoOnce(s: net.Socket): void {
  s.on('error', () => s.destroy());
  s.once('data', (b) => s.end(b));
}

/** The fatal errors an engine can meet: a bug that throws, abort(), V8 heap exhaustion, a native fault. */
function crash(how: string): void {
  if (how === 'throw') setImmediate(() => { throw new Error('engine bug'); });
  else if (how === 'abort') process.abort();
  else if (how === 'segv') process.kill(process.pid, 'SIGSEGV');
  else if (how === 'oom') {
    const hog: string[][] = [];
    for (let i = 0; i < 5e7; i++) hog.push([`${i}`.padEnd(64, 'x')]); // bounded; 32 MiB of old space is gone long before
  }
}

/** Starts the engine in a Worker or a forked child; `limited` caps its old-generation heap at 32 MiB. */
function start(host: Host, limited: boolean): Engine {
  if (host === 'worker') {
    const w = new Worker(SELF, { workerData: { role: 'engine' }, resourceLimits: limited ? { maxOldGenerationSizeMb: 32 } : undefined });
    let error: string | undefined;
    w.on('error', (e) => { error = `${(e as NodeJS.ErrnoException).code ?? 'Error'}: ${e.message}`; });
    const exited = new Promise<{ code: number | null; signal: string | null; error?: string }>((r) => w.once('exit', (code) => r({ code, signal: null, error })));
    return { port: { send: (m) => w.postMessage(m), on: (f) => w.on('message', f) }, pid: process.pid, exited, stop: () => void w.terminate() };
  }
  const c: ChildProcess = fork(SELF, ['engine'], { serialization: 'advanced', execArgv: limited ? ['--max-old-space-size=32'] : [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  c.stderr?.resume(); // abort and OOM reports are expected noise
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => c.once('exit', (code, signal) => r({ code, signal })));
  const port: Port = { send: (m, h) => void c.send(m, h), on: (f) => c.on('message', (m, h) => f(m as Msg, h as Handle | undefined)) };
  return { port, pid: c.pid!, exited, stop: () => void c.kill() };
}

/** Resolves when `n` messages of `kind` have arrived (one waiter at a time, which is all a probe needs). */
class Inbox {
  private want = '';
  private left = 0;
  private done: ((m: Msg) => void) | undefined;
  constructor(port: Port) { port.on((m) => { if (m.kind === this.want && --this.left === 0) this.done?.(m); }); }
  wait(kind: string, n = 1): Promise<Msg> { this.want = kind; this.left = n; return new Promise((r) => { this.done = r; }); }
}

/** A ~2 KiB nested status snapshot, the kind of object the engine reports to the control plane. */
function statusLike(): object {
  const links = Array.from({ length: 7 }, (_, i) => ({ peer: `site-${i}`, id: `9c1e4f2a-3b7d-4e21-8f60-a1b2c3d4e5f${i}`, state: 'ready', dialer: i % 2 === 0,
    rttMs: 0.41 + i, streams: 12 * i, bytesIn: 123456789 * i, bytesOut: 98765432 * i, since: '2026-11-30T23:00:00.000Z' }));
  const listeners = Array.from({ length: 5 }, (_, i) => ({ key: `svc-${i}:8080`, host: '0.0.0.0', port: 9000 + i, flows: i, reachable: true }));
  return { site: { id: '0d5e8a77-1c2b-4f3e-9a8b-7c6d5e4f3a2b', name: 'bench', version: 42 }, links, listeners,
    counters: { flowsOpened: 1234, flowsRefused: 3, framesIn: 987654, framesOut: 876543, resets: 7, relays: 2 } };
}

/** Accepted connections per second: CONNS clients (CONCURRENCY at a time) each send a byte and wait for the echo. */
async function connRate(port: number): Promise<number> {
  const t0 = performance.now();
  let started = 0, closed = 0, echoed = 0;
  await new Promise<void>((resolve) => {
    const next = () => {
      if (started >= CONNS || performance.now() - t0 > BOUND_MS) { if (closed === started) resolve(); return; }
      started++;
      const s = net.connect(port, '127.0.0.1', () => s.write('x'));
      s.once('data', () => { echoed++; s.destroy(); });
      s.on('error', () => s.destroy());
      s.once('close', () => { closed++; next(); });
    };
    for (let i = 0; i < CONCURRENCY; i++) next();
  });
  return echoed / ((performance.now() - t0) / 1000);
}

/** One fresh process, one engine: start-up, RSS, round trips, event throughput, socket hand-off. */
async function probe(host: Host): Promise<Record<string, number | string>> {
  const before = memMiB('self', 'VmRSS'), beforeAnon = memMiB('self', 'RssAnon');
  const t0 = performance.now();
  const e = start(host, false);
  const inbox = new Inbox(e.port);
  await inbox.wait('ready');
  const startMs = performance.now() - t0;
  await sleep(500);
  const total = (f: 'VmRSS' | 'RssAnon' | 'Pss') => memMiB('self', f) + (host === 'child' ? memMiB(e.pid, f) : 0);
  const mem = { before, beforeAnon, after: total('VmRSS'), anon: total('RssAnon'), pss: total('Pss'), child: host === 'child' ? memMiB(e.pid, 'VmRSS') : NaN };
  const status = statusLike();
  const rtt: number[] = [];
  for (let i = 0; i < WARMUP + PAIRS; i++) {
    const s = performance.now();
    const reply = inbox.wait('res');
    e.port.send({ kind: 'req', id: i, status });
    await reply;
    if (i >= WARMUP) rtt.push((performance.now() - s) * 1000);
  }
  rtt.sort((a, b) => a - b);
  const t1 = performance.now();
  const all = inbox.wait('flow-end', EVENTS);
  e.port.send({ kind: 'emit' });
  await all;
  const eventsPerS = EVENTS / ((performance.now() - t1) / 1000);
  const t2 = performance.now();
  const batches = inbox.wait('flow-ends', EVENTS / BATCH);
  e.port.send({ kind: 'emit-batched' });
  await batches;
  const r: Record<string, number | string> = { startMs, ...mem, p50: percentile(rtt, 50), p90: percentile(rtt, 90), p99: percentile(rtt, 99),
    eventsPerS, batchedPerS: EVENTS / ((performance.now() - t2) / 1000) };
  if (host === 'worker') {
    try { e.port.send({ kind: 'sock', sock: new net.Socket() }); r.handle = 'posted'; } catch (err) { r.handle = `${(err as Error).name}: a net.Socket ${/could not be cloned/.test(String(err)) ? 'could not be cloned' : String(err)}`; }
  } else {
    const server = net.createServer({ pauseOnConnect: true }, (s) => e.port.send({ kind: 'sock' }, s));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    r.handedPerS = await connRate((server.address() as net.AddressInfo).port);
    server.close();
    const shared = net.createServer({ pauseOnConnect: true }); // the way several engines share one port on Node 20
    await new Promise<void>((res) => shared.listen(0, '127.0.0.1', res));
    const accepting = inbox.wait('accepting');
    e.port.send({ kind: 'server' }, shared);
    await accepting;
    const sharedPort = (shared.address() as net.AddressInfo).port;
    await new Promise((res) => shared.close(res)); // our copy of the listening fd; the engine keeps its own
    r.ownPerS = await connRate(sharedPort);
  }
  e.stop();
  return r;
}

/** One fresh process: the engine meets a fatal error; does this process survive, and when is it told? */
async function crashProbe(host: Host, how: string): Promise<Record<string, number | string | null>> {
  const e = start(host, how === 'oom');
  await new Inbox(e.port).wait('ready');
  const t0 = performance.now();
  e.port.send({ kind: 'crash', how });
  const x = await e.exited;
  return { toldMs: performance.now() - t0, code: x.code, signal: x.signal, error: x.error ?? null };
}

/** Whether this Node honours `reusePort` (v22.12 / v23.1 and later): two servers bind one port, or the second fails. */
async function reusePortCheck(): Promise<string> {
  const opts = (port: number) => ({ port, host: '127.0.0.1', reusePort: true }) as net.ListenOptions;
  const a = net.createServer();
  await new Promise<void>((r) => a.listen(opts(0), r));
  const b = net.createServer();
  const res = await new Promise<string>((r) => {
    b.once('error', (err: NodeJS.ErrnoException) => r(`ignored: second bind fails with ${err.code}`));
    b.listen(opts((a.address() as net.AddressInfo).port), () => r('honoured: two servers bound one port'));
  });
  a.close(); b.close();
  return res;
}

function runProbe(args: string[]): { out?: Record<string, unknown>; died?: string } {
  const p = spawnSync(process.execPath, [SELF, ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (p.status === 0) return { out: JSON.parse(p.stdout.trim().split('\n').pop()!) };
  return { died: p.signal ? `killed by ${p.signal}` : `exit ${p.status}: ${p.stderr.trim().split('\n').pop()}` };
}

async function main(): Promise<void> {
  console.log(`engine host bench: node ${process.version}, ${new Date().toISOString()}, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, `
    + `status object ${JSON.stringify(statusLike()).length} bytes of JSON`);
  const runs = new Map<Host, Record<string, number | string>[]>(HOSTS.map((h) => [h, []]));
  for (let rep = 0; rep < REPS; rep++) for (const h of HOSTS) {
    const r = runProbe(['probe', h]);
    if (r.out) runs.get(h)!.push(r.out as Record<string, number | string>); else console.log(`probe ${h} failed: ${r.died}`);
  }
  const med = (h: Host, k: string, d: number) => {
    const s = summarize(runs.get(h)!.map((r) => Number(r[k] ?? NaN)));
    return s.n === 0 ? '—' : `${num(s.median, d)} (${num(s.min, d)}–${num(s.max, d)})`;
  };
  const row = (label: string, k: string, d: number) => [label, ...HOSTS.map((h) => med(h, k, d))];
  const rows = [row('start-up to ready, ms', 'startMs', 0), row('RSS of the parent alone, MiB', 'before', 1), row('RSS with engine idle, MiB (total)', 'after', 1),
    row('  of which the child, MiB', 'child', 1), row('RssAnon of the parent alone, MiB', 'beforeAnon', 1),
    row('RssAnon with engine idle, MiB (total)', 'anon', 1), row('PSS with engine idle, MiB (total)', 'pss', 1), row('round trip p50, µs (2 KiB object)', 'p50', 0), row('round trip p90, µs', 'p90', 0), row('round trip p99, µs', 'p99', 0),
    row(`events/s (${EVENTS} one-way, one per message)`, 'eventsPerS', 0), row(`events/s (${BATCH} per message)`, 'batchedPerS', 0),
    ['socket to engine', String(runs.get('worker')![0]?.handle ?? '—'), `parent accepts, hands over: ${med('child', 'handedPerS', 0)} conn/s`],
    ['engine accepts on a listening socket sent to it', '—', `${med('child', 'ownPerS', 0)} conn/s`]];
  for (const how of CRASHES) {
    rows.push([`crash: ${how}`, ...HOSTS.map((h) => {
      const r = runProbe(['crash', h, how]);
      if (!r.out) return `PARENT DIED (${r.died})`;
      const o = r.out as { toldMs: number; code: number | null; signal: string | null; error: string | null };
      return `parent survives; exit in ${num(o.toldMs, 1)} ms (${o.signal ?? `code ${o.code}`}${o.error ? `, ${o.error.split(':')[0]}` : ''})`;
    })]);
  }
  rows.push(['net reusePort on this Node', await reusePortCheck(), '']);
  console.log(`load at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(mdTable(['figure (median of runs, min–max)', 'worker_threads', 'child_process.fork'], rows));
}

const role = !isMainThread ? (workerData as { role?: string } | null)?.role : process.argv[2];
if (role === 'engine' && parentPort) {
  const pp = parentPort;
  void engine({ send: (m) => pp.postMessage(m), on: (f) => pp.on('message', f) });
} else if (role === 'engine') {
  process.on('disconnect', () => process.exit(0)); // the probe is gone: do not linger on the data plane's timers
  void engine({ send: (m, h) => void process.send!(m, h), on: (f) => process.on('message', (m, h) => f(m as Msg, h as Handle | undefined)) });
} else if (role === 'probe' || role === 'crash') {
  setTimeout(() => { console.error('probe exceeded 50 s'); process.exit(2); }, 50_000).unref();
  const out = role === 'probe' ? await probe(process.argv[3] as Host) : await crashProbe(process.argv[3] as Host, process.argv[4]);
  console.log(JSON.stringify(out));
  process.exit(0);
} else {
  await main();
}
