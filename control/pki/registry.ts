// What this site's CA has issued to other sites and what it has revoked, kept in pki/issued.json and
// pki/revoked.json. A "lineage" is one redemption and every renewal that followed it: revoking
// it revokes them all, including the certificate a long-lived link was opened with.
import type { SiteStore } from '../state/site-store.js';

/** One certificate signed for another site. */
export interface IssuedCert {
  serial: string;
  site: string;
  siteId: string;
  /** the AccessGrant it came through; deleting the grant revokes it */
  grant: string;
  /** serial of the certificate first issued at redemption; renewals keep it */
  lineage: string;
  issuedAt: string;
  notAfter: string;
}

/** A revoked lineage (with the serials known at the time, for people reading the file). */
export interface Revocation { lineage: string; site: string; grant: string; serials: string[]; reason: string; at: string }

/** Entries expired longer than this are dropped when the file is rewritten; no handshake can use them. */
const KEEP_EXPIRED_MS = 3_600_000;

function readJson<T>(store: SiteStore, file: string): T[] {
  const text = store.readPkiFile(file);
  if (!text) return [];
  try { return JSON.parse(text) as T[]; } catch (err) { throw new Error(`pki/${file} is corrupt (${(err as Error).message}); refusing to guess which certificates are valid`); }
}

/** Every certificate issued to another site (and not long expired). */
export function loadIssued(store: SiteStore): IssuedCert[] { return readJson<IssuedCert>(store, 'issued.json'); }

/** Every revocation, newest last. Kept forever: they are small and must survive restarts. */
export function loadRevocations(store: SiteStore): Revocation[] { return readJson<Revocation>(store, 'revoked.json'); }

/** Records a certificate we signed; drops entries that expired long ago. */
export async function recordIssued(store: SiteStore, entry: IssuedCert, now = Date.now()): Promise<void> {
  const keep = loadIssued(store).filter((e) => Date.parse(e.notAfter) > now - KEEP_EXPIRED_MS);
  keep.push(entry);
  await store.writePkiFile('issued.json', JSON.stringify(keep, null, 1) + '\n');
}

/** The issued entry for a serial, if we signed it. */
export function findIssued(issued: readonly IssuedCert[], serial: string): IssuedCert | undefined {
  return issued.find((e) => e.serial === serial);
}

/**
 * Lineages that are revoked: listed in revoked.json, or issued through a grant that no longer
 * exists (deleting an AccessGrant revokes what it issued, whoever deleted it and however).
 */
export function revokedLineages(issued: readonly IssuedCert[], revocations: readonly Revocation[], grantNames: ReadonlySet<string>): Set<string> {
  const out = new Set(revocations.map((r) => r.lineage));
  for (const e of issued) if (!grantNames.has(e.grant)) out.add(e.lineage);
  return out;
}

/** Revokes every lineage of `site` (deleting its inbound link); returns the revocations written. */
export async function revokeSite(store: SiteStore, site: string, reason: string, now = Date.now()): Promise<Revocation[]> {
  const issued = loadIssued(store);
  const existing = loadRevocations(store);
  const done = new Set(existing.map((r) => r.lineage));
  const added: Revocation[] = [];
  for (const e of issued) {
    if (e.site !== site || done.has(e.lineage)) continue;
    done.add(e.lineage);
    added.push({ lineage: e.lineage, site, grant: e.grant, serials: issued.filter((x) => x.lineage === e.lineage).map((x) => x.serial), reason, at: new Date(now).toISOString() });
  }
  if (added.length) await store.writePkiFile('revoked.json', JSON.stringify([...existing, ...added], null, 1) + '\n');
  return added;
}
