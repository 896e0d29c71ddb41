// The serving end of `svcnet bench` (issue 14): a peer's OPEN on the reserved key BENCH_KEY for
// this site becomes an in-engine sink (counts and credits what arrives; at the sender's CLOSE
// answers with what it received and the CPU this engine spent meanwhile) or echo (sends back what
// arrives). Refused unless this site serves bench streams (policy `bench`), the opener is a site
// of our network (its routing record is in our database) and fewer than BENCH_LIMITS.maxServed
// are open. Never a connector, never a flow record: bench bytes are counted apart (stats).
import * as P from '../../wasm/assembly/protocol.js';
import type { EndpointTable } from '../endpoint-table.js';
import type { Link } from '../link.js';
import type { OpenRequest } from '../open-admission.js';
import { BenchStream, type BenchBehaviour } from './bench-stream.js';
import { BENCH_LIMITS } from '../../common/bench-request.js';

/** Bench bytes and streams this engine carried at either end (status, metrics). */
export interface BenchStats { bytesSent: number; bytesReceived: number; streamsServed: number; streamsRefused: number }

/** What a bench OPEN adds to the usual body: which end the opener wants here. */
export interface BenchOpen extends OpenRequest { bench?: 'sink' | 'echo' }

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
}

const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };

export class BenchServer {
  /** site policy `bench` (EngineCommand bench-serve); served by default */
  allow = true;
  private readonly served = new Set<BenchStream>();
  private sweep: NodeJS.Timeout | undefined;

  constructor(private readonly d: BenchServerDeps) {}

  /** A bench OPEN addressed to this site. Every path gives the slot an endpoint or queues its RESET. */
  accept(link: Link, slot: number, req: BenchOpen): void {
    const d = this.d;
    if (!this.allow) { d.stats.streamsRefused++; return d.refuse(link, slot, 'this site does not serve bench streams (policy bench: false)', P.ERR_POLICY_DENIED); }
    if (typeof req.src !== 'string' || !d.known(req.src)) { d.stats.streamsRefused++; return d.refuse(link, slot, 'bench stream from a site outside the network', P.ERR_POLICY_DENIED); }
    if (req.bench !== 'sink' && req.bench !== 'echo') { d.stats.streamsRefused++; return d.refuse(link, slot, 'bench stream of an unknown kind', P.ERR_BAD_STATE); }
    if (this.served.size >= BENCH_LIMITS.maxServed) { d.stats.streamsRefused++; return d.refuse(link, slot, `${BENCH_LIMITS.maxServed} bench streams served already`, P.ERR_STREAM_QUOTA); }
    const s = new BenchStream(d.io, slot, link, req.bench === 'sink' ? this.sink() : this.echo(), d.stats);
    d.stats.streamsServed++;
    this.served.add(s);
    d.io.set(s);
    this.startSweep();
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
      ended: (s) => { this.served.delete(s); },
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
      ended: (s) => { pending = []; this.served.delete(s); },
    };
  }

  /** Resets served streams older than BENCH_LIMITS.servedMaxMs (checked every 5 s while any is open). */
  private startSweep(): void {
    if (this.sweep) return;
    this.sweep = setInterval(() => {
      const now = performance.now();
      for (const s of [...this.served]) if (now - s.startedAt > BENCH_LIMITS.servedMaxMs) s.reset(P.ERR_ABORTED, 'bench stream over its time cap');
      if (this.served.size === 0) { clearInterval(this.sweep); this.sweep = undefined; }
    }, 5000);
    this.sweep.unref();
  }

  /** Streams being served now. */
  get active(): number { return this.served.size; }

  stop(): void { clearInterval(this.sweep); this.sweep = undefined; }
}
