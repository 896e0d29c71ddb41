// The listeners and connectors this site runs, kept equal to what the control plane pushes: a diff
// by name with typed equality (a changed spec is closed and made anew; an equal one is kept, with
// its port, counters and flows).
import type net from 'node:net';
import type { Logger } from 'pino';
import { ListenerPort, keysOf, type ListenerSpec } from './listener.js';
import { ConnectorTarget, type ConnectorSpec } from './connector.js';
import type { RouteTable } from './routing/route-table.js';

/** Field-by-field equality; the mapped types make tsc refuse a spec field added without its rule. */
type Equality<T> = { [K in keyof Required<T>]: (a: T[K], b: T[K]) => boolean };
const same = <V>(a: V, b: V): boolean => a === b;
function equalBy<T>(rules: Equality<T>): (a: T, b: T) => boolean {
  const keys = Object.keys(rules) as (keyof T)[];
  return (a, b) => keys.every((k) => rules[k](a[k], b[k]));
}

/** Weighted keys are equal in order (order is priority in failover mode). */
function sameWeightedKeys(a: ListenerSpec['keys'], b: ListenerSpec['keys']): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((k, i) => k.key === b[i].key && k.weight === b[i].weight);
}

/** TLS settings are equal when their credentials (PEMs) and flags are (issue 15). */
const sameTls = <V>(a: V, b: V): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

/** Whether two listener specs ask for the same port and routing. */
export const sameListener = equalBy<ListenerSpec>({
  name: same, routingKey: same, host: same, port: same, mode: same, keys: sameWeightedKeys, affinity: same, type: same, tls: sameTls, balance: same,
});

/** Whether two connector specs name the same server for the same key. */
export const sameConnector = equalBy<ConnectorSpec>({ name: same, routingKey: same, host: same, port: same, type: same, tls: sameTls });

export interface BindingsHooks {
  /** a client connected to a listener's port */
  onClient(listener: ListenerPort, client: net.Socket): void;
  /** whether some site serves `key` now */
  reachable(key: string): boolean;
  /** the keys this site serves changed (connectors added, removed, ready or not): re-originate our record */
  localKeysChanged(): void;
}

export class Bindings {
  readonly listenerPorts = new Map<string, ListenerPort>();
  readonly connectors = new Map<string, ConnectorTarget>();

  constructor(private readonly hooks: BindingsHooks, private readonly log: Logger, private readonly drainMs?: number) {}

  /** Makes the set of listeners equal `specs`: new ports open, removed or changed ones close, flows continue. */
  setListeners(specs: ListenerSpec[]): void {
    const want = new Map(specs.map((s) => [s.name, s]));
    for (const [name, l] of this.listenerPorts) {
      const s = want.get(name);
      if (!s || !sameListener(s, l.spec)) { l.close(); this.listenerPorts.delete(name); }
    }
    for (const s of specs) {
      if (this.listenerPorts.has(s.name)) continue;
      const l = new ListenerPort(s, (lp, sock) => this.hooks.onClient(lp, sock), this.log.child({ component: 'listener' }));
      this.listenerPorts.set(s.name, l);
      l.setReachable(this.reachable(s));
    }
  }

  /** Makes the set of connectors equal `specs`; removed or changed ones stop taking flows and drain. */
  setConnectors(specs: ConnectorSpec[]): void {
    const want = new Map(specs.map((s) => [s.name, s]));
    for (const [name, c] of this.connectors) {
      const s = want.get(name);
      if (!s || !sameConnector(s, c.spec)) { c.retire(this.drainMs); this.connectors.delete(name); }
    }
    for (const s of specs) {
      if (this.connectors.has(s.name)) continue;
      this.connectors.set(s.name, new ConnectorTarget(s, (c) => {
        this.log.info({ connector: c.spec.name, ready: c.ready }, c.ready ? 'connector ready again' : c.message);
        this.hooks.localKeysChanged();
      }));
    }
    this.hooks.localKeysChanged();
  }

  /** Routing keys served here: connectors that are ready and not retired. */
  localKeys(): string[] {
    return [...this.connectors.values()].filter((c) => c.ready && !c.retired).map((c) => c.spec.routingKey);
  }

  /** A new route snapshot: each listener's port is open exactly while one of its keys is reachable. */
  updateReachability(table: RouteTable): void {
    for (const l of this.listenerPorts.values()) l.setReachable(keysOf(l.spec).some((k) => table.keys.has(k.key)));
  }

  private reachable(spec: ListenerSpec): boolean {
    return keysOf(spec).some((k) => this.hooks.reachable(k.key));
  }

  /** Closes every listener port (open flows are the flow setup's to end). */
  closeListeners(): void {
    for (const l of this.listenerPorts.values()) l.close();
  }
}
