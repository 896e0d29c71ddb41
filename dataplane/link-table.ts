// The links of one data plane, by index (the core's link number): attaching a verified socket,
// the bookkeeping when a link becomes ready or goes down, and which ready link reaches a neighbour.
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import * as P from '../wasm/assembly/protocol.js';
import type { ForwardingCore } from './core/core.js';
import type { Outbox } from './outbox.js';
import { Link, LinkState, type LinkEvents, type PeerExpectation, type PeerHello } from './link.js';

/** Who we are on every link: our HELLO without cost and proof, and what signs the proof. */
export interface LinkIdentity {
  hello: Omit<PeerHello, 'proof' | 'cost'>;
  sign(bytes: Buffer): string;
}

export class LinkTable {
  /** slot i holds the link the core knows as link i */
  readonly links: (Link | undefined)[] = new Array(P.MAX_LINKS);

  constructor(
    private readonly core: ForwardingCore,
    private readonly outbox: Outbox,
    private readonly me: LinkIdentity,
    private readonly log: Logger,
  ) {}

  /** Runs the link protocol on `socket` under the first free index; undefined (socket destroyed) when all are taken. */
  attach(socket: TLSSocket, dialer: boolean, name: string, cost: number, expect: PeerExpectation, events: LinkEvents): Link | undefined {
    const index = this.links.findIndex((l) => l === undefined);
    if (index < 0) {
      this.log.error({ name }, `link refused: at most ${P.MAX_LINKS} links per site`);
      socket.destroy();
      return undefined;
    }
    const log = this.log.child({ component: 'link', link: name, dialer });
    const link = new Link(index, socket, dialer, { ...this.me.hello, cost }, (b) => this.me.sign(b), events, this.outbox, log, name, expect);
    this.links[index] = link;
    this.core.linkOpen(index, dialer);
    link.coreDecode = (chunk) => this.core.decode(index, chunk, link);
    link.start();
    return link;
  }

  /** The peer's HELLO arrived: the core learns its window. */
  ready(link: Link): void {
    this.core.linkSetPeerWindow(link.index, link.peer!.window);
  }

  /** Whether `link` still holds its index (a link reports down once; a stale report is ignored). */
  holds(link: Link): boolean { return this.links[link.index] === link; }

  /** Frees the index of a link that went down: nothing queued for it is written, the core forgets it. */
  remove(link: Link): void {
    this.outbox.cancelLink(link.index);
    this.core.linkClose(link.index);
    this.links[link.index] = undefined;
  }

  /** The cheapest ready link to the neighbour `siteId`. */
  linkTo(siteId: string): Link | undefined {
    let best: Link | undefined;
    for (const l of this.links) {
      if (l && l.state === LinkState.Ready && l.peer!.siteId === siteId && (!best || l.peer!.cost < best.peer!.cost)) best = l;
    }
    return best;
  }

  /** Each neighbour with a ready link, at the cost of its cheapest one. */
  neighbourCosts(): Map<string, number> {
    const costs = new Map<string, number>();
    for (const l of this.readyLinks()) {
      const cur = costs.get(l.peer!.siteId);
      costs.set(l.peer!.siteId, cur === undefined ? l.peer!.cost : Math.min(cur, l.peer!.cost));
    }
    return costs;
  }

  /** Ready links, in index order. */
  readyLinks(): Link[] {
    const out: Link[] = [];
    for (const l of this.links) if (l && l.state === LinkState.Ready) out.push(l);
    return out;
  }

  /** Site ids of every attached link's peer (ready or not). */
  peerIds(): string[] {
    return this.links.flatMap((l) => (l?.peer ? [l.peer.siteId] : []));
  }

  /** Every attached link says GOAWAY and closes. */
  goAwayAll(code: number, reason: string): void {
    for (const l of this.links) l?.goAway(code, reason);
  }
}
