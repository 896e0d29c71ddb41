// Admission of a peer's OPENs: the per-link OPEN rate, a well-formed body, the relay cap and slot
// reserve, a connector's room; a refusal is a RESET (never a GOAWAY), counted and logged at a
// bounded rate. Flow setup (flow-setup.ts) asks here before it builds anything.
import * as P from '../wasm/assembly/protocol.js';
import type { ForwardingCore } from './core/core.js';
import type { Outbox } from './outbox.js';
import type { Link } from './link.js';
import { LinkState } from './link.js';
import type { ConnectorTarget } from './connector.js';
import type { LogBudget } from '../common/log-budget.js';
import { protocolErrorName } from './errors.js';

/** The body of an OPEN frame: where the flow goes and where it came from. */
export interface OpenRequest {
  key: string;
  dst: string;
  src: string;
  client?: string;
  /** client-address hash when the listener asks for session affinity */
  affinity?: number;
  /** the flow's id, the same in every site's flow record (absent from older peers) */
  flow?: string;
}

/** The counter admission keeps (part of the data plane's stats). */
export interface AdmissionStats { opensRefused: number }

export class OpenAdmission {
  constructor(
    private readonly core: ForwardingCore,
    private readonly outbox: Outbox,
    private readonly stats: AdmissionStats,
    private readonly warnings: LogBudget,
  ) {}

  /**
   * The request of an OPEN the peer may make, or undefined when it was refused here (its RESET is
   * queued, which releases the slot) or the link was dropped earlier in this chunk's dispatch.
   */
  admit(link: Link, slot: number, payload: Buffer): OpenRequest | undefined {
    if (link.state === LinkState.Closed) return undefined;
    if (!link.budget.opens.take(1, Date.now())) { this.refuse(link, slot, 'OPEN rate', `more than ${link.budget.limits.opensPerSec} OPENs per second`); return undefined; }
    try {
      const req = JSON.parse(payload.toString('utf8')) as OpenRequest;
      if (typeof req.key !== 'string' || typeof req.dst !== 'string') throw new Error('bad OPEN');
      return req;
    } catch {
      // The peer's own fault (a relay checks the body before passing it on): it counts toward the GOAWAY.
      this.outbox.stream(link, P.FRAME_RESET, slot, null, P.ERR_BAD_STATE);
      this.warnings.warn('open-malformed', { link: link.name, peer: link.peer?.siteName }, 'malformed OPEN refused');
      if (!link.budget.refused(Date.now(), true)) link.overBudget('malformed OPENs', `more than ${link.budget.limits.refusalsBurst} malformed OPENs`);
      return undefined;
    }
  }

  /** Whether `inLink` may hold one more relay; refused (RESET) past its relay cap or into the slots kept for listeners. */
  mayRelay(inLink: Link, inSlot: number): boolean {
    const limits = inLink.budget.limits;
    if (inLink.budget.relays >= limits.relaysPerLink) { this.refuse(inLink, inSlot, 'relay cap', `the link holds ${limits.relaysPerLink} relays`); return false; }
    if (P.MAX_SLOTS - 1 - this.core.usedSlots() <= limits.relayReserveSlots) { this.refuse(inLink, inSlot, 'relay reserve', `fewer than ${limits.relayReserveSlots} free stream slots`); return false; }
    return true;
  }

  /** Whether a connector takes one more flow (its cap protects the server behind it from a flood). */
  connectorHasRoom(c: ConnectorTarget, from: string): boolean {
    if (c.flowsActive < c.maxFlows) return true;
    this.warnings.warn(`connector-full:${c.spec.name}`, { connector: c.spec.name, from, flowsActive: c.flowsActive }, `connector at its cap of ${c.maxFlows} concurrent flows; flow refused`);
    return false;
  }

  /** The core refused an OPEN without giving it a slot (the peer's stream quota, or a full table). */
  refusedByCore(link: Link, id: number, code: number): void {
    const why = code === P.ERR_STREAM_QUOTA ? `the link holds ${P.MAX_PEER_STREAMS} streams opened by the peer` : 'the stream table is full';
    this.refuse(link, 0, code === P.ERR_STREAM_QUOTA ? 'stream quota' : 'stream table', why, id, code);
  }

  /** Refuses a peer's OPEN with ERR_STREAM_QUOTA (slot: queued RESET; rawId: never got a slot). A RESET
   *  only, never a GOAWAY: the link may be a hub relaying for others, or a busy link whose clients
   *  retry (issue 10 review B). Logged at a bounded rate, counted always. */
  refuse(link: Link, slot: number, kind: string, why: string, rawId = 0, code = P.ERR_STREAM_QUOTA): void {
    if (slot !== 0) this.outbox.stream(link, P.FRAME_RESET, slot, null, code);
    else this.outbox.resetRaw(link, rawId, code);
    this.stats.opensRefused++;
    link.budget.refused(Date.now(), false);
    this.warnings.warn(`open-refused:${kind}`, { link: link.name, peer: link.peer?.siteName, code: protocolErrorName(code), refusedOnLink: link.budget.opensRefused }, `OPEN refused: ${why}`);
  }
}
