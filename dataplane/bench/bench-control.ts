// A bench run's control stream toward one site of the path (issue 14): an engine-end stream whose
// far end (bench-server.ts) answers each newline with its engine's CPU so far, as one JSON line.
// `control` toward the target also starts its socket ends (and answers first once they serve);
// `cpu` toward a relay only answers. The driver marks before and after the throughput phase.
import * as P from '../../wasm/assembly/protocol.js';
import type { EndpointTable } from '../endpoint-table.js';
import type { Link } from '../link.js';
import { BenchStream } from './bench-stream.js';
import type { BenchOpen, BenchStats, ControlReport } from './bench-server.js';
import { StreamFailed } from './bench-phases.js';
import { BENCH_KEY } from '../../common/bench-request.js';

/** How long a site may take to answer (the target starts its servers first). */
export const CONTROL_MS = 10_000;

export interface ControlDeps { siteId: string; io: EndpointTable; nextLink(siteId: string): Link | undefined; stats: BenchStats; newFlowId(): string }

export class ControlStream {
  private stream: BenchStream | undefined;
  private answers: ControlReport[] = [];
  private waiting: ((r: ControlReport) => void) | undefined;
  private failed: ((e: Error) => void) | undefined;
  /** why the stream ended early, once it did */
  private error: Error | undefined;
  private line = '';

  /** Opens the stream toward `dst`; undefined when there is no route or slot now. `streams` holds it
   *  while it is open (the driver resets them on cancel). */
  static open(d: ControlDeps, dst: string, kind: 'control' | 'cpu', streams: Set<BenchStream>): ControlStream | undefined {
    const link = d.nextLink(dst);
    const slot = link ? d.io.core.openStream(link.index) : 0;
    if (!link || slot === 0) return undefined;
    const open: BenchOpen = { key: BENCH_KEY, dst, src: d.siteId, flow: d.newFlowId(), bench: kind, ends: 'socket' };
    d.io.outbox.stream(link, P.FRAME_OPEN, slot, Buffer.from(JSON.stringify(open)));
    const c = new ControlStream();
    const s = new BenchStream(d.io, slot, link, {
      data: (st, payload) => { st.grant(payload.length); c.take(payload); },
      writable: () => {},
      remoteClosed: (st) => st.close(),
      ended: (st, error) => {
        streams.delete(st);
        c.stream = undefined;
        if (error === undefined) return;
        c.error = st.endCode === P.ERR_BAD_STATE
          ? new StreamFailed(kind === 'control' ? 'the target does not serve socket ends (an older svcnet?); run with --ends engine' : 'the site does not answer CPU marks (an older svcnet?)', st.endCode)
          : new StreamFailed(`the site did not take the bench: ${error}`, st.endCode);
        c.failed?.(c.error);
      },
    }, d.stats);
    c.stream = s;
    d.io.set(s);
    streams.add(s);
    return c;
  }

  private take(payload: Buffer): void {
    this.line += payload.toString('utf8');
    for (let i = this.line.indexOf('\n'); i >= 0; i = this.line.indexOf('\n')) {
      let r: ControlReport;
      try { r = JSON.parse(this.line.slice(0, i)) as ControlReport; } catch { r = { cpuUs: NaN }; }
      this.line = this.line.slice(i + 1);
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(r); else this.answers.push(r);
    }
  }

  /** The next answer (the first comes unasked). */
  next(what: string): Promise<ControlReport> {
    const got = this.answers.shift();
    if (got) return Promise.resolve(got);
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new StreamFailed(`no answer to ${what} within ${CONTROL_MS / 1000} s`, undefined)), CONTROL_MS);
      this.waiting = (r) => { clearTimeout(timer); resolve(r); };
      this.failed = (e) => { clearTimeout(timer); reject(e); };
    });
  }

  /** The site's engine CPU so far, microseconds. */
  mark(): Promise<number> {
    this.stream?.send(Buffer.from('\n'));
    return this.next('a CPU mark').then((r) => Number(r.cpuUs));
  }

  /** The run is over: CLOSE (the far end closes back). */
  close(): void { this.stream?.close(); }
}
