// Rate-limited logging for events an attacker can trigger at will (refused handshakes, peers over
// budget, malformed frames): the first few of each kind in a window are logged, the rest counted and
// summed up in one line when the window turns, so a flood can neither fill the disk nor hide itself.
import type { Logger } from 'pino';

/** Lines of one kind logged per window before the rest are only counted. */
export const LOG_BURST = 5;
/** Window length. */
export const LOG_WINDOW_MS = 10_000;

export class LogBudget {
  private readonly windows = new Map<string, { start: number; logged: number; suppressed: number }>();

  constructor(private readonly log: Logger, private readonly burst = LOG_BURST, private readonly windowMs = LOG_WINDOW_MS, private readonly now: () => number = Date.now) {}

  /** Logs `msg` at warn unless `kind` already used its burst in this window; returns whether it was logged. */
  warn(kind: string, fields: object, msg: string): boolean {
    const t = this.now();
    let w = this.windows.get(kind);
    if (!w || t - w.start >= this.windowMs) {
      if (w && w.suppressed > 0) this.log.warn({ kind, suppressed: w.suppressed, windowMs: this.windowMs }, 'similar warnings suppressed');
      w = { start: t, logged: 0, suppressed: 0 };
      this.windows.set(kind, w);
      if (this.windows.size > 1024) this.prune(t);
    }
    if (w.logged < this.burst) {
      w.logged++;
      this.log.warn({ kind, ...fields }, msg);
      return true;
    }
    w.suppressed++;
    return false;
  }

  /** Forgets windows that ended, so kinds keyed by an attacker's choice cannot grow the map. */
  private prune(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(k);
  }
}

/** Cuts untrusted text (a peer's GOAWAY reason, a certificate name) to a short, single-line form for a log. */
export function clip(text: string, max = 200): string {
  const one = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return one.length > max ? `${one.slice(0, max)}… (${one.length} chars)` : one;
}
