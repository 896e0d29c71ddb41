// When a link dialer dials next (issue 15): at once at start; after a short capped backoff when the
// connection failed or dropped; after a longer one when the peer refused us (policy, identity); and
// not at all, once our certificate is revoked there, until the link's credentials change.
import type { Logger } from 'pino';
import { StateMachine, reportIllegal, type Transitions } from './state-machine.js';
import { backoffDelay } from '../common/backoff.js';
import type { LinkRefusal } from './link-refusal.js';

/** A dialer's life. */
export enum DialState {
  /** a dial (TCP, proxy, TLS, HELLO) is under way */
  Connecting = 'connecting',
  /** the link is up */
  Ready = 'ready',
  /** the last dial failed or the link dropped: redial after a capped backoff */
  Retrying = 'retrying',
  /** the peer refused us (GOAWAY with a reason): redial after a longer backoff */
  Refused = 'refused',
  /** the peer revoked our certificate: no redial until the link's credentials change */
  Revoked = 'revoked',
  /** the link was deleted */
  Stopped = 'stopped',
}

/** The moves a dialer may make: only a dial leaves a waiting state; stopped is final. */
export const DIAL_TRANSITIONS: Transitions<DialState> = {
  [DialState.Connecting]: [DialState.Ready, DialState.Retrying, DialState.Refused, DialState.Revoked, DialState.Stopped],
  [DialState.Ready]: [DialState.Retrying, DialState.Refused, DialState.Revoked, DialState.Stopped],
  [DialState.Retrying]: [DialState.Connecting, DialState.Stopped],
  [DialState.Refused]: [DialState.Connecting, DialState.Stopped],
  [DialState.Revoked]: [DialState.Connecting, DialState.Stopped],
  [DialState.Stopped]: [],
};

/** First wait after a refusal; it doubles per refusal in a row up to REFUSAL_CAP_MS (with jitter). */
export const REFUSAL_BASE_MS = 1000;
export const REFUSAL_CAP_MS = 60_000;

/** Delay before the redial after the `n`th refusal in a row (0-based): base * 2^n capped, times [0.5, 1). */
export function refusalDelay(n: number, random = Math.random): number {
  return backoffDelay(n, random, REFUSAL_BASE_MS, REFUSAL_CAP_MS);
}

/** Time and timers, so tests can run a dialer on a fake clock. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class Redial {
  private readonly machine: StateMachine<DialState>;
  private failures = 0;
  private refusals = 0;
  private timer: unknown;
  /** the last refusal, kept until the link is up again or the credentials change */
  refusal: LinkRefusal | undefined;
  /** when the next dial is due (epoch ms), while waiting for one */
  retryAt: number | undefined;

  constructor(private readonly dial: () => void, log: Logger, private readonly clock: Clock = realClock, private readonly random: () => number = Math.random) {
    this.machine = new StateMachine('dialer', DialState.Connecting, DIAL_TRANSITIONS, (m, from, to) => reportIllegal(log, m, from, to));
  }

  get state(): DialState { return this.machine.state; }

  /** Dials for the first time. */
  start(): void { this.dial(); }

  /** The link is up: every backoff starts over. */
  linked(): void {
    if (!this.machine.to(DialState.Ready)) return;
    this.failures = 0;
    this.refusals = 0;
    this.refusal = undefined;
  }

  /** The dial failed or the link dropped without a refusal: redial soon. */
  failed(): number {
    return this.wait(DialState.Retrying, backoffDelay(this.failures++, this.random));
  }

  /** The peer refused us: wait longer each time, or, revoked, until the credentials change. Returns the wait (Infinity: held). */
  refused(r: LinkRefusal): number {
    this.refusal = r;
    if (r.revoked) {
      if (this.machine.to(DialState.Revoked)) this.retryAt = undefined;
      return Infinity;
    }
    return this.wait(DialState.Refused, refusalDelay(this.refusals++, this.random));
  }

  /**
   * New credentials were pushed. A dialer held by a revocation dials again only with a new
   * certificate (`newCertificate`); one refused for another reason dials at once either way. Up or
   * retrying, nothing changes: the next dial uses them.
   */
  credentialsChanged(newCertificate: boolean): boolean {
    const s = this.state;
    if (!(s === DialState.Refused || (s === DialState.Revoked && newCertificate))) return false;
    this.clock.clearTimeout(this.timer);
    this.failures = 0;
    this.refusals = 0;
    this.refusal = undefined;
    this.fire();
    return true;
  }

  /** The link was deleted: no more dials. */
  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.retryAt = undefined;
    this.machine.to(DialState.Stopped);
  }

  private wait(state: DialState.Retrying | DialState.Refused, delay: number): number {
    if (!this.machine.to(state)) return Infinity;
    this.retryAt = this.clock.now() + delay;
    this.timer = this.clock.setTimeout(() => this.fire(), delay);
    return delay;
  }

  private fire(): void {
    if (!this.machine.to(DialState.Connecting)) return;
    this.retryAt = undefined;
    this.dial();
  }
}
