// The driving end of `svcnet bench` (issue 14), in the engine of the site the run starts from: it
// resolves the target, works out the path routing chose, runs the three phases and reports progress
// twice a second and one bench-end. Ends `socket` (the default): the flows carry real loopback
// sockets at both ends, as an application's (socket-run.ts); ends `engine`: streams opened straight
// from this engine to a sink in the target's (bench-phases.ts, no socket at either end: the network
// alone). One run per target at a time; cancel resets every stream and flow.
import * as P from '../../wasm/assembly/protocol.js';
import type { EndpointTable } from '../endpoint-table.js';
import type { Link } from '../link.js';
import type { SiteRecord } from '../routing/site-record.js';
import { BenchStream, type BenchBehaviour } from './bench-stream.js';
import type { BenchOpen, BenchStats } from './bench-server.js';
import { throughput, latency, flowRate, StreamFailed, type OpenBench, type ThroughputFlow } from './bench-phases.js';
import { benchPath, findSite } from './bench-path.js';
import { latencySummary, gbps, cpuPerGB, sidePhaseMs, round } from './bench-stats.js';
import { checkBenchRequest, BENCH_KEY } from '../../common/bench-request.js';
import type { Flow } from '../flow.js';
import type { BenchEnds } from './bench-ends.js';
import { SocketRun } from './socket-run.js';
import { RelayCpu } from './relay-cpu.js';
import type { BenchError, BenchProgress, BenchRequest, BenchResult } from '../port/bench.js';

export const PROGRESS_EVERY_MS = 500;
/** After the sources close, how long the sinks' counts may take (a slow path drains its windows). */
export const DRAIN_MS = 30_000;

export interface BenchDriverDeps {
  siteId: string;
  siteName: string;
  io: EndpointTable;
  /** the ready link toward `siteId`'s next hop */
  nextLink(siteId: string): Link | undefined;
  /** the link-state database */
  records(): ReadonlyMap<string, SiteRecord>;
  stats: BenchStats;
  /** the engine's bench-ends worker (socket mode) */
  ends: BenchEnds;
  progress(id: number, p: BenchProgress): void;
  end(id: number, result?: BenchResult, error?: BenchError): void;
}

interface Run { id: number; target: string; streams: Set<BenchStream>; flows: Set<Flow>; cleanups: (() => void)[]; timers: NodeJS.Timeout[]; over: boolean }

/** What a run measured, before the result is put together. */
interface Measured { seconds: number; sent: number; flows: ThroughputFlow[]; driverCpuUs: number; targetCpuUs: number; rtts: number[]; rate: { flows: number; failed: number; ms: number } }

const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };
const sleep = (ms: number, run: Run) => new Promise<void>((res) => { run.timers.push(setTimeout(res, ms)); });

export class BenchDriver {
  private readonly runs = new Map<number, Run>();
  private flowIds = 0;

  constructor(private readonly d: BenchDriverDeps) {}

  /** Starts run `id`; its outcome comes as reports (progress, then one end). */
  start(id: number, raw: BenchRequest): void {
    const fail = (code: BenchError['code'], message: string) => this.d.end(id, undefined, { code, message });
    const checked = checkBenchRequest(raw);
    if ('error' in checked) return fail('SVCNET_ERR_INVALID_ARGUMENT', checked.error);
    const req = checked.req;
    const records = this.d.records();
    const target = findSite(req.to, records);
    if (!target) return fail('SVCNET_ERR_NO_ROUTE', `site "${req.to}" is not in this site's network`);
    if (target.id === this.d.siteId) return fail('SVCNET_ERR_INVALID_ARGUMENT', 'a bench needs two sites: --to names this site');
    if ([...this.runs.values()].some((r) => r.target === target.id)) return fail('SVCNET_ERR_BENCH_BUSY', `a bench from ${this.d.siteName} to ${target.name} is already running; wait for it or cancel it`);
    const path = benchPath(this.d.siteId, target.id, records);
    if (!path || !this.d.nextLink(target.id)) return fail('SVCNET_ERR_NO_ROUTE', `no path from ${this.d.siteName} to ${target.name} now`);
    const run: Run = { id, target: target.id, streams: new Set(), flows: new Set(), cleanups: [], timers: [], over: false };
    this.runs.set(id, run);
    this.execute(run, req, target, path).then(
      (result) => this.finish(run, result),
      (err: Error) => this.finish(run, undefined, { code: 'SVCNET_ERR_BENCH_FAILED', message: err.message }),
    );
  }

  /** Cancels run `id`: every stream is reset, and its end says so. */
  cancel(id: number): void {
    const run = this.runs.get(id);
    if (run) this.finish(run, undefined, { code: 'SVCNET_ERR_CANCELLED', message: 'bench cancelled; its flows were closed' });
  }

  /** Runs in progress. */
  get running(): number { return this.runs.size; }

  /** Ends every run (engine stopping). */
  stop(): void { for (const id of [...this.runs.keys()]) this.cancel(id); }

  private finish(run: Run, result?: BenchResult, error?: BenchError): void {
    if (run.over) return;
    run.over = true;
    this.runs.delete(run.id);
    for (const t of run.timers) clearTimeout(t);
    for (const s of [...run.streams]) s.reset(P.ERR_ABORTED, 'bench over');
    for (const f of [...run.flows]) f.resetLocal(P.ERR_ABORTED, 'bench over');
    for (const c of run.cleanups) c();
    this.d.end(run.id, result, error);
  }

  private opener(run: Run, target: string): OpenBench {
    return (kind: 'sink' | 'echo', b: BenchBehaviour) => {
      if (run.over) return undefined;
      const link = this.d.nextLink(target);
      if (!link) return undefined;
      const slot = this.d.io.core.openStream(link.index);
      if (slot === 0) return undefined;
      const open: BenchOpen = { key: BENCH_KEY, dst: target, src: this.d.siteId, flow: `bench-${++this.flowIds}`, bench: kind };
      this.d.io.outbox.stream(link, P.FRAME_OPEN, slot, Buffer.from(JSON.stringify(open)));
      // Bench bytes count in the bench stats only, never in flow records.
      const s = new BenchStream(this.d.io, slot, link, b, this.d.stats);
      this.d.io.set(s);
      return s;
    };
  }

  private async execute(run: Run, req: BenchRequest, target: SiteRecord, path: BenchResult['path']): Promise<BenchResult> {
    const notes: string[] = [];
    const relays = new RelayCpu(this.controlDeps(), path.sites.slice(1, -1), run.streams);
    const m = req.ends === 'engine' ? await this.measureEngine(run, req, target.id, relays) : await this.measureSocket(run, req, target.id, relays);
    if (run.over) throw new Error('bench cancelled');
    if (m.sent >= req.maxBytes) notes.push(`the throughput phase stopped at the byte cap (${req.maxBytes} bytes)`);
    const bytes = m.flows.reduce((a, f) => a + f.bytes, 0);
    const driverCpu = m.driverCpuUs / 1e6;
    const lat = latencySummary(m.rtts);
    const rate = m.rate;
    const targetCpu = m.targetCpuUs / 1e6;
    const relayCpu = relays.results();
    for (const r of relayCpu) if (r.cpuSeconds === undefined) notes.push(`relay site ${r.site.name} reports no CPU: ${r.why}`);
    return {
      from: { id: this.d.siteId, name: this.d.siteName }, to: { id: target.id, name: target.name }, path, ends: req.ends,
      throughput: { flows: req.flows, seconds: round(m.seconds), bytes, totalGbps: round(gbps(bytes, m.seconds * 1000)), perFlowGbps: m.flows.map((f) => round(gbps(f.bytes, f.ms))) },
      latency: { size: req.size, samples: m.rtts.length, p50Ms: round(lat.p50), p90Ms: round(lat.p90), p99Ms: round(lat.p99) },
      rate: { flows: rate.flows, failed: rate.failed, seconds: round(rate.ms / 1000), flowsPerSec: round(rate.flows / (rate.ms / 1000), 1) },
      cpu: [
        { site: this.d.siteName, role: 'driver', cpuSeconds: round(driverCpu), secondsPerGb: round(cpuPerGB(driverCpu, bytes)) },
        { site: target.name, role: 'target', cpuSeconds: round(targetCpu), secondsPerGb: round(cpuPerGB(targetCpu, bytes)) },
        ...relayCpu.flatMap((r) => (r.cpuSeconds === undefined ? [] : [{ site: r.site.name, role: 'relay' as const, cpuSeconds: round(r.cpuSeconds), secondsPerGb: round(cpuPerGB(r.cpuSeconds, bytes)) }])),
      ],
      notes,
    };
  }

  /** Progress twice a second while the throughput phase runs, from the bytes sent so far. */
  private ticker(run: Run, t0: number, sent: () => number): () => void {
    let last = { at: t0, bytes: 0 };
    const tick = setInterval(() => {
      const now = performance.now();
      const bytes = sent();
      this.d.progress(run.id, { phase: 'throughput', elapsedMs: Math.round(now - t0), bytes, gbps: round(gbps(bytes - last.bytes, now - last.at)) });
      last = { at: now, bytes };
    }, PROGRESS_EVERY_MS);
    run.timers.push(tick as unknown as NodeJS.Timeout);
    return () => clearInterval(tick);
  }

  private controlDeps() {
    return { siteId: this.d.siteId, io: this.d.io, nextLink: this.d.nextLink, stats: this.d.stats, ends: this.d.ends, newFlowId: () => `bench-${++this.flowIds}` };
  }

  /** Socket ends: the worker's loopback sockets through ordinary flows (socket-run.ts). */
  private async measureSocket(run: Run, req: BenchRequest, target: string, relays: RelayCpu): Promise<Measured> {
    const sr = new SocketRun(this.controlDeps(), run, target);
    await sr.prepare();
    await relays.start();
    const t0 = performance.now();
    let received = 0;
    const stopTick = this.ticker(run, t0, () => received);
    const tp = await sr.throughput(req.flows, req.maxBytes, req.durationMs, DRAIN_MS, (n) => { received = n; }).finally(stopTick);
    await relays.stop();
    const seconds = (performance.now() - t0) / 1000;
    const side = sidePhaseMs(req.durationMs);
    this.d.progress(run.id, { phase: 'latency', elapsedMs: Math.round(performance.now() - t0), bytes: tp.received, gbps: 0 });
    const rtts = await sr.latency(req.size, side);
    this.d.progress(run.id, { phase: 'rate', elapsedMs: Math.round(performance.now() - t0), bytes: tp.received, gbps: 0 });
    const rate = await sr.rate(side);
    sr.end();
    return { seconds, sent: tp.received, flows: tp.flows, driverCpuUs: tp.driverCpuUs, targetCpuUs: tp.targetCpuUs, rtts, rate };
  }

  /** Engine ends: streams straight from this engine to the target's (bench-phases.ts). */
  private async measureEngine(run: Run, req: BenchRequest, target: string, relays: RelayCpu): Promise<Measured> {
    const open = this.opener(run, target);
    await relays.start();
    // Throughput: sources for the duration, then the sinks' counts.
    const t0 = performance.now();
    const cpu0 = cpuUs();
    const tp = throughput(open, req.flows, req.maxBytes);
    for (const s of tp.streams) run.streams.add(s);
    const stopTick = this.ticker(run, t0, tp.sent);
    run.timers.push(setTimeout(() => tp.finish(), req.durationMs));
    let drainTimer: NodeJS.Timeout | undefined;
    const flows = await Promise.race([tp.done, new Promise<never>((_, rej) => {
      drainTimer = setTimeout(() => rej(new StreamFailed(`the target's byte counts did not arrive within ${DRAIN_MS / 1000} s of the end`, undefined)), req.durationMs + DRAIN_MS);
      run.timers.push(drainTimer);
    })]).finally(() => { stopTick(); clearTimeout(drainTimer); });
    const seconds = (performance.now() - t0) / 1000;
    const driverCpuUs = cpuUs() - cpu0;
    await relays.stop();
    // Latency, then the flow rate, each a fifth of the duration (0.5..3 s).
    const side = sidePhaseMs(req.durationMs);
    this.d.progress(run.id, { phase: 'latency', elapsedMs: Math.round(performance.now() - t0), bytes: tp.sent(), gbps: 0 });
    const rtts = await latency(open, req.size, side, run.streams);
    this.d.progress(run.id, { phase: 'rate', elapsedMs: Math.round(performance.now() - t0), bytes: tp.sent(), gbps: 0 });
    const rate = await flowRate(open, side, run.streams);
    return { seconds, sent: tp.sent(), flows, driverCpuUs, targetCpuUs: Math.max(0, ...flows.map((f) => f.cpuUs)), rtts, rate };
  }
}
