// The data-plane engines of one site: N EngineHosts (one by default), each supervised on its own —
// a dead worker is restarted with backoff while the others keep serving — and seen from outside as
// one engine: commands go to all, barrier() waits for all, status is merged (merge-status.ts).
// With N > 1 the engines are cluster workers sharing their listening ports (cluster-spawn.ts).
import type { Logger } from 'pino';
import type { EngineCommand, EngineInit, EngineReport, EngineStatus } from '../../dataplane/port/report.js';
import { EngineHost, type EngineState } from './engine-host.js';
import { clusterSpawn } from './cluster-spawn.js';
import { mergeStatus } from './merge-status.js';
import type { WorkerSummary } from '../state/site-store.js';
import { MAX_WORKERS, workerInit } from './worker-node.js';

export interface EnginePoolOptions {
  init: EngineInit;
  log: Logger;
  /** how many engines (1..MAX_WORKERS); 1 forks a plain child exactly as a single engine always did */
  workers: number;
  /** every report of worker `worker` (1-based), in order */
  onReport(r: EngineReport, worker: number): void;
}


export class EnginePool {
  readonly hosts: EngineHost[];

  constructor(o: EnginePoolOptions) {
    if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > MAX_WORKERS) throw new Error(`data-plane workers must be 1..${MAX_WORKERS}, not ${o.workers}`);
    this.hosts = Array.from({ length: o.workers }, (_, i) => new EngineHost({
      init: workerInit(o.init, i + 1),
      log: o.workers === 1 ? o.log : o.log.child({ worker: i + 1 }),
      onReport: (r) => o.onReport(r, i + 1),
      spawn: o.workers === 1 ? undefined : clusterSpawn,
    }));
  }

  get workers(): number { return this.hosts.length; }
  /** worker 1's pid (the only one with a single engine) */
  get pid(): number | undefined { return this.hosts[0].pid; }
  /** 'running' when every worker runs, else the state of the first that does not */
  get state(): EngineState { return this.hosts.find((h) => h.state !== 'running')?.state ?? 'running'; }
  get restarts(): number { return this.hosts.reduce((n, h) => n + h.restarts, 0); }
  get lastExit(): EngineHost['lastExit'] {
    return this.hosts.map((h) => h.lastExit).filter((e) => e !== undefined).sort((a, b) => a!.at.localeCompare(b!.at)).pop();
  }

  /** The merged status of the running workers; undefined while none has reported. */
  get status(): EngineStatus | undefined {
    return mergeStatus(this.hosts.flatMap((h, i) => (h.status ? [{ worker: i + 1, status: h.status }] : [])));
  }

  /** Per worker: pid, state, flows and links, for the site status when there are several. */
  summaries(): WorkerSummary[] {
    return this.hosts.map((h, i) => {
      const s = h.status;
      const listeners = s?.listeners ?? [];
      return {
        worker: i + 1, node: s?.node.name ?? '', pid: h.pid, state: h.state, restarts: h.restarts, memory: s?.memory,
        flowsActive: listeners.reduce((n, l) => n + l.flowsActive, 0) + (s?.connectors ?? []).reduce((n, c) => n + c.flowsActive, 0),
        flowsOpened: s?.counters.flowsOpened ?? 0,
        links: (s?.links ?? []).filter((l) => l.status === 'ready').length,
        listenersReady: listeners.filter((l) => l.status === 'ready').length,
      };
    });
  }

  /** Starts every worker; resolves when all are ready. */
  async start(): Promise<void> { await Promise.all(this.hosts.map((h) => h.start())); }

  /** Sends a command to every running worker. */
  send(cmd: EngineCommand): void { for (const h of this.hosts) h.send(cmd); }

  /** Resolves when every worker has handled every command sent before (or is gone). */
  async barrier(): Promise<void> { await Promise.all(this.hosts.map((h) => h.barrier())); }

  /** Stops every worker; resolves when all have exited. */
  async stop(): Promise<void> { await Promise.all(this.hosts.map((h) => h.stop())); }
}
