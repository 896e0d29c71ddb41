// The link-state unit every site floods over its links: who it is, whom it links to at what cost,
// and which routing keys its connectors serve. A higher `seq` replaces a lower one.

export interface SiteLinkEntry {
  /** id of the peer site */
  peer: string;
  cost: number;
}

export interface SiteRecord {
  id: string;
  name: string;
  /** monotonic across restarts (start time in ms * 1000 + counter) */
  seq: number;
  links: SiteLinkEntry[];
  /** routing keys with at least one ready connector on this site */
  keys: string[];
}

/** Parses a record received from a peer; null when it is not a well-formed record. */
export function parseSiteRecord(raw: unknown): SiteRecord | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string' || typeof r.name !== 'string' || typeof r.seq !== 'number') return null;
  if (!Array.isArray(r.links) || !Array.isArray(r.keys)) return null;
  const links: SiteLinkEntry[] = [];
  for (const l of r.links) {
    if (typeof l !== 'object' || l === null) return null;
    const e = l as Record<string, unknown>;
    if (typeof e.peer !== 'string' || typeof e.cost !== 'number' || !(e.cost > 0)) return null;
    links.push({ peer: e.peer, cost: e.cost });
  }
  if (!r.keys.every((k) => typeof k === 'string')) return null;
  return { id: r.id, name: r.name, seq: r.seq, links, keys: r.keys as string[] };
}
