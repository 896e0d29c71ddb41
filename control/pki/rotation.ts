// Rotation of a site's own certificates: a new server certificate from the current CA (run
// automatically before expiry), and a new CA (`svcnet site rotate-certificates`). The old CA stays
// trusted for the overlap and cross-signs the new one, so peers that trust only the old CA still
// verify us until they learn the new one at their next renewal: no link and no flow drops.
import type { SiteConfig, SiteStore } from '../state/site-store.js';
import { createCa, crossSign, issueLeaf, certInfo, leafLifetimeMs, SKEW_MS } from './ca.js';
import { loadPreviousCas } from './trust.js';

/** Names the link server certificate must carry (from linkAccess). */
export function serverHosts(cfg: SiteConfig): string[] {
  return [...new Set([cfg.linkAccess.host, 'localhost', '127.0.0.1'])];
}

/** Issues this site's server certificate from the current CA; the chain carries the cross certificate while one is valid. */
export async function renewServerCert(store: SiteStore, now = Date.now()): Promise<{ serial: string; notAfter: string }> {
  const cfg = store.readConfig();
  const leaf = await issueLeaf(store.readCa(), { commonName: cfg.name, hosts: serverHosts(cfg), server: true, client: true, siteId: cfg.id });
  const cross = store.readPkiFile('ca-cross.crt');
  const chain = cross && certInfo(cross).notAfter.getTime() > now ? leaf.cert + cross : leaf.cert;
  await store.writeServerCert({ key: leaf.key, cert: chain });
  return { serial: leaf.serial, notAfter: leaf.notAfter };
}

export interface RotationResult { previousCa: string; newCa: string; trustOldUntil: string; serverSerial: string }

/**
 * Rotates the site CA and server certificate (the function behind `svcnet site rotate-certificates`
 * and the RotateCertificates RPC). The old CA is trusted until every leaf it signed has expired
 * (`overlapMs`, default one leaf lifetime plus clock skew); leaves it signed keep working, and the
 * sites we issued certificates to get the new CA with their next renewal.
 */
export async function rotateCertificates(store: SiteStore, o: { overlapMs?: number } = {}, now = Date.now()): Promise<RotationResult> {
  const cfg = store.readConfig();
  const old = store.readCa();
  const next = await createCa(cfg.name);
  const until = now + (o.overlapMs ?? leafLifetimeMs() + SKEW_MS);
  const cross = crossSign(old, next.cert, until);
  const previous = loadPreviousCas(store).filter((p) => Date.parse(p.until) > now);
  previous.unshift({ cert: old.cert, until: new Date(until).toISOString() });
  // Order matters to a running site reading along: first trust the old CA as "previous", then
  // switch the current CA, then present the new certificate.
  await store.writePkiFile('ca-previous.json', JSON.stringify(previous, null, 1) + '\n');
  await store.writePkiFile('ca-cross.crt', cross);
  await store.writeCa(next);
  const server = await renewServerCert(store, now);
  return { previousCa: certInfo(old.cert).commonName, newCa: certInfo(next.cert).commonName, trustOldUntil: new Date(until).toISOString(), serverSerial: server.serial };
}
