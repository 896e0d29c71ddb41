// Which routing key a new flow at a listener uses: the single key, the first reachable by priority
// (failover), or one by weight (smooth weighted round robin, or a client-address hash for affinity).
// Pure: the listener keeps the small round-robin state.

import type { KeyMode } from '../port/push.js';

export type { KeyMode };

export interface KeyChoiceSpec {
  mode: KeyMode;
  keys: readonly { key: string; weight: number }[];
}

/** Per-listener state of the smooth weighted round robin (nginx's algorithm). */
export type RoundRobinState = Map<string, number>;

/** The key for the next flow, or undefined when none is reachable. `hash` set means affinity. */
export function chooseKey(spec: KeyChoiceSpec, reachable: (key: string) => boolean, rr: RoundRobinState, hash?: number): string | undefined {
  const live = spec.keys.filter((k) => reachable(k.key));
  if (live.length === 0) return undefined;
  if (spec.mode !== 'weighted') return live[0].key;
  const total = live.reduce((n, k) => n + k.weight, 0);
  if (hash !== undefined) {
    let at = hash % total;
    for (const k of live) {
      if (at < k.weight) return k.key;
      at -= k.weight;
    }
  }
  let best = live[0];
  for (const k of live) {
    const cur = (rr.get(k.key) ?? 0) + k.weight;
    rr.set(k.key, cur);
    if (cur > (rr.get(best.key) ?? 0)) best = k;
  }
  rr.set(best.key, (rr.get(best.key) ?? 0) - total);
  return best.key;
}

/** A stable 32-bit hash (FNV-1a) of a client address, for session affinity. */
export function addressHash(address: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) {
    h ^= address.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
