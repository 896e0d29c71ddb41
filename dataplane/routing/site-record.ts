// The link-state unit every site floods over its links: who it is, whom it links to at what cost,
// and which routing keys its connectors serve, signed by the site's identity key. A higher `seq`
// replaces a lower one. Pure: parsing and the canonical bytes that are signed.

export interface SiteLinkEntry {
  /** id of the peer site */
  peer: string;
  cost: number;
}

export interface SiteRecord {
  id: string;
  name: string;
  /** increasing per site and tied to its clock: max(previous + 1, now in ms * 1000) */
  seq: number;
  links: SiteLinkEntry[];
  /** routing keys with at least one ready connector on this site */
  keys: string[];
  /** base64 raw Ed25519 public key of the originating site; its hash is the site id */
  pub: string;
  /** base64 Ed25519 signature by `pub` over recordBytes(this) */
  sig: string;
}

/** Link costs (Link resources, HELLO and records alike): integers in this range. */
export const MIN_COST = 1;
export const MAX_COST = 1_000_000;

/** Bounds on what one record may carry, so a record fits a ROUTES frame and a peer cannot grow ours. */
export const RECORD_LIMITS = Object.freeze({ idLength: 100, nameLength: 128, keys: 128, keyLength: 253, links: 64 });

/** Whether `c` is a valid link cost. */
export function validCost(c: unknown): c is number {
  return typeof c === 'number' && Number.isInteger(c) && c >= MIN_COST && c <= MAX_COST;
}

const shortString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** The bytes a record's signature covers: a domain tag and a JSON array of its fields in fixed order. */
export function recordBytes(r: Omit<SiteRecord, 'sig'>): Buffer {
  return Buffer.from(`svcnet-site-record-v1\n${JSON.stringify([r.id, r.name, r.seq, r.links.map((l) => [l.peer, l.cost]), r.keys, r.pub])}`);
}

/** Parses a record received from a peer; null when it is not a well-formed, bounded record. Signatures are checked by the database. */
export function parseSiteRecord(raw: unknown): SiteRecord | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const L = RECORD_LIMITS;
  if (!shortString(r.id, L.idLength) || !shortString(r.name, L.nameLength) || !Number.isSafeInteger(r.seq) || (r.seq as number) < 0) return null;
  if (!shortString(r.pub, 64) || !shortString(r.sig, 128)) return null;
  if (!Array.isArray(r.links) || !Array.isArray(r.keys) || r.links.length > L.links || r.keys.length > L.keys) return null;
  const links: SiteLinkEntry[] = [];
  for (const l of r.links) {
    if (typeof l !== 'object' || l === null) return null;
    const e = l as Record<string, unknown>;
    if (!shortString(e.peer, L.idLength) || !validCost(e.cost)) return null;
    links.push({ peer: e.peer, cost: e.cost });
  }
  if (!r.keys.every((k) => shortString(k, L.keyLength))) return null;
  return { id: r.id, name: r.name, seq: r.seq as number, links, keys: r.keys as string[], pub: r.pub, sig: r.sig };
}
