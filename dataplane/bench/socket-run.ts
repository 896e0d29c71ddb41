// The measurements of `svcnet bench --ends socket` (issue 14, the default) at the driving engine:
// what an application's flows get. The bench-ends worker's client sockets (socket-phases.ts)
// connect to a bench entry port this engine opens on 127.0.0.1:ephemeral for the run only (never a
// listener of the site's, never exposed, closed after the run); each connection becomes an ordinary
// Flow toward the target, as a listener's client does, and the target joins it to its worker's
// sink or echo as a connector joins its server. Figures come back as bench-phases.ts gives them.
import net from 'node:net';
import * as P from '../../wasm/assembly/protocol.js';
import { Flow } from '../flow.js';
import type { EndpointTable } from '../endpoint-table.js';
import type { Link } from '../link.js';
import { BenchStream } from './bench-stream.js';
import type { BenchOpen, BenchStats } from './bench-server.js';
import type { BenchEnds, EndsThroughput } from './bench-ends.js';
import type { ThroughputFlow } from './bench-phases.js';
import { StreamFailed } from './bench-phases.js';
import { BENCH_KEY } from '../../common/bench-request.js';

/** How long the target may take to start its sink and echo servers. */
export const PREPARE_MS = 10_000;

export interface SocketRunDeps {
  siteId: string;
  io: EndpointTable;
  nextLink(siteId: string): Link | undefined;
  stats: BenchStats;
  ends: BenchEnds;
  newFlowId(): string;
}

/** The run's live state the driver resets on cancel (flows, the prepare stream, the entry port). */
export interface SocketRunState { over: boolean; streams: Set<BenchStream>; flows: Set<Flow>; cleanups: (() => void)[] }

const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };

export class SocketRun {
  /** what the next accepted connection asks of the target */
  private kind: 'sink' | 'echo' = 'sink';
  private port = 0;

  constructor(private readonly d: SocketRunDeps, private readonly run: SocketRunState, private readonly target: string) {}

  /** Opens a stream of the run toward the target (OPEN on the reserved key), or undefined. */
  private openSlot(): { link: Link; slot: number } | undefined {
    if (this.run.over) return undefined;
    const link = this.d.nextLink(this.target);
    if (!link) return undefined;
    const slot = this.d.io.core.openStream(link.index);
    return slot === 0 ? undefined : { link, slot };
  }

  private sendOpen(link: Link, slot: number, bench: BenchOpen['bench'], ends?: 'socket'): void {
    const open: BenchOpen = { key: BENCH_KEY, dst: this.target, src: this.d.siteId, flow: this.d.newFlowId(), bench, ...(ends ? { ends } : {}) };
    this.d.io.outbox.stream(link, P.FRAME_OPEN, slot, Buffer.from(JSON.stringify(open)));
  }

  /** The target starts its sink and echo (a prepare stream it closes once they listen); this side's
   *  worker and the entry port start meanwhile. */
  async prepare(): Promise<void> {
    const release = this.d.ends.hold();
    this.run.cleanups.push(release);
    const ready = new Promise<void>((resolve, reject) => {
      const at = this.openSlot();
      if (!at) { reject(new StreamFailed('no stream slot or route toward the target', P.ERR_NO_ROUTE)); return; }
      this.sendOpen(at.link, at.slot, 'prepare');
      const timer = setTimeout(() => s.reset(P.ERR_ABORTED, 'prepare timed out'), PREPARE_MS);
      const s = new BenchStream(this.d.io, at.slot, at.link, {
        data: (st, payload) => st.grant(payload.length),
        writable: () => {},
        remoteClosed: (st) => st.close(),
        ended: (st, error) => {
          clearTimeout(timer);
          this.run.streams.delete(st);
          if (error === undefined) resolve();
          else if (st.endCode === P.ERR_BAD_STATE) reject(new StreamFailed('the target does not serve socket ends (an older svcnet?); run with --ends engine', st.endCode));
          else reject(new StreamFailed(`the target could not start its sink and echo: ${error}`, st.endCode));
        },
      }, this.d.stats);
      this.d.io.set(s);
      this.run.streams.add(s);
    });
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    this.run.cleanups.push(() => server.close());
    const listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // exclusive: bound by this engine itself, never through the site's cluster primary.
      server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => { this.port = (server.address() as net.AddressInfo).port; resolve(); });
    });
    await Promise.all([ready, listening, this.d.ends.call({ op: 'ping' }).result]);
  }

  /** A client socket of the worker: a Flow toward the target, as a listener's client becomes one. */
  private accept(socket: net.Socket): void {
    const at = this.openSlot();
    if (!at) { socket.resetAndDestroy(); return; }
    this.sendOpen(at.link, at.slot, this.kind, 'socket');
    // Bench bytes count in the bench stats only, never in flow records.
    const flow = new Flow(this.d.io, at.slot, at.link, socket, (f) => {
      this.d.stats.bytesSent += f.bytesFromApp;
      this.d.stats.bytesReceived += f.bytesToApp;
      this.run.flows.delete(f);
    });
    this.run.flows.add(flow);
    this.d.io.set(flow);
  }

  /** Sources for `durationMs` (or `maxBytes`), then each sink's count; `sent` hears the bytes written so far. */
  async throughput(flows: number, maxBytes: number, durationMs: number, drainMs: number, sent: (n: number) => void): Promise<{ flows: ThroughputFlow[]; sent: number; driverCpuUs: number }> {
    this.kind = 'sink';
    const cpu0 = cpuUs();
    const call = this.d.ends.call<EndsThroughput>({ op: 'throughput', port: this.port, flows, maxBytes }, sent);
    const stop = setTimeout(() => { if (!this.run.over) this.d.ends.call({ op: 'finish', of: call.id }).result.catch(() => {}); }, durationMs);
    let drain: NodeJS.Timeout | undefined;
    this.run.cleanups.push(() => { clearTimeout(stop); clearTimeout(drain); });
    const r = await Promise.race([call.result, new Promise<never>((_, rej) => {
      drain = setTimeout(() => rej(new StreamFailed(`the target's byte counts did not arrive within ${drainMs / 1000} s of the end`, undefined)), durationMs + drainMs);
    })]).finally(() => { clearTimeout(stop); clearTimeout(drain); });
    // The engine's CPU, less the worker thread's (the application's side, not the proxy's).
    return { flows: r.flows, sent: r.sent, driverCpuUs: Math.max(0, cpuUs() - cpu0 - r.threadCpuUs) };
  }

  /** Round trips of `size` bytes through an echo for `ms`. */
  latency(size: number, ms: number): Promise<number[]> {
    this.kind = 'echo';
    return this.d.ends.call<number[]>({ op: 'latency', port: this.port, size, ms }).result;
  }

  /** Connections opened and closed for `ms`. */
  rate(ms: number): Promise<{ flows: number; failed: number; ms: number }> {
    this.kind = 'sink';
    return this.d.ends.call<{ flows: number; failed: number; ms: number }>({ op: 'rate', port: this.port, ms }).result;
  }
}
