// The measurements of `svcnet bench --ends socket` (issue 14, the default) at the driving engine:
// what an application's flows get. The bench-ends worker's client sockets (socket-phases.ts)
// connect to a bench entry port this engine opens on 127.0.0.1:ephemeral for the run only (never a
// listener of the site's, never exposed, closed after the run); each connection becomes an ordinary
// Flow toward the target, as a listener's client does, and the target joins it to its worker's
// source, sink or echo as a connector joins its server. Bulk bytes flow from the target's source to
// this side's clients, as `npm run bench`'s bulk flows go from the backend (behind the connector)
// to the load client (at the listener). A control stream beside the flows carries the target's CPU.
import net from 'node:net';
import * as P from '../../wasm/assembly/protocol.js';
import { Flow } from '../flow.js';
import type { EndpointTable } from '../endpoint-table.js';
import type { Link } from '../link.js';
import { BenchStream } from './bench-stream.js';
import type { BenchKind, BenchOpen, BenchStats } from './bench-server.js';
import { ControlStream } from './bench-control.js';
import type { BenchEnds, EndsThroughput } from './bench-ends.js';
import type { ThroughputFlow } from './bench-phases.js';
import { StreamFailed } from './bench-phases.js';
import { BENCH_KEY } from '../../common/bench-request.js';

export interface SocketRunDeps {
  siteId: string;
  io: EndpointTable;
  nextLink(siteId: string): Link | undefined;
  stats: BenchStats;
  ends: BenchEnds;
  newFlowId(): string;
}

/** The run's live state the driver resets on cancel (flows, the control stream, the entry port). */
export interface SocketRunState { over: boolean; streams: Set<BenchStream>; flows: Set<Flow>; cleanups: (() => void)[] }

export class SocketRun {
  /** what the next accepted connection asks of the target */
  private kind: BenchKind = 'source';
  private port = 0;
  private control: ControlStream | undefined;

  constructor(private readonly d: SocketRunDeps, private readonly run: SocketRunState, private readonly target: string) {}

  /** Opens a stream of the run toward the target (OPEN on the reserved key), or undefined. */
  private openSlot(bench: BenchKind, ends?: 'socket'): { link: Link; slot: number } | undefined {
    if (this.run.over) return undefined;
    const link = this.d.nextLink(this.target);
    if (!link) return undefined;
    const slot = this.d.io.core.openStream(link.index);
    if (slot === 0) return undefined;
    const open: BenchOpen = { key: BENCH_KEY, dst: this.target, src: this.d.siteId, flow: this.d.newFlowId(), bench, ...(ends ? { ends } : {}) };
    this.d.io.outbox.stream(link, P.FRAME_OPEN, slot, Buffer.from(JSON.stringify(open)));
    return { link, slot };
  }

  /** The target's engine CPU so far, microseconds (a mark on the control stream). */
  private mark(): Promise<number> {
    if (!this.control) return Promise.reject(new StreamFailed('the control stream is gone', undefined));
    return this.control.mark();
  }

  /** The control stream (the target starts its servers and says so), the worker here and the
   *  entry port, all at once. */
  async prepare(): Promise<void> {
    this.run.cleanups.push(this.d.ends.hold());
    const control = ControlStream.open(this.d, this.target, 'control', this.run.streams);
    if (!control) throw new StreamFailed('no stream slot or route toward the target', P.ERR_NO_ROUTE);
    this.control = control;
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    this.run.cleanups.push(() => server.close());
    const listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // exclusive: bound by this engine itself, never through the site's cluster primary.
      server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => { this.port = (server.address() as net.AddressInfo).port; resolve(); });
    });
    await Promise.all([control.next('the control stream'), listening, this.d.ends.call({ op: 'ping' }).result]);
  }

  /** Closes the control stream: the run is over. */
  end(): void { this.control?.close(); }

  /** A client socket of the worker: a Flow toward the target, as a listener's client becomes one. */
  private accept(socket: net.Socket): void {
    const at = this.openSlot(this.kind, 'socket');
    if (!at) { socket.resetAndDestroy(); return; }
    // Bench bytes count in the bench stats only, never in flow records.
    const flow = new Flow(this.d.io, at.slot, at.link, socket, (f) => {
      this.d.stats.bytesSent += f.bytesFromApp;
      this.d.stats.bytesReceived += f.bytesToApp;
      this.run.flows.delete(f);
    });
    this.run.flows.add(flow);
    this.d.io.set(flow);
  }

  /** Bulk flows from the target's source for `durationMs` (or `maxBytes`), counted where they
   *  arrive; `received` hears the bytes so far. CPU: both engines, the worker threads left out. */
  async throughput(flows: number, maxBytes: number, durationMs: number, drainMs: number, received: (n: number) => void): Promise<{ flows: ThroughputFlow[]; received: number; driverCpuUs: number; targetCpuUs: number }> {
    this.kind = 'source';
    const target0 = await this.mark();
    const cpu0 = this.d.ends.engineCpuUs();
    const call = this.d.ends.call<EndsThroughput>({ op: 'throughput', port: this.port, flows, maxBytes }, received);
    const stop = setTimeout(() => { if (!this.run.over) this.d.ends.call({ op: 'finish', of: call.id }).result.catch(() => {}); }, durationMs);
    let drain: NodeJS.Timeout | undefined;
    this.run.cleanups.push(() => { clearTimeout(stop); clearTimeout(drain); });
    const r = await Promise.race([call.result, new Promise<never>((_, rej) => {
      drain = setTimeout(() => rej(new StreamFailed(`the flows did not end within ${drainMs / 1000} s of the end`, undefined)), durationMs + drainMs);
    })]).finally(() => { clearTimeout(stop); clearTimeout(drain); });
    const driverCpuUs = this.d.ends.engineCpuUs() - cpu0;
    const targetCpuUs = (await this.mark()) - target0;
    return { flows: r.flows.map((f) => ({ ...f, cpuUs: 0 })), received: r.received, driverCpuUs: Math.max(0, driverCpuUs), targetCpuUs: Math.max(0, targetCpuUs) };
  }

  /** Round trips of `size` bytes through the target's echo for `ms`. */
  latency(size: number, ms: number): Promise<number[]> {
    this.kind = 'echo';
    return this.d.ends.call<number[]>({ op: 'latency', port: this.port, size, ms }).result;
  }

  /** Connections opened and closed through the target's sink for `ms`. */
  rate(ms: number): Promise<{ flows: number; failed: number; ms: number }> {
    this.kind = 'sink';
    return this.d.ends.call<{ flows: number; failed: number; ms: number }>({ op: 'rate', port: this.port, ms }).result;
  }
}
