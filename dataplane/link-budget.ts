// What one linked peer may cost this site: OPEN rate, control-frame bytes, unanswered PINGs,
// malformed OPENs and relays per link, slots relays leave free, and concurrent flows per connector. Every number is here (the stream quota
// per link, which the core enforces, is MAX_PEER_STREAMS in protocol.ts). Pure: time is passed in.

/** The limits; docs/security.md explains them. */
export const LINK_LIMITS = Object.freeze({
  /**
   * OPENs a peer may send on one link: sustained per second, and burst. Above what one site accepts
   * in practice (bench: about 3,000 new connections/s over one link), so it only bites on a flood;
   * concurrency is bounded by MAX_PEER_STREAMS and the connector cap, this bounds the churn.
   */
  opensPerSec: 10_000,
  opensBurst: 20_000,
  /** link-level frame bytes (HELLO, PING, PONG, ROUTES, GOAWAY; the 12-byte header included): per second, and burst */
  controlBytesPerSec: 1 << 20,
  controlBurst: 4 << 20,
  /** our PONGs that may wait while the peer reads nothing (and none while the link is congested); beyond, PINGs go unanswered */
  pongBacklog: 64,
  /** PINGs left unanswered in a row, the peer reading none of our bytes meanwhile, before the link is dropped with ERR_OVER_BUDGET */
  unansweredPings: 1000,
  /**
   * malformed OPENs (bad JSON, bad fields: the peer's own fault) a link may send: per second, and
   * burst; past it the link is dropped. OPENs refused for a quota, the OPEN rate, a connector cap or a
   * full table only get a RESET: a busy hub relaying for others must not lose its link for them.
   */
  refusalsPerSec: 1000,
  refusalsBurst: 10_000,
  /** how long a GOAWAY for an over-budget peer may take to leave before the socket is destroyed */
  goAwayGraceMs: 1000,
  /** concurrent flows to one connector's server (local clients and OPENs from every link) */
  connectorFlows: 1024,
  /**
   * concurrent relays (an inbound stream joined to an outbound one) one link's peer may hold. The
   * outbound slot is charged to nobody in the core's MAX_PEER_STREAMS, so without this a peer that
   * never answers would hold two slots per OPEN.
   */
  relaysPerLink: 4096,
  /** free stream-table slots a relay may not take: local listeners and other links always keep them */
  relayReserveSlots: 8192,
});

/** A token bucket: `rate` tokens per second up to `burst`; starts full. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(private readonly rate: number, private readonly burst: number, now: number) {
    this.tokens = burst;
    this.at = now;
  }

  /** Takes `n` tokens if there are that many; false (and nothing taken) otherwise. */
  take(n: number, now: number): boolean {
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
      this.at = now;
    }
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/** The budgets of one link. */
export class LinkBudget {
  readonly opens: TokenBucket;
  readonly control: TokenBucket;
  readonly refusals: TokenBucket;
  /** PONGs queued since the link's send buffer was last empty */
  pongsWaiting = 0;
  /** PINGs not answered since the peer last read our backlog */
  pingsUnanswered = 0;
  /** our bytes that had left the socket at the last PING */
  bytesLeft = 0;
  /** OPENs refused on this link, for status and logs */
  opensRefused = 0;
  /** relays whose inbound stream arrived on this link and has not ended */
  relays = 0;

  constructor(now: number, readonly limits: typeof LINK_LIMITS = LINK_LIMITS) {
    this.opens = new TokenBucket(limits.opensPerSec, limits.opensBurst, now);
    this.control = new TokenBucket(limits.controlBytesPerSec, limits.controlBurst, now);
    this.refusals = new TokenBucket(limits.refusalsPerSec, limits.refusalsBurst, now);
  }

  /** Counts a refused OPEN; for a malformed one (`fault`), false once the peer is past its budget. */
  refused(now: number, fault: boolean): boolean {
    this.opensRefused++;
    return !fault || this.refusals.take(1, now);
  }
}
