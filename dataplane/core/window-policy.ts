// The adaptive per-stream receive window, as a pure state machine over a table of streams: the
// TypeScript reference of wasm/assembly/window.ts (same integer arithmetic, same results).
// Time is an argument (the host's clock in µs, u32, wrapping), so tests drive it with a fake clock.
import * as P from '../../wasm/assembly/protocol.js';

/** Largest values the growth test multiplies, so every product stays exact below 2^53 (and in u64). */
const MAX_ELAPSED = 1 << 22; // ≈ 4.2 s: beyond WINDOW_GROW_RTTS × MAX_RTT × 2, the test is false anyway
const MAX_RTT = 1 << 20;
const MAX_EPOCH_BYTES = 1 << 25;
const MAX_TARGET = 1 << 30; // in the product only: HELLO windows are at most 16 MiB

/**
 * Per stream: `effect` is the window the receiver stands behind (credit the sender holds plus bytes
 * not yet credited back); `target` is where the policy wants it. Phases of a stream's window:
 *  - draining: effect > target (at open the sender holds the whole HELLO window; after an idle
 *    spell): consumed bytes are kept, not credited back, until effect = target;
 *  - steady: effect = target; consumed bytes are credited back in batches of a quarter target;
 *  - growing: a window consumed in under WINDOW_GROW_RTTS round trips doubles target (to the
 *    ceiling), and effect follows at once (the extra credit rides on the next grant).
 * The round trip is sampled when credit goes to a starved sender (it had none left): the next
 * DATA on the stream was sent after that credit arrived.
 */
export class WindowTable {
  readonly effect: Uint32Array;
  readonly target: Uint32Array;
  readonly pending: Uint32Array;
  readonly epochAt: Uint32Array;
  readonly epochBytes: Uint32Array;
  readonly lastUse: Uint32Array;
  readonly rtt: Uint32Array;
  readonly probeAt: Uint32Array;
  constructor(size: number) {
    this.effect = new Uint32Array(size);
    this.target = new Uint32Array(size);
    this.pending = new Uint32Array(size);
    this.epochAt = new Uint32Array(size);
    this.epochBytes = new Uint32Array(size);
    this.lastUse = new Uint32Array(size);
    this.rtt = new Uint32Array(size);
    this.probeAt = new Uint32Array(size);
  }
}

/** Stream `s` opened at `now`; `ceiling` is the HELLO window, which the sender holds from the start. */
export function windowOpen(w: WindowTable, s: number, now: number, ceiling: number): void {
  w.effect[s] = ceiling;
  w.target[s] = Math.min(P.WINDOW_START, ceiling);
  w.pending[s] = 0;
  w.epochAt[s] = now;
  w.epochBytes[s] = 0;
  w.lastUse[s] = now;
  w.rtt[s] = 0;
  w.probeAt[s] = 0;
}

/**
 * DATA arrived on `s` at `now`: ends a round-trip probe (smoothed 7/8 old + 1/8 new, as TCP's SRTT).
 * A sender may have had nothing to send when the credit came: a sample of an idle spell or more is
 * dropped, and one sample counts at most twice the current estimate, so a pause moves it little.
 */
export function windowData(w: WindowTable, s: number, now: number): void {
  const at = w.probeAt[s];
  if (at === 0) return;
  w.probeAt[s] = 0;
  const d = (now - at) >>> 0;
  if (d >= P.WINDOW_IDLE_US) return;
  const r = w.rtt[s];
  const sample = Math.max(1, Math.min(d, MAX_RTT, r === 0 ? MAX_RTT : 2 * r));
  w.rtt[s] = r === 0 ? sample : r - (r >>> 3) + (sample >>> 3);
}

/**
 * The host delivered `n` bytes of `s` at `now`. `allowed` is the credit the sender still holds as
 * the receiver sees it. Returns the credit to grant now (0: keep batching, or still draining).
 */
export function windowConsumed(w: WindowTable, s: number, now: number, n: number, ceiling: number, allowed: number): number {
  let target = w.target[s];
  if (((now - w.lastUse[s]) >>> 0) >= P.WINDOW_IDLE_US) {
    // Idle spell: back to the start window; the credit the sender still holds drains first.
    target = Math.min(P.WINDOW_START, ceiling);
    w.epochAt[s] = now;
    w.epochBytes[s] = 0;
  }
  w.lastUse[s] = now;
  const eb = Math.min(w.epochBytes[s] + n, MAX_EPOCH_BYTES);
  if (eb > target >>> 1) {
    const elapsed = Math.min((now - w.epochAt[s]) >>> 0, MAX_ELAPSED);
    // Consumed eb bytes in `elapsed`: faster than a window per WINDOW_GROW_RTTS round trips means the
    // window, not the sender or the application, bounds the rate.
    if (w.rtt[s] !== 0 && elapsed * Math.min(target, MAX_TARGET) < P.WINDOW_GROW_RTTS * w.rtt[s] * eb) target = Math.min(target * 2, ceiling);
    w.epochAt[s] = now;
    w.epochBytes[s] = 0;
  } else w.epochBytes[s] = eb;
  w.target[s] = target;
  let effect = w.effect[s];
  // pending stays under 2^32 - 1 (clamped, not wrapped): target - effect may add to it
  let pending = Math.min(w.pending[s] + n, 0xffffffff);
  if (effect > target) {
    const keep = Math.min(pending, effect - target);
    pending -= keep;
    effect -= keep;
  } else if (effect < target) {
    pending = Math.min(pending + target - effect, 0xffffffff);
    effect = target;
  }
  w.effect[s] = effect;
  if (pending < target >>> 2) { w.pending[s] = pending; return 0; }
  w.pending[s] = 0;
  if (allowed === 0 && w.probeAt[s] === 0) w.probeAt[s] = (now | 1) >>> 0;
  return pending;
}
