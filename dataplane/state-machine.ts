// An explicit state machine (links, flows, relay halves): named states, the moves each allows, and
// one checked move. An illegal move is a bug in the caller, never a peer's doing (peer input is
// checked before any move): see reportIllegal for what happens then.
import type { Logger } from 'pino';

/** For each state, the states it may move to; a state with none is terminal. */
export type Transitions<S extends string> = { readonly [K in S]: readonly S[] };

/** Told about a move the table refuses. */
export type IllegalTransition = (machine: string, from: string, to: string) => void;

export class StateMachine<S extends string> {
  private s: S;

  constructor(readonly name: string, initial: S, private readonly table: Transitions<S>, private readonly illegal: IllegalTransition) {
    this.s = initial;
  }

  get state(): S { return this.s; }

  /** Whether the table allows moving to `next` now. */
  can(next: S): boolean { return this.table[this.s].includes(next); }

  /** Moves to `next` and returns true, or reports an illegal move and stays (returns false). */
  to(next: S): boolean {
    if (!this.table[this.s].includes(next)) {
      this.illegal(this.name, this.s, next);
      return false;
    }
    this.s = next;
    return true;
  }

  /** In a state with no way out. */
  get terminal(): boolean { return this.table[this.s].length === 0; }
}

const seen = new Set<string>();
let count = 0;

/** Illegal moves reported in this process (tests read it). */
export function illegalTransitions(): number { return count; }

/**
 * What an illegal move does. Under SVCNET_STRICT_STATES=1 (the test runner sets it, also for the
 * sites it starts) it throws, so a test fails at the bug. In production the move is refused — the
 * object keeps its state and skips the move's side effects — counted, and logged once per
 * (machine, from, to): a throw there would run inside a socket callback and reach the engine's
 * uncaught-error policy, which resets every flow of the site to fix one object's bookkeeping.
 */
export function reportIllegal(log: Logger, machine: string, from: string, to: string): void {
  count++;
  const what = `illegal ${machine} transition ${from} -> ${to}`;
  if (process.env.SVCNET_STRICT_STATES === '1') throw new Error(what);
  const kind = `${machine}:${from}:${to}`;
  if (seen.has(kind)) return;
  seen.add(kind);
  log.error({ machine, from, to }, `${what} refused (a bug; logged once per kind)`);
}
