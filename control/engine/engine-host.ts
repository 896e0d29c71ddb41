// Runs the data-plane engine in a child process and supervises it: starts it with its init, sends
// it commands, receives its typed reports, and restarts it with backoff when it dies (its flows
// are gone with it; the controller re-pushes everything and peers re-flood routes on relink).
// A child process rather than a worker thread: see docs/architecture.md "Engine host".
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { EngineCommand, EngineInit, EngineReport, EngineStatus } from '../../dataplane/port/report.js';
import { ENGINE_V8_FLAGS } from './engine-v8-flags.js';

const ENGINE_MAIN = fileURLToPath(new URL('../../dataplane/engine/main.js', import.meta.url));
const RESTART_FIRST_MS = 100;
const RESTART_CAP_MS = 5000;
/** An engine that ran this long resets the restart backoff. */
const HEALTHY_AFTER_MS = 30_000;

export type EngineState = 'starting' | 'running' | 'restarting' | 'stopped';

export interface EngineHostOptions {
  init: EngineInit;
  log: Logger;
  /** every report, in order; `ready` again after each restart (the controller pushes everything anew) */
  onReport(r: EngineReport): void;
  /** starts the engine process (default: fork; several workers of a site: cluster-spawn.ts) */
  spawn?: EngineSpawn;
}

/** Starts an engine process running ENGINE_MAIN with these V8 flags, the IPC channel with 'advanced' serialization. */
export type EngineSpawn = (main: string, execArgv: string[]) => ChildProcess;

/** glibc serves allocations from this size up (read slabs, large Buffers) with mmap, so freed ones go
 *  back to the system: without it the threshold rises after the first free and the engine's RSS
 *  stays at its peak (−30 to −40 MiB at 64 bulk flows, bench/analysis/windows.md). */
const ENGINE_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '131072' };

const forkEngine: EngineSpawn = (main, execArgv) => fork(main, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv, env: { ...process.env, ...ENGINE_MALLOC_ENV } });

export class EngineHost {
  state: EngineState = 'starting';
  /** the engine's last status snapshot; undefined until the first one and while restarting */
  status: EngineStatus | undefined;
  restarts = 0;
  lastExit: { code: number | null; signal: string | null; at: string } | undefined;
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private barriers = new Map<number, () => void>();
  private nextBarrier = 1;
  private firstReady: { resolve: () => void; reject: (e: Error) => void } | undefined;
  /** commands sent before the process said `loaded`: they follow init (a cluster worker would lose them) */
  private early: EngineCommand[] | undefined;

  constructor(private readonly o: EngineHostOptions) {}

  get pid(): number | undefined { return this.child?.pid; }

  /** Starts the engine; resolves when it is ready for pushes. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstReady = { resolve, reject };
      this.spawn();
    });
  }

  private spawn(): void {
    this.state = this.restarts ? 'restarting' : 'starting';
    const child = (this.o.spawn ?? forkEngine)(ENGINE_MAIN, [...process.execArgv, ...ENGINE_V8_FLAGS]); // --cpu-prof and the like reach the engine too
    this.child = child;
    this.early = [];
    this.startedAt = Date.now();
    child.on('message', (r: EngineReport) => this.onReport(r));
    child.on('error', (err) => this.o.log.error({ err: err.message }, 'engine process error'));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
  }

  private onReport(r: EngineReport): void {
    switch (r.kind) {
      case 'loaded': { // the host's own handshake: init first, then what was sent meanwhile
        const early = this.early ?? [];
        this.early = undefined;
        for (const cmd of [{ kind: 'init', init: this.o.init } as const, ...early]) this.send(cmd);
        return;
      }
      case 'ready':
        this.state = 'running';
        this.o.log.info({ enginePid: r.pid, restarts: this.restarts }, 'data-plane engine ready');
        this.firstReady?.resolve();
        this.firstReady = undefined;
        break;
      case 'status': this.status = r.status; break;
      case 'barrier': this.barriers.get(r.id)?.(); this.barriers.delete(r.id); break;
    }
    this.o.onReport(r);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.early = undefined;
    this.status = undefined;
    this.lastExit = { code, signal, at: new Date().toISOString() };
    for (const done of this.barriers.values()) done(); // nothing more will be applied by that engine
    this.barriers.clear();
    if (this.state === 'stopped') return;
    if (this.firstReady) { this.firstReady.reject(new Error(`the data-plane engine exited at start (${signal ?? `code ${code}`})`)); this.firstReady = undefined; this.state = 'stopped'; return; }
    if (Date.now() - this.startedAt > HEALTHY_AFTER_MS) this.failures = 0;
    const delay = Math.min(RESTART_CAP_MS, RESTART_FIRST_MS * 2 ** this.failures++);
    this.restarts++;
    this.state = 'restarting';
    this.o.log.error({ code, signal, restartInMs: delay, restarts: this.restarts }, 'data-plane engine died; its flows are reset; restarting it');
    this.restartTimer = setTimeout(() => this.spawn(), delay);
  }

  /** Sends a command; dropped while the engine is down (a restarted engine gets a full push). */
  send(cmd: EngineCommand): void {
    const c = this.child;
    if (this.early) this.early.push(cmd);
    else if (c?.connected) c.send(cmd);
  }

  /** Resolves when the engine has handled every command sent before (or is gone). */
  barrier(): Promise<void> {
    if (!this.child?.connected) return Promise.resolve();
    const id = this.nextBarrier++;
    return new Promise((resolve) => {
      this.barriers.set(id, resolve);
      this.send({ kind: 'barrier', id });
    });
  }

  /** Stops the engine: links say GOAWAY, flows are reset; resolves when the process has exited. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.restartTimer);
    const c = this.child;
    if (!c) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    this.send({ kind: 'stop' });
    c.disconnect();
    const timer = setTimeout(() => c.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}
