// When certificates are due for renewal, and renewing a link's client certificate over
// GrantService/Renew, authenticated by the current certificate (mutual TLS). A fresh key is made
// for every renewal; the new certificate and the issuer's current CA replace the old files.
import type { SiteStore } from '../state/site-store.js';
import { certInfo, createCsr, SKEW_MS } from './ca.js';
import { callGrantService } from './grant-client.js';

/** Renew once this fraction of a certificate's life remains (as cert-manager does by default). */
export const RENEW_REMAINING_FRACTION = 1 / 3;

/** The time (ms) at which a certificate should be renewed: when a third of its life remains. */
export function renewAt(certPem: string): number {
  const c = certInfo(certPem);
  const issued = c.notBefore.getTime() + SKEW_MS;
  const end = c.notAfter.getTime();
  return end - Math.max(0, end - issued) * RENEW_REMAINING_FRACTION;
}

/** First retry after a failed renewal, doubled per failure up to the cap. */
export const RENEW_RETRY_MS = 2000;
export const RENEW_RETRY_CAP_MS = 60_000;

/**
 * How long to wait before renewal attempt `failures + 1`, with `msLeft` of the certificate's life
 * remaining: the backoff, but never past the expiry while life is left — within a third of what
 * remains, and no sooner than `minMs` (the renewal check's period). A certificate that expires cannot
 * renew itself (the issuer checks it by mutual TLS), so one failed try near the end must not be the last.
 */
export function renewRetryDelay(failures: number, msLeft: number, minMs: number): number {
  const backoff = Math.min(RENEW_RETRY_CAP_MS, RENEW_RETRY_MS * 2 ** Math.max(0, failures - 1));
  return msLeft > 0 ? Math.min(backoff, Math.max(minMs, msLeft / 3)) : backoff;
}

interface RenewResponse { certificate: string; ca: string }

/** Renews the client certificate of link credentials `name`; returns the new serial and expiry. */
export async function renewLinkCredentials(store: SiteStore, name: string, o: { timeoutMs?: number } = {}): Promise<{ serial: string; notAfter: Date; caChanged: boolean }> {
  const cur = store.readLinkCredentials(name);
  if (!cur.grantUrl) throw new Error(`link ${name} does not know where to renew its certificate (made before renewal existed); redeem a new token`);
  const me = certInfo(cur.cert).commonName;
  const { key, csr } = await createCsr(me);
  const res = await callGrantService<RenewResponse>(cur.grantUrl, { ca: cur.ca, key: cur.key, cert: cur.cert }, 'Renew', { csr }, { timeoutMs: o.timeoutMs });
  const got = certInfo(res.certificate);
  if (got.commonName !== me) throw new Error(`renewal returned a certificate for "${got.commonName}", not "${me}"; keeping the current one`);
  await store.exclusive(async () => {
    store.readLinkCredentials(name); // throws if the link was deleted while we were away
    await store.writeLinkCredentials(name, { key, cert: res.certificate, ca: res.ca, grantUrl: cur.grantUrl });
  });
  return { serial: got.serial, notAfter: got.notAfter, caChanged: res.ca.trim() !== cur.ca.trim() };
}
