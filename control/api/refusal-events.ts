// LINK_REFUSED Watch events (issue 15): a dialing link that the peer refused (revoked certificate,
// policy) is seen in the engine's status as `refusal`; this turns each new refusal into one event
// (a new code on a link, or a code again after the link was up), not one per status report or redial.
import type { LinkStatus } from '../../dataplane/port/report.js';
import type { WatchHub } from './watch-hub.js';

export class RefusalEvents {
  /** refused links by name, with the code last announced */
  private readonly announced = new Map<string, string>();

  constructor(private readonly hub: WatchHub) {}

  /** Compares the links of a status report with the last one; publishes LINK_REFUSED for each link newly refused. */
  update(links: readonly LinkStatus[]): void {
    const refused = new Set<string>();
    for (const l of links) {
      const r = l.refusal;
      if (!r) continue;
      refused.add(l.name);
      if (this.announced.get(l.name) === r.code) continue;
      this.announced.set(l.name, r.code);
      const then = r.redial === 'held' ? 'not redialed until its credentials change' : `redialed with backoff${r.retryAt ? ` (next at ${r.retryAt})` : ''}`;
      this.hub.publish('LINK_REFUSED', { link: { name: l.name, direction: l.direction, peerSite: r.by || l.peer || '', reason: `${r.reason}; ${then}`, code: r.code } });
    }
    for (const name of [...this.announced.keys()]) if (!refused.has(name)) this.announced.delete(name);
  }
}
