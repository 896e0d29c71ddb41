// The CPU of the relay sites on a bench's path (issue 14): a `cpu` control stream to each
// (bench-control.ts), marked just before and just after the throughput phase, so a relay's figure
// is its engine's CPU over the same span as the driver's and the target's. It is the whole engine
// process's: whatever else the relay carried meanwhile counts too (as it does at either end).
import type { BenchStream } from './bench-stream.js';
import { ControlStream, type ControlDeps } from './bench-control.js';
import type { BenchSite } from '../port/bench.js';

export class RelayCpu {
  private readonly probes: { site: BenchSite; c?: ControlStream; t0?: number; cpuUs?: number; why?: string }[];

  constructor(d: ControlDeps, relays: BenchSite[], streams: Set<BenchStream>) {
    this.probes = relays.map((site) => {
      const c = ControlStream.open(d, site.id, 'cpu', streams);
      return c ? { site, c } : { site, why: 'no stream toward it' };
    });
  }

  /** Waits for each relay's first answer, then marks: the start of the span. */
  async start(): Promise<void> {
    await Promise.all(this.probes.map(async (p) => {
      try { await p.c?.next('the first CPU answer'); p.t0 = await p.c?.mark(); } catch (err) { p.why = (err as Error).message; }
    }));
  }

  /** Marks the end of the span and closes the streams. */
  async stop(): Promise<void> {
    await Promise.all(this.probes.map(async (p) => {
      try { if (p.t0 !== undefined && p.c) p.cpuUs = (await p.c.mark()) - p.t0; } catch (err) { p.why = (err as Error).message; }
      p.c?.close();
    }));
  }

  /** Relays with a figure (CPU seconds), and why the others have none. */
  results(): { site: BenchSite; cpuSeconds?: number; why?: string }[] {
    return this.probes.map((p) => (p.cpuUs !== undefined && Number.isFinite(p.cpuUs) && p.cpuUs >= 0 ? { site: p.site, cpuSeconds: p.cpuUs / 1e6 } : { site: p.site, why: p.why ?? 'no answer' }));
  }
}
