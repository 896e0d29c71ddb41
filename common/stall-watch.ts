// Notices when this process's event loop was blocked (a long GC, CPU starvation, a slow disk). In
// the engine a stall is a silence peers may take for a dead link: the log line lets an operator
// tell that apart from a network fault. The control process runs one too.
import type { Logger } from 'pino';

const EVERY_MS = 100;
/** Lateness that is worth a log line: well above timer jitter, below the link's dead interval. */
export const STALL_WARN_MS = Number(process.env.SVCNET_STALL_WARN_MS ?? 400);

export class StallWatch {
  /** stalls seen, and the longest one (ms) */
  readonly counts = { stalls: 0, longestMs: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: Logger) {}

  start(): void {
    let last = Date.now();
    this.timer = setInterval(() => {
      const now = Date.now();
      const late = now - last - EVERY_MS;
      last = now;
      if (late < STALL_WARN_MS) return;
      this.counts.stalls++;
      this.counts.longestMs = Math.max(this.counts.longestMs, late);
      this.log.warn({ ms: late }, 'event loop stalled');
    }, EVERY_MS);
    this.timer.unref();
  }

  stop(): void { clearInterval(this.timer); }
}
