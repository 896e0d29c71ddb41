// The control process's side of `svcnet bench` (issue 14): sends a run to the engine that drives it
// (the site's first engine; its progress and end come back as reports), matches each report to its
// run, cancels, and ends every run of an engine that went away. Figures are not kept here.
import type { EngineCommand, EngineReport } from '../../dataplane/port/report.js';
import type { BenchError, BenchProgress, BenchRequest, BenchResult } from '../../dataplane/port/bench.js';

/** A run that ended without figures: the engine's stable code and message. */
export class BenchRunError extends Error {
  constructor(readonly code: BenchError['code'], message: string) { super(message); }
}

/** A run in progress: its result (or BenchRunError), and a cancel that closes its flows. */
export interface BenchRun { result: Promise<BenchResult>; cancel(): void }

interface Waiting { progress: (p: BenchProgress) => void; resolve: (r: BenchResult) => void; reject: (e: BenchRunError) => void }

export class BenchRuns {
  private readonly waiting = new Map<number, Waiting>();
  private next = 1;

  /** `send` delivers a command to the driving engine, or returns false when none runs. */
  constructor(private readonly send: (cmd: EngineCommand) => boolean) {}

  /** Starts a run; `progress` hears about it until the result settles. */
  run(req: BenchRequest, progress: (p: BenchProgress) => void): BenchRun {
    const id = this.next++;
    const result = new Promise<BenchResult>((resolve, reject) => {
      this.waiting.set(id, { progress, resolve, reject });
      if (!this.send({ kind: 'bench', id, req })) this.settle(id, undefined, { code: 'SVCNET_ERR_BENCH_FAILED', message: 'the site\'s data-plane engine is not running' });
    });
    return { result, cancel: () => { if (this.waiting.has(id)) this.send({ kind: 'bench-cancel', id }); } };
  }

  /** The driving engine's reports; others are ignored. */
  report(r: EngineReport): void {
    if (r.kind === 'bench-progress') this.waiting.get(r.id)?.progress(r.progress);
    else if (r.kind === 'bench-end') this.settle(r.id, r.result, r.error);
  }

  /** The engine went away (crashed, restarted): its runs and their flows are gone. */
  abandon(): void {
    for (const id of [...this.waiting.keys()]) this.settle(id, undefined, { code: 'SVCNET_ERR_BENCH_FAILED', message: 'the data-plane engine restarted during the bench' });
  }

  /** Runs waiting for their end. */
  get active(): number { return this.waiting.size; }

  private settle(id: number, result?: BenchResult, error?: BenchError): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    if (result) w.resolve(result);
    else w.reject(new BenchRunError(error?.code ?? 'SVCNET_ERR_BENCH_FAILED', error?.message ?? 'the bench ended without figures'));
  }
}
