// Fan-out of site events to Watch streams. Publishers check `wants()` first so per-flow events
// cost nothing while nobody watches them.
import type { Event, EventType, ResourceEvent, LinkEvent, RoutesEvent, FlowEvent } from './types.js';

type Detail = { resource: ResourceEvent } | { link: LinkEvent } | { routes: RoutesEvent } | { flow: FlowEvent } | Record<string, never>;
interface Subscriber { types: ReadonlySet<EventType>; send: (e: Event) => void }

export class WatchHub {
  private seq = 0;
  private readonly subs = new Set<Subscriber>();
  private readonly changed = new Set<() => void>();

  /** Calls `f` whenever a subscriber comes or goes (a producer may then start or stop producing). */
  onWatchersChanged(f: () => void): void { this.changed.add(f); }

  /** True when some subscriber wants events of `type`. */
  wants(type: EventType): boolean {
    for (const s of this.subs) if (s.types.size === 0 || s.types.has(type)) return true;
    return false;
  }

  /** Sends an event to every subscriber that wants its type. */
  publish(type: EventType, detail: Detail): void {
    if (!this.wants(type)) return;
    const e: Event = { seq: ++this.seq, time: new Date().toISOString(), type, ...detail };
    for (const s of this.subs) if (s.types.size === 0 || s.types.has(type)) s.send(e);
  }

  /** Registers a subscriber (empty `types`: all) and sends it SYNC; returns the unsubscribe function. */
  subscribe(types: readonly EventType[], send: (e: Event) => void): () => void {
    const s: Subscriber = { types: new Set(types), send };
    this.subs.add(s);
    for (const f of this.changed) f();
    send({ seq: this.seq, time: new Date().toISOString(), type: 'SYNC' });
    return () => { if (this.subs.delete(s)) for (const f of this.changed) f(); };
  }

  get subscribers(): number { return this.subs.size; }
}
