// Who may hold an inbound link, as the controller last pushed it (the `admission` resource): a
// verified certificate must have been issued here, not be revoked and be allowed by policy. A new
// set also closes live inbound links whose certificate it now refuses (their flows are reset).
import type { PeerCertificate } from 'node:tls';
import type { Logger } from 'pino';
import { normalizeSerial } from '../../common/serial.js';
import type { AdmissionEntry } from '../port/push.js';
import { LinkState, type Link, type PeerExpectation } from '../link.js';
import { refusalCode } from '../link-refusal.js';
import { ERR_ABORTED } from '../../wasm/assembly/protocol.js';

export class Admission {
  private bySerial = new Map<string, AdmissionEntry>();
  /** refusals by code, shared with the link server's counters */
  readonly refused: Record<string, number>;
  linksClosed = 0;

  constructor(private readonly log: Logger, refused: Record<string, number>) {
    this.refused = refused;
  }

  /** Takes a new set and closes the live inbound links it refuses now; returns how many. */
  update(entries: AdmissionEntry[], links: readonly (Link | undefined)[]): number {
    this.bySerial = new Map(entries.map((e) => [e.serial, e]));
    let closed = 0;
    for (const l of links) {
      if (!l || l.dialer || l.state === LinkState.Closed || !l.peerCert) continue;
      const r = this.refusal(l.peerCert);
      if (!r) continue;
      closed++;
      this.log.warn({ peer: l.peer?.siteName ?? l.peerCert.subject?.CN, code: r.code, reason: r.reason }, 'inbound link closed: its certificate is no longer accepted');
      // The code tells the dialer why (revoked: it stops redialing; policy: it backs off).
      l.goAway(refusalCode(r.code) ?? ERR_ABORTED, r.reason);
    }
    this.linksClosed += closed;
    return closed;
  }

  private entryOf(cert: PeerCertificate): AdmissionEntry | undefined {
    return this.bySerial.get(normalizeSerial(cert.serialNumber ?? ''));
  }

  private refusal(cert: PeerCertificate): { code: string; reason: string } | null {
    const e = this.entryOf(cert);
    if (!e) return { code: 'SVCNET_ERR_CERT_UNKNOWN', reason: `certificate ${normalizeSerial(cert.serialNumber ?? '')} (${cert.subject?.CN}) was not issued through a grant of this site` };
    return e.refusal ?? null;
  }

  /** The link server's admission hook: a refusal (counted by code) or null. */
  admit(cert: PeerCertificate): { code: string; reason: string } | null {
    const r = this.refusal(cert);
    if (!r) return null;
    this.refused[r.code] = (this.refused[r.code] ?? 0) + 1;
    return r;
  }

  /** Who an admitted certificate was issued to (its HELLO must say the same) and the lowest cost allowed. */
  identify(cert: PeerCertificate): PeerExpectation {
    const e = this.entryOf(cert);
    // admit() ran just before and found the entry; without one the HELLO cannot match anything.
    return { siteId: e?.siteId ?? '', siteName: e?.site ?? '', minCost: e?.minCost ?? 1 };
  }

  /** The grant an inbound link came through, for status. */
  describe(l: Link): string {
    const e = l.peerCert ? this.entryOf(l.peerCert) : undefined;
    return e ? `grant ${e.grant}, certificate ${e.lineage.slice(0, 8)}` : '';
  }
}
