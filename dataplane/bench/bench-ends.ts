// The engine's handle on its bench-ends worker thread (issue 14, `--ends socket`; ends-worker.ts):
// started on first use, calls answered by id, throughput progress heard as it comes, and stopped
// once nothing used it for IDLE_MS, so an engine that is not benched carries no extra thread.
import { Worker } from 'node:worker_threads';
import { threadCpuUs, type SocketFlow } from './socket-phases.js';

/** A call to the worker; `id` matches its reply. */
export type EndsCall =
  | { id: number; op: 'serve' }
  | { id: number; op: 'throughput'; port: number; flows: number; maxBytes: number }
  | { id: number; op: 'finish'; of: number }
  | { id: number; op: 'latency'; port: number; size: number; ms: number }
  | { id: number; op: 'rate'; port: number; ms: number }
  | { id: number; op: 'ping' };
/** A reply: the call's outcome, or (throughput) bytes sent so far. */
export type EndsReply = { id: number; ok?: unknown; error?: string; progress?: number };

export interface EndsThroughput { flows: SocketFlow[]; received: number }
/** The target's servers. */
export interface EndsPorts { source: number; sink: number; echo: number }

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; sent?: (n: number) => void };
type Call = EndsCall extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

/** How long an unused worker stays (a target serves a run's phases one after another). */
export const IDLE_MS = 30_000;

export class BenchEnds {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private idle: NodeJS.Timeout | undefined;
  private serving: Promise<EndsPorts> | undefined;
  /** the servers' ports, once served */
  ports: EndsPorts | undefined;
  /** the worker thread's id (its first message), whose CPU engineCpuUs() leaves out */
  private tid = 0;
  /** uses in progress (runs, served flows); the worker stops IDLE_MS after the last ends */
  private uses = 0;

  /** Sends `c`; resolves with the worker's answer. */
  call<T>(c: Call, sent?: (n: number) => void): { id: number; result: Promise<T> } {
    const w = this.start();
    const id = this.next++;
    const result = new Promise<T>((resolve, reject) => { this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, sent }); });
    w.postMessage({ ...c, id });
    return { id, result };
  }

  /** The source, sink and echo servers (started once per worker). */
  serve(): Promise<EndsPorts> {
    this.serving ??= this.call<EndsPorts>({ op: 'serve' }).result.then((p) => (this.ports = p));
    return this.serving;
  }

  /** CPU microseconds this engine process spent, less the worker thread's (the applications' side):
   *  what the proxy costs. Before the worker said its thread id, the whole process. */
  engineCpuUs(): number {
    const u = process.cpuUsage();
    return u.user + u.system - (this.worker && this.tid ? threadCpuUs(this.tid) : 0);
  }

  /** Marks a use (held: the worker stays); the returned function releases it. */
  hold(): () => void {
    this.uses++;
    clearTimeout(this.idle);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.uses === 0) { this.idle = setTimeout(() => this.stop(), IDLE_MS); this.idle.unref(); }
    };
  }

  stop(): void {
    clearTimeout(this.idle);
    const w = this.worker;
    this.worker = undefined;
    this.serving = undefined;
    this.ports = undefined;
    this.tid = 0;
    for (const p of this.pending.values()) p.reject(new Error('the bench-ends worker stopped'));
    this.pending.clear();
    void w?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./ends-worker.js', import.meta.url));
    w.unref();
    w.on('message', (r: EndsReply) => {
      if (r.id === 0) { this.tid = Number(r.ok) || 0; return; }
      const p = this.pending.get(r.id);
      if (!p) return;
      if (r.progress !== undefined) { p.sent?.(r.progress); return; }
      this.pending.delete(r.id);
      if (r.error !== undefined) p.reject(new Error(r.error)); else p.resolve(r.ok);
    });
    w.on('error', (err) => { if (this.worker === w) { this.worker = undefined; this.serving = undefined; this.ports = undefined; } for (const p of this.pending.values()) p.reject(err); this.pending.clear(); });
    w.on('exit', () => { if (this.worker === w) { this.worker = undefined; this.serving = undefined; this.ports = undefined; } });
    this.worker = w;
    return w;
  }
}
