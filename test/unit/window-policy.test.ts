// Issue 11 item 6: the adaptive receive window as a pure state machine (window-policy.ts), driven by
// a fake clock (µs): draining the HELLO window down to the start window, growth toward the BDP when
// the credit loop bounds the rate, the HELLO ceiling, the fall-back after an idle spell.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import { WindowTable, windowOpen, windowData, windowConsumed } from '../../dataplane/core/window-policy.js';

const CEIL = 4 << 20;
const START = P.WINDOW_START;

/** One stream (slot 1) seen by its receiver: the sender's credit, what the policy grants, a clock. */
class Stream {
  readonly w = new WindowTable(2);
  now = 1000;
  /** credit the sender holds, as the receiver sees it */
  allowed: number;
  constructor(readonly ceiling = CEIL) {
    windowOpen(this.w, 1, this.now, ceiling);
    this.allowed = ceiling;
  }
  /** DATA of `n` bytes arrives after `dt` µs; the host delivers it at once; returns the grant. */
  deliver(n: number, dt = 0): number {
    this.now += dt;
    this.allowed -= n;
    windowData(this.w, 1, this.now);
    const g = windowConsumed(this.w, 1, this.now, n, this.ceiling, this.allowed);
    this.allowed += g;
    return g;
  }
  get target(): number { return this.w.target[1]; }
  get effect(): number { return this.w.effect[1]; }
}

test('issue 11: a stream opens with the sender holding the HELLO window and a start target', () => {
  const s = new Stream();
  assert.is(s.target, START);
  assert.is(s.effect, CEIL);
  const small = new Stream(16384);
  assert.is(small.target, 16384, 'a HELLO window under the start window is the target');
  assert.is(small.effect, 16384);
});

test('issue 11: draining — consumed bytes are not credited back until the window in effect is the target', () => {
  const s = new Stream();
  let granted = 0;
  for (let i = 0; i < (CEIL - START) / 65536; i++) granted += s.deliver(65536, 10_000); // slow: never grows
  assert.is(granted, 0, 'nothing credited while draining the HELLO window');
  assert.is(s.effect, START);
  assert.is(s.deliver(START / 4, 10_000), START / 4, 'steady: a quarter target is credited back');
  assert.is(s.deliver(START / 8, 10_000), 0, 'batched below a quarter');
});

test('issue 11: the same window under a HELLO window at most the start window credits a quarter at a time (old behaviour)', () => {
  const s = new Stream(START);
  assert.equal([s.deliver(START / 8), s.deliver(START / 8 - 1), s.deliver(1), s.deliver(5)], [0, 0, START / 4, 0]);
});

/** Drains `s` to its start target, then runs it credit-bound: the sender sends all its credit each
 *  round trip of `rtt` µs and the receiver consumes at once. Returns the targets seen. */
function creditBound(s: Stream, rtt: number, rounds: number): number[] {
  while (s.effect > s.target) s.deliver(Math.min(s.allowed, 65536), 50_000);
  const seen: number[] = [];
  for (let r = 0; r < rounds; r++) {
    s.deliver(s.allowed, rtt);
    seen.push(s.target);
  }
  return seen;
}

test('issue 11: growing — a window consumed within a couple of round trips doubles, up to the HELLO window', () => {
  const s = new Stream();
  const seen = creditBound(s, 500, 40);
  assert.ok(s.w.rtt[1] > 0, 'a round trip was sampled (credit went to a starved sender)');
  assert.ok(seen.includes(2 * START) && seen.includes(4 * START), `doubling: ${seen.join(' ')}`);
  assert.is(s.target, CEIL, 'reaches the ceiling');
  assert.ok(s.allowed <= CEIL, 'never more credit than the HELLO window');
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] === seen[i - 1] || seen[i] === 2 * seen[i - 1] || seen[i] === CEIL);
});

test('issue 11: no growth when the application, not the window, bounds the rate', () => {
  const s = new Stream();
  while (s.effect > s.target) s.deliver(65536, 50_000);
  // The sender runs dry and its DATA arrives 500 µs after each credit (a round trip is sampled), but
  // the application takes 20 ms to accept each window: the rate is the application's.
  for (let r = 0; r < 40; r++) {
    const n = s.allowed;
    s.now += 500;
    s.allowed -= n;
    windowData(s.w, 1, s.now);
    s.now += 20_000;
    s.allowed += windowConsumed(s.w, 1, s.now, n, CEIL, s.allowed);
  }
  assert.ok(Math.abs(s.w.rtt[1] - 500) <= 1, 'probes start at odd times');
  assert.is(s.target, START);
  // The same stream with the application keeping up: the window is what bounds it, and it grows.
  for (let r = 0; r < 4; r++) s.deliver(s.allowed, 500);
  assert.ok(s.target > START);
});

test('issue 11: no growth without a round-trip sample (the sender never ran out of credit)', () => {
  const s = new Stream();
  while (s.effect > s.target) s.deliver(65536, 1);
  for (let r = 0; r < 40; r++) s.deliver(Math.max(1, s.allowed - 1024), 1);
  assert.is(s.w.rtt[1], 0);
  assert.is(s.target, START);
});

test('issue 11: shrinking — after an idle second the target is the start window again, and the credit drains', () => {
  const s = new Stream();
  creditBound(s, 500, 40);
  assert.is(s.target, CEIL);
  const held = s.allowed;
  s.now += P.WINDOW_IDLE_US;
  let granted = s.deliver(1024);
  assert.is(s.target, START, 'back to the start window');
  while (s.effect > s.target) granted += s.deliver(Math.min(s.allowed, 65536), 50_000);
  assert.is(granted, 0, 'the credit the sender held is used up before any is granted again');
  assert.ok(s.allowed + s.w.pending[1] <= START, `in effect now ${s.allowed} + ${s.w.pending[1]}, was ${held}`);
  s.now += P.WINDOW_IDLE_US - 1;
  s.deliver(1);
  assert.is(s.target, START);
});

test('issue 11: round trips are smoothed (7/8 old + 1/8 new) and only sampled after credit to a starved sender', () => {
  const w = new WindowTable(2);
  windowOpen(w, 1, 0, START);
  windowData(w, 1, 100);
  assert.is(w.rtt[1], 0, 'no probe: no sample');
  assert.is(windowConsumed(w, 1, 101, START / 4, START, 0), START / 4); // probes start at odd times (0 = none)
  windowData(w, 1, 901);
  assert.is(w.rtt[1], 800);
  windowConsumed(w, 1, 1001, START / 4, START, 0);
  windowData(w, 1, 2601);
  assert.is(w.rtt[1], 800 - 100 + 200);
  windowConsumed(w, 1, 3000, START / 4, START, 5);
  windowData(w, 1, 9000);
  assert.is(w.rtt[1], 900, 'the sender still had credit: not a round trip');
  windowConsumed(w, 1, 10001, START / 4, START, 0);
  windowData(w, 1, 10001 + 50_000);
  assert.is(w.rtt[1], 900 - 112 + 225, 'a long pause counts as twice the estimate at most');
  windowConsumed(w, 1, 70001, START / 4, START, 0);
  windowData(w, 1, 70001 + P.WINDOW_IDLE_US);
  assert.is(w.rtt[1], 1013, 'an idle spell is no round trip');
});

test('issue 11: the clock may wrap (u32 µs)', () => {
  const s = new Stream();
  s.now = 2 ** 32 - 5000;
  windowOpen(s.w, 1, s.now, CEIL);
  s.allowed = CEIL;
  const seen = creditBound(s, 500, 40).map(() => 0);
  s.now %= 2 ** 32;
  assert.is(seen.length, 40);
  assert.is(s.target, CEIL, 'grew across the wrap');
});

test.run();
