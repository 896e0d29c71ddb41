// Bytes each link carried (frames, before TLS), per link name since the engine started: live links
// read their socket's counters, links that went down leave their final counts here.
import { LinkState, type Link } from './link.js';

export interface LinkBytesTotal { bytesIn: number; bytesOut: number }

export class LinkBytes {
  private readonly closed = new Map<string, LinkBytesTotal>();

  /** A link went down: its counts join its name's total. */
  down(l: Link, direction: 'outbound' | 'inbound'): void {
    const t = this.closedOf(l.name, direction);
    t.bytesIn += l.socket.bytesRead;
    t.bytesOut += l.socket.bytesWritten;
  }

  /** The total for a link name: closed connections plus the live one, if any (a closed one is counted by down()). */
  total(name: string, direction: 'outbound' | 'inbound', link: Link | undefined): LinkBytesTotal {
    const live = link && link.state !== LinkState.Closed ? link : undefined;
    const t = this.closed.get(`${direction}\u0000${name}`);
    return { bytesIn: (t?.bytesIn ?? 0) + (live?.socket.bytesRead ?? 0), bytesOut: (t?.bytesOut ?? 0) + (live?.socket.bytesWritten ?? 0) };
  }

  private closedOf(name: string, direction: string): LinkBytesTotal {
    const k = `${direction}\u0000${name}`;
    let t = this.closed.get(k);
    if (!t) this.closed.set(k, (t = { bytesIn: 0, bytesOut: 0 }));
    return t;
  }
}
