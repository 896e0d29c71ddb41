// The adaptive per-stream receive window over the slot fields SLOT_WIN_* (protocol.ts). Receiver-side
// policy only: the HELLO window stays the ceiling. The state machine, its phases and its arithmetic
// are those of dataplane/core/window-policy.ts (the reference the tests hold this to).
import * as P from './protocol';

const MAX_ELAPSED: u64 = 1 << 22;
const MAX_RTT: u32 = 1 << 20;
const MAX_EPOCH_BYTES: u64 = 1 << 25;
const MAX_TARGET: u64 = 1 << 30;

/** The host's clock (µs, wrapping u32), given with each decode() and consumedBytes() call. */
export let clockNow: u32 = 0;
export function setClock(now: u32): void { clockNow = now; }

/** Stream at slot pointer `p` opened now; `ceiling` is the HELLO window the sender holds from the start. */
export function windowOpen(p: usize, ceiling: u32): void {
  store<u32>(p + P.SLOT_WIN_EFFECT, ceiling);
  store<u32>(p + P.SLOT_WIN_TARGET, min<u32>(P.WINDOW_START, ceiling));
  store<u32>(p + P.SLOT_RECV_PENDING, 0);
  store<u32>(p + P.SLOT_WIN_EPOCH_AT, clockNow);
  store<u32>(p + P.SLOT_WIN_EPOCH_BYTES, 0);
  store<u32>(p + P.SLOT_WIN_LAST_USE, clockNow);
  store<u32>(p + P.SLOT_WIN_RTT, 0);
  store<u32>(p + P.SLOT_WIN_PROBE_AT, 0);
}

/** DATA arrived: ends a round-trip probe (smoothed 7/8 old + 1/8 new; idle-long samples dropped, one sample ≤ 2× the estimate). */
export function windowData(p: usize): void {
  const at = load<u32>(p + P.SLOT_WIN_PROBE_AT);
  if (at == 0) return;
  store<u32>(p + P.SLOT_WIN_PROBE_AT, 0);
  const d = clockNow - at;
  if (d >= <u32>P.WINDOW_IDLE_US) return;
  const r = load<u32>(p + P.SLOT_WIN_RTT);
  const sample = max<u32>(1, min<u32>(min<u32>(d, MAX_RTT), r == 0 ? MAX_RTT : 2 * r));
  store<u32>(p + P.SLOT_WIN_RTT, r == 0 ? sample : r - (r >> 3) + (sample >> 3));
}

/** `n` bytes delivered at clockNow; `allowed` is the credit the sender still holds. Returns the credit to grant. */
export function windowConsumed(p: usize, n: u32, ceiling: u32, allowed: u32): u32 {
  const now = clockNow;
  let target = load<u32>(p + P.SLOT_WIN_TARGET);
  if (now - load<u32>(p + P.SLOT_WIN_LAST_USE) >= <u32>P.WINDOW_IDLE_US) {
    target = min<u32>(P.WINDOW_START, ceiling);
    store<u32>(p + P.SLOT_WIN_EPOCH_AT, now);
    store<u32>(p + P.SLOT_WIN_EPOCH_BYTES, 0);
  }
  store<u32>(p + P.SLOT_WIN_LAST_USE, now);
  const eb = min<u64>(<u64>load<u32>(p + P.SLOT_WIN_EPOCH_BYTES) + <u64>n, MAX_EPOCH_BYTES);
  if (eb > <u64>(target >> 1)) {
    const elapsed = min<u64>(<u64>(now - load<u32>(p + P.SLOT_WIN_EPOCH_AT)), MAX_ELAPSED);
    const rtt = <u64>load<u32>(p + P.SLOT_WIN_RTT);
    if (rtt != 0 && elapsed * min<u64>(<u64>target, MAX_TARGET) < <u64>P.WINDOW_GROW_RTTS * rtt * eb) {
      target = <u32>min<u64>(<u64>target * 2, <u64>ceiling);
    }
    store<u32>(p + P.SLOT_WIN_EPOCH_AT, now);
    store<u32>(p + P.SLOT_WIN_EPOCH_BYTES, 0);
  } else store<u32>(p + P.SLOT_WIN_EPOCH_BYTES, <u32>eb);
  store<u32>(p + P.SLOT_WIN_TARGET, target);
  let effect = load<u32>(p + P.SLOT_WIN_EFFECT);
  let pending = min<u64>(<u64>load<u32>(p + P.SLOT_RECV_PENDING) + <u64>n, 0xffffffff);
  if (<u64>effect > <u64>target) {
    const keep = <u32>min<u64>(pending, <u64>(effect - target));
    pending -= <u64>keep;
    effect -= keep;
  } else if (effect < target) {
    pending = min<u64>(pending + <u64>(target - effect), 0xffffffff);
    effect = target;
  }
  store<u32>(p + P.SLOT_WIN_EFFECT, effect);
  if (pending < <u64>(target >> 2)) { store<u32>(p + P.SLOT_RECV_PENDING, <u32>pending); return 0; }
  store<u32>(p + P.SLOT_RECV_PENDING, 0);
  if (allowed == 0 && load<u32>(p + P.SLOT_WIN_PROBE_AT) == 0) store<u32>(p + P.SLOT_WIN_PROBE_AT, now | 1);
  return <u32>pending;
}
