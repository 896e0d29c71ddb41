// One status for a site that runs several engines, from each engine's snapshot: counters summed,
// listeners and connectors merged by name (flows summed), every engine's links listed under a name
// that says which worker holds them. Pure; the engine pool calls it on read.
import type { ConnectorStatus, EngineStatus, ListenerStatus, NetworkSite } from '../../dataplane/port/report.js';
import { workerSuffix } from './worker-node.js';

/** An engine's last snapshot and its 1-based worker index. */
export interface WorkerSnapshot { worker: number; status: EngineStatus }

const sum = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
};

/** Merges rows with the same name: flows summed, the rest from the row `pick` prefers (a ready one). */
function byName<T extends ListenerStatus | ConnectorStatus>(rows: T[], pick: (a: T, b: T) => T): T[] {
  const out = new Map<string, T>();
  for (const r of rows) {
    const cur = out.get(r.name);
    out.set(r.name, cur ? { ...pick(cur, r), flowsActive: cur.flowsActive + r.flowsActive, flowsOpened: cur.flowsOpened + r.flowsOpened } : { ...r });
  }
  return [...out.values()];
}

/** Every node any engine knows, as the lowest engine that knows it sees it. */
function unionSites(all: EngineStatus[]): NetworkSite[] {
  const out = new Map<string, NetworkSite>();
  for (const s of all) for (const n of s.network.sites) if (!out.has(n.id)) out.set(n.id, n);
  return [...out.values()];
}

/**
 * The site's data-plane status from its running engines (lowest worker first); undefined when none
 * has reported. One engine: its status as it is. The network is the union of the engines' views
 * (each engine sees the nodes its own links reach; costs are from the lowest engine that sees a
 * node); the link port and the pushes are the lowest running engine's (all get the same pushes).
 */
export function mergeStatus(snaps: WorkerSnapshot[]): EngineStatus | undefined {
  if (snaps.length <= 1) return snaps[0]?.status;
  const first = snaps[0].status;
  const all = snaps.map((s) => s.status);
  return {
    ...first,
    network: { ...first.network, sites: unionSites(all) },
    links: snaps.flatMap(({ worker, status }) => status.links.map((l) => (worker === 1 ? l : { ...l, name: l.name + workerSuffix(worker) }))),
    listeners: byName(all.flatMap((s) => s.listeners), (a, b) => (a.status !== 'ready' && b.status === 'ready' ? b : a)),
    connectors: byName(all.flatMap((s) => s.connectors), (a, b) => (!a.ready && b.ready ? b : a)),
    counters: all.slice(1).reduce((c, s) => sum(c as unknown as Record<string, number>, s.counters as unknown as Record<string, number>) as unknown as EngineStatus['counters'], first.counters),
    streamsActive: all.reduce((n, s) => n + s.streamsActive, 0),
    refused: all.slice(1).reduce((r, s) => sum(r, s.refused), first.refused),
    linksRefusedTotal: all.reduce((n, s) => n + s.linksRefusedTotal, 0),
    eventLoop: { stalls: all.reduce((n, s) => n + s.eventLoop.stalls, 0), longestMs: Math.max(...all.map((s) => s.eventLoop.longestMs)) },
    memory: { rss: all.reduce((n, s) => n + s.memory.rss, 0), heapUsed: all.reduce((n, s) => n + s.memory.heapUsed, 0) },
    // Bench streams (issue 14) are served by whichever engine holds the link: summed like the counters.
    bench: all.some((s) => s.bench) ? all.reduce((b, s) => (s.bench ? sum(b, s.bench) : b), {} as Record<string, number>) as EngineStatus['bench'] : undefined,
  };
}
