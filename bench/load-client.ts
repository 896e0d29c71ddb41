// The runner's handle on the load generator process: call a scenario's client-side function there
// and await its result, with a hard time limit per call.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkModule } from './procs.js';

const WORKER = fileURLToPath(new URL('./load-worker.js', import.meta.url));

/** RPC to the load process: one outstanding call per scenario run. */
export class LoadClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error)); else p.resolve(m.result);
    });
    child.on('exit', () => { for (const p of this.pending.values()) p.reject(new Error('load generator exited')); this.pending.clear(); });
  }

  /** Starts the load generator process (stderr to `logFile`). */
  static start(logFile: string): LoadClient {
    return new LoadClient(forkModule(WORKER, logFile));
  }

  /** Runs `fn(params)` of bench/scenarios/FILE in the load process; rejects after `timeoutMs`. */
  call<T>(file: string, fn: string, params: unknown, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => { this.pending.delete(id); reject(new Error(`${file}.${fn} took longer than ${timeoutMs} ms`)); }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => { clearTimeout(t); resolve(v as T); },
        reject: (e) => { clearTimeout(t); reject(e); },
      });
      this.child.send({ id, file, fn, params });
    });
  }

  get pid(): number | undefined { return this.child.pid; }
}
