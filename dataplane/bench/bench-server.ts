// The serving end of `svcnet bench` (issue 14): a peer's OPEN on the reserved key BENCH_KEY for
// this site becomes an in-engine sink (counts and credits what arrives; at the sender's CLOSE
// answers with what it received and the CPU this engine spent meanwhile) or echo (sends back what
// arrives). Refused unless this site serves bench streams (policy `bench`), the opener is a site
// of our network (its routing record is in our database) and fewer than BENCH_LIMITS.maxServed
// are open. Never a connector, never a flow record: bench bytes are counted apart (stats).
// With `ends: 'socket'` (the default of `svcnet bench`) the stream is instead an ordinary Flow to a
// real loopback source, sink or echo server in this engine's bench-ends worker (bench-ends.ts),
// dialled as a connector's server is; a 'control' stream of the run starts that worker, says when
// it serves, and answers each mark with this engine's CPU so far (the worker's thread left out).
import * as P from '../../wasm/assembly/protocol.js';
import type { EndpointTable } from '../endpoint-table.js';
import type { Link } from '../link.js';
import type { OpenRequest } from '../open-admission.js';
import { BenchStream, type BenchBehaviour } from './bench-stream.js';
import { BENCH_LIMITS } from '../../common/bench-request.js';
import { Flow } from '../flow.js';
import { HeadroomReads, withHeadroomReads } from '../headroom-reads.js';
import net from 'node:net';
import type { BenchEnds } from './bench-ends.js';

/** Bench bytes and streams this engine carried at either end (status, metrics). */
export interface BenchStats { bytesSent: number; bytesReceived: number; streamsServed: number; streamsRefused: number }

/** What a bench OPEN adds to the usual body: which end the opener wants here. */
export interface BenchOpen extends OpenRequest { bench?: BenchKind; ends?: 'socket' | 'engine' }
/** sink and echo: either ends; source: socket ends only; control: a socket-mode run's control stream
 *  (bench-control.ts); cpu: a relay's, which only answers CPU marks */
export type BenchKind = 'sink' | 'echo' | 'source' | 'control' | 'cpu';

/** What a control stream answers: once the worker serves, and at each mark (a newline) the driver sends. */
export interface ControlReport { cpuUs: number }

/** The sink's answer at the end, as JSON in one DATA frame. */
export interface SinkReport { bytes: number; cpuUs: number }

export interface BenchServerDeps {
  /** the data plane's endpoint table: the streams' StreamIO, and where they are registered */
  io: EndpointTable;
  /** whether `siteId` is a site of our network (its record is in our link-state database) */
  known(siteId: string): boolean;
  /** refuses the OPEN on `slot` with `code` (counted and logged like any refused OPEN) */
  refuse(link: Link, slot: number, why: string, code: number): void;
  stats: BenchStats;
  /** the engine's bench-ends worker (socket mode) */
  ends: Pick<BenchEnds, 'serve' | 'hold' | 'ports' | 'engineCpuUs' | 'stop'>;
}

const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };

export class BenchServer {
  /** site policy `bench` (EngineCommand bench-serve); served by default */
  allow = true;
  private readonly served = new Set<BenchStream | Flow>();
  private readonly startedAt = new Map<BenchStream | Flow, number>();
  private sweep: NodeJS.Timeout | undefined;

  constructor(private readonly d: BenchServerDeps) {}

  /** A bench OPEN addressed to this site. Every path gives the slot an endpoint or queues its RESET. */
  accept(link: Link, slot: number, req: BenchOpen): void {
    const d = this.d;
    if (!this.allow) { d.stats.streamsRefused++; return d.refuse(link, slot, 'this site does not serve bench streams (policy bench: false)', P.ERR_POLICY_DENIED); }
    if (typeof req.src !== 'string' || !d.known(req.src)) { d.stats.streamsRefused++; return d.refuse(link, slot, 'bench stream from a site outside the network', P.ERR_POLICY_DENIED); }
    const socket = req.ends === 'socket';
    if (!(req.bench === 'sink' || req.bench === 'echo' || (req.bench === 'source' && socket) || req.bench === 'control' || req.bench === 'cpu')) { d.stats.streamsRefused++; return d.refuse(link, slot, 'bench stream of an unknown kind', P.ERR_BAD_STATE); }
    if (this.served.size >= BENCH_LIMITS.maxServed) { d.stats.streamsRefused++; return d.refuse(link, slot, `${BENCH_LIMITS.maxServed} bench streams served already`, P.ERR_STREAM_QUOTA); }
    if (req.bench === 'control') {
      const s = new BenchStream(d.io, slot, link, this.control(), d.stats);
      this.add(s);
      d.ends.serve().then(() => this.answer(s), (err: Error) => s.reset(P.ERR_ABORTED, `bench ends did not start: ${err.message}`));
      return;
    }
    if (req.bench === 'cpu') {
      const s = new BenchStream(d.io, slot, link, this.control(false), d.stats);
      this.add(s);
      this.answer(s);
      return;
    }
    if (socket) return this.socketEnd(link, slot, req.bench);
    this.add(new BenchStream(d.io, slot, link, req.bench === 'sink' ? this.sink() : this.echo(), d.stats));
  }

  private add(s: BenchStream | Flow): void {
    this.d.stats.streamsServed++;
    this.served.add(s);
    this.startedAt.set(s, performance.now());
    this.d.io.set(s);
    this.startSweep();
  }

  /** A run's control stream: each newline the driver sends is answered with this engine's CPU so far
   *  (the first answer comes unasked: for a socket-mode run's, once the servers listen; the worker
   *  stays while it is open). A relay's (`cpu`) holds no worker. */
  private control(holdEnds = true): BenchBehaviour {
    const release = holdEnds ? this.d.ends.hold() : () => {};
    return {
      data: (s, payload) => { s.grant(payload.length); for (const b of payload) if (b === 0x0a) this.answer(s); },
      writable: () => {},
      remoteClosed: (s) => s.close(),
      ended: (s) => { release(); this.served.delete(s); this.startedAt.delete(s); },
    };
  }

  private answer(s: BenchStream): void {
    const r: ControlReport = { cpuUs: this.d.ends.engineCpuUs() };
    s.send(Buffer.from(JSON.stringify(r) + '\n'));
  }

  /** A socket-mode flow: the stream joined to a new connection to the worker's source, sink or echo, as a
   *  connector's flow is joined to its server (headroom reads); bytes count in the bench stats. */
  private socketEnd(link: Link, slot: number, kind: 'sink' | 'echo' | 'source'): void {
    const d = this.d;
    const ports = d.ends.ports;
    if (!ports) { d.stats.streamsRefused++; return d.refuse(link, slot, 'bench ends not serving here (no control stream came first)', P.ERR_NO_ROUTE); }
    const release = d.ends.hold();
    const reads = new HeadroomReads();
    const socket = net.connect(withHeadroomReads({ host: '127.0.0.1', port: ports[kind], allowHalfOpen: true, noDelay: true }, reads));
    const flow = new Flow(d.io, slot, link, socket, (f) => {
      release();
      d.stats.bytesReceived += f.bytesToApp;
      d.stats.bytesSent += f.bytesFromApp;
      this.served.delete(f);
      this.startedAt.delete(f);
    }, reads);
    this.add(flow);
  }

  /** Counts and credits what arrives; at the sender's CLOSE reports the bytes and CPU, then closes. */
  private sink(): BenchBehaviour {
    const cpu0 = cpuUs();
    return {
      data: (s, payload) => s.grant(payload.length),
      writable: () => {},
      remoteClosed: (s) => {
        const report: SinkReport = { bytes: s.bytesIn, cpuUs: cpuUs() - cpu0 };
        const body = Buffer.from(JSON.stringify(report));
        s.send(body);
        s.close();
      },
      ended: (s) => { this.served.delete(s); this.startedAt.delete(s); },
    };
  }

  /** Sends back what arrives; credit goes back only for bytes echoed, so the sender's window bounds
   *  what waits here. Closes after the sender closed and everything went back. */
  private echo(): BenchBehaviour {
    let pending: Buffer[] = [];
    let closing = false;
    const pump = (s: BenchStream) => {
      while (pending.length > 0) {
        const head = pending[0];
        const n = s.send(head);
        s.grant(n);
        if (n < head.length) { pending[0] = head.subarray(n); return; }
        pending.shift();
      }
      if (closing) s.close();
    };
    return {
      data: (s, payload) => { pending.push(payload); pump(s); },
      writable: pump,
      remoteClosed: (s) => { closing = true; pump(s); },
      ended: (s) => { pending = []; this.served.delete(s); this.startedAt.delete(s); },
    };
  }

  /** Resets served streams older than BENCH_LIMITS.servedMaxMs (checked every 5 s while any is open). */
  private startSweep(): void {
    if (this.sweep) return;
    this.sweep = setInterval(() => {
      const now = performance.now();
      for (const s of [...this.served]) if (now - (this.startedAt.get(s) ?? now) > BENCH_LIMITS.servedMaxMs) s.resetLocal(P.ERR_ABORTED, 'bench stream over its time cap');
      if (this.served.size === 0) { clearInterval(this.sweep); this.sweep = undefined; }
    }, 5000);
    this.sweep.unref();
  }

  /** Streams being served now. */
  get active(): number { return this.served.size; }

  stop(): void { clearInterval(this.sweep); this.sweep = undefined; this.d.ends.stop(); }
}
