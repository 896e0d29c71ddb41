// The open-close loop of a bench run's new-flows phase (issue 14), for both ends modes: flows opened
// `concurrency` at a time, each replaced as it ends, for `ms`, never faster than RATE_MAX_PER_SEC
// (half a link's OPEN budget, so applications keep theirs). What a flow is — a bench stream to an
// in-engine sink (bench-phases.ts flowRate) or a loopback connection (socket-phases.ts socketRate) —
// is the caller's `open`. No engine imports: socket-phases.ts runs in the bench-ends worker.

/** Flows the phase opens per second at most: half a link's OPEN budget (LINK_LIMITS.opensPerSec,
 *  10,000/s), so the flows of applications on the same links are never refused because of a bench. */
export const RATE_MAX_PER_SEC = 5_000;

export interface RateFigures { flows: number; failed: number; ms: number }

export interface PacedOpens {
  ms: number;
  /** flows in flight at once */
  concurrency: number;
  /** flows opened at most (the phase ends there) */
  maxFlows: number;
  /** Opens one flow, which calls `ended()` once when it is over (with the error when it failed);
   *  false: nothing could be opened now. */
  open(ended: (failure?: Error) => void): boolean;
  /** the phase's error when an open found nothing to open while no flow was live */
  noneOpened(): Error;
  /** Over 100 flows failed and none passed (a target that refuses them all): the phase's error, or
   *  undefined to end it with its figures. Either way it ends instead of spinning. */
  allFailing(last: Error): Error | undefined;
}

/** Runs the loop; resolves with the flows that ended cleanly, those that failed, and the time taken. */
export function pacedOpens(o: PacedOpens): Promise<RateFigures> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const until = t0 + o.ms;
    let flows = 0;
    let failed = 0;
    let live = 0;
    let over = false;
    let paced: NodeJS.Timeout | undefined;
    const end = (err?: Error) => {
      if (over) return;
      over = true;
      clearTimeout(paced);
      if (err) reject(err); else resolve({ flows, failed, ms: performance.now() - t0 });
    };
    const start = () => {
      if (over) return;
      const now = performance.now();
      if (now >= until || flows + failed + live >= o.maxFlows) { if (live === 0) end(); return; }
      // Ahead of RATE_MAX_PER_SEC: the next opens wait for the rate to catch up (one timer for all).
      if (flows + failed + live >= ((now - t0) / 1000) * RATE_MAX_PER_SEC + o.concurrency) {
        paced ??= setTimeout(() => { paced = undefined; for (let i = live; i < o.concurrency; i++) start(); }, 2);
        return;
      }
      live++;
      let done = false;
      const opened = o.open((failure) => {
        if (done) return;
        done = true;
        live--;
        if (failure === undefined) flows++; else failed++;
        if (failure !== undefined && failed > 100 && flows === 0) { end(o.allFailing(failure)); return; }
        start();
      });
      if (!opened) { done = true; live--; if (live === 0) end(o.noneOpened()); }
    };
    for (let i = 0; i < o.concurrency; i++) start();
  });
}
