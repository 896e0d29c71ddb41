// The PKI of a running site: decides who may link here (issued here, not revoked, allowed by policy)
// as the admission set the engine enforces, gives the engine the link server's certificate, and
// renews this site's certificates before they expire. It re-reads pki/ only when told (refresh():
// the API and the grant server call it after each write); nothing polls the disk.
import type { Logger } from 'pino';
import type { AdmissionEntry, ServerResource, TlsMaterial } from '../../dataplane/port/push.js';
import type { SiteStore } from '../state/site-store.js';
import { normalizeSerial, certInfo } from './ca.js';
import { loadIssued, type IssuedCert } from './registry.js';
import { currentRevocations } from '../grants.js';
import { loadPolicy, peerRefusal, keyExposed, DEFAULT_POLICY, type SitePolicy } from './policy.js';
import { serverTls, TlsProvider } from './trust.js';
import { renewAt, renewLinkCredentials, renewRetryDelay } from './renewal.js';
import { renewServerCert } from './rotation.js';
import { fdPressure } from '../../common/fd-pressure.js';
import { LogBudget } from '../../common/log-budget.js';

const RENEW_CHECK_MS = 1000;
/** A refresh that failed (out of fds) is retried after this until it succeeds. */
const REFRESH_RETRY_MS = 1000;

export interface SitePkiHooks {
  /** PKI state changed (issued, revoked, policy, server certificate, renewed link credentials): push it */
  reconcile(): void;
}

export class SitePki {
  /** certificate provider of the grant endpoint; updated on rotation and renewal */
  readonly grantTls: TlsProvider | undefined;
  /** refusals by code: handshakes admitted by TLS but refused here, redemptions, renewals */
  readonly refused: Record<string, number> = {};
  readonly counts = { linkRenewals: 0, serverRenewals: 0 };
  private policy: SitePolicy = { ...DEFAULT_POLICY };
  private issued: IssuedCert[] = [];
  private revoked = new Set<string>();
  private appliedTls = '';
  /** when each certificate this site renews is due (id: "server" or "link:CRED"); recomputed after a change */
  private due: Map<string, number> | undefined;
  private retryRefresh: NodeJS.Timeout | undefined;
  /** the last refresh failed: the state in memory is the last good one */
  private stale = false;
  private started = false;
  /** the link server's certificate and trusted CAs as last read (pushed as the `server` resource) */
  private tls: TlsMaterial | undefined;
  private readonly busy = new Set<string>();
  private readonly retryAt = new Map<string, { at: number; failures: number }>();
  private dates: { ca: string; caNotAfter: string; serverNotAfter?: string } | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly hidden = new Set<string>();
  private readonly budget: LogBudget;

  constructor(private readonly store: SiteStore, private readonly log: Logger, private readonly hooks: SitePkiHooks) {
    this.budget = new LogBudget(log);
    if (store.readConfig().linkAccess.enabled) this.grantTls = new TlsProvider(serverTls(store));
    this.refresh();
  }

  start(): void {
    this.started = true;
    if (this.stale) this.refresh();
    // Timer work must never throw: out of fds (an attacker's doing) it fails, is logged rate-limited, and is tried again.
    this.timers.push(setInterval(() => { this.renewDue().catch((err: unknown) => this.timerFailed('renewal check', err)); }, RENEW_CHECK_MS));
  }

  private timerFailed(what: string, err: unknown): void {
    fdPressure.report(what, err);
    this.budget.warn(what, { err: (err as Error).message, code: (err as NodeJS.ErrnoException).code }, `${what} failed; retried on the next tick`);
  }

  stop(): void {
    this.started = false;
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.retryRefresh);
  }

  /**
   * Re-reads PKI state (policy, issued, revoked, grants, CA and server certificate) and pushes it
   * (the engine closes the inbound links it no longer admits). Called after every write of that state (SiteHooks.pkiChanged,
   * the grant server, renewals here). A bad file keeps the last good state and is retried.
   */
  refresh(): void {
    try {
      const policy = loadPolicy(this.store);
      const policyChanged = JSON.stringify(policy) !== JSON.stringify(this.policy);
      this.policy = policy;
      if (policyChanged) this.hidden.clear();
      this.issued = loadIssued(this.store);
      this.revoked = currentRevocations(this.store, this.issued);
      if (this.grantTls) this.applyTls();
      const ca = certInfo(this.store.readCa().cert);
      this.dates = { ca: ca.commonName, caNotAfter: ca.notAfter.toISOString(), serverNotAfter: this.grantTls ? certInfo(this.store.readServerCert().cert).notAfter.toISOString() : undefined };
      this.stale = false;
    } catch (err) {
      // Writers finish before they call us, so a failure is real (a corrupt file, out of fds):
      // keep the last good state, say so once, and try again until it reads.
      fdPressure.report('pki refresh', err);
      if (!this.stale) this.log.error({ err: (err as Error).message }, 'PKI state unreadable; keeping the last good one and retrying');
      this.stale = true;
      if (this.started && !this.retryRefresh) this.retryRefresh = setTimeout(() => { this.retryRefresh = undefined; this.refresh(); }, REFRESH_RETRY_MS);
      return;
    }
    this.recomputeDue();
    if (this.started) this.hooks.reconcile();
  }

  /** Stored links may have been added or removed (RunningSite.reconcile): recompute which certificates are due. */
  resourcesChanged(): void { this.recomputeDue(); }

  /** Reads the due dates now, as part of the change that moved them (not at the next check); unreadable: the next check tries. */
  private recomputeDue(): void {
    try { this.due = this.dueTimes(); } catch { this.due = undefined; }
  }

  private applyTls(): void {
    const m = serverTls(this.store);
    const text = JSON.stringify(m);
    if (text === this.appliedTls) return;
    this.grantTls!.update(m); // throws on a key/certificate mismatch: refresh() keeps the old TLS and retries
    this.tls = m;
    if (this.appliedTls) this.log.info({ ca: certInfo(m.ca[0]).commonName, trusted: m.ca.length, server: certInfo(m.cert).serial }, 'server certificate and trusted CAs reloaded');
    this.appliedTls = text;
  }

  /**
   * The admission set the engine enforces: every certificate issued here, with the refusal that
   * applies now (revoked lineage, site refused by policy). A certificate not in it is refused as
   * unknown; a live link whose certificate becomes refused is closed by the engine.
   */
  admission(): AdmissionEntry[] {
    return this.issued.map((e) => {
      const refusal = this.revoked.has(e.lineage)
        ? { code: 'SVCNET_ERR_CERT_REVOKED', reason: `certificate ${e.serial} of site ${e.site} is revoked (grant ${e.grant} deleted or link revoked)` }
        : ((p) => (p ? { code: 'SVCNET_ERR_POLICY_DENIED', reason: p } : undefined))(peerRefusal(this.policy, e.site));
      return { serial: normalizeSerial(e.serial), siteId: e.siteId ?? '', site: e.site, grant: e.grant, lineage: e.lineage, minCost: this.policy.inboundLinkCost, ...(refusal ? { refusal } : {}) };
    });
  }

  /** The link server the engine runs: where, and what it presents and trusts. None without link access. */
  server(): ServerResource | undefined {
    if (!this.tls) return undefined;
    const { linkAccess } = this.store.readConfig();
    return { name: 'link', host: linkAccess.bindHost ?? linkAccess.host, port: linkAccess.port, ...this.tls };
  }

  /** Whether connector `name` may serve routing key `key` to the network (policy exposedKeys); refusals are logged once and counted. */
  exposes(key: string, name: string): boolean {
    if (keyExposed(this.policy, key)) return true;
    const id = `${name}/${key}`;
    if (!this.hidden.has(id)) {
      this.hidden.add(id);
      this.refused.SVCNET_ERR_KEY_NOT_EXPOSED = (this.refused.SVCNET_ERR_KEY_NOT_EXPOSED ?? 0) + 1;
      this.log.warn({ connector: name, key, exposed: this.policy.exposedKeys }, 'connector not applied: its routing key is not exposed by this site\'s policy');
    }
    return false;
  }

  /** When each certificate this site renews is due: read from disk once per change, not per check. */
  private dueTimes(): Map<string, number> {
    const due = new Map<string, number>();
    const at = (pem: () => string) => { try { return renewAt(pem()); } catch { return Infinity; } }; // not there (yet): reconcile reports it, a change recomputes
    if (this.grantTls) due.set('server', at(() => this.store.readServerCert().cert));
    for (const raw of this.store.list('Link')) {
      const cred = (raw as { spec?: { tlsCredentials?: string } }).spec?.tlsCredentials;
      if (cred) due.set(`link:${cred}`, at(() => this.store.readLinkCredentials(cred).cert));
    }
    return due;
  }

  /** Renews this site's server certificate and outbound link certificates that are due. */
  private async renewDue(now = Date.now()): Promise<void> {
    const due = (this.due ??= this.dueTimes());
    for (const [id, at] of due) {
      if (now < at) continue;
      if (id === 'server') {
        await this.renewOne('server', now, () => this.store.readServerCert().cert, async () => {
          const r = await this.store.exclusive(() => renewServerCert(this.store));
          this.counts.serverRenewals++;
          this.log.info({ serial: r.serial, notAfter: r.notAfter }, 'server certificate renewed');
          this.refresh(); // present it now
        });
        continue;
      }
      const cred = id.slice('link:'.length);
      await this.renewOne(id, now, () => this.store.readLinkCredentials(cred).cert, async () => {
        const r = await renewLinkCredentials(this.store, cred);
        this.counts.linkRenewals++;
        this.log.info({ link: cred, serial: r.serial, notAfter: r.notAfter.toISOString(), caChanged: r.caChanged }, 'link certificate renewed');
        this.due = undefined; // the reconcile below recomputes it
        this.hooks.reconcile();
      });
    }
  }

  private async renewOne(id: string, now: number, cert: () => string, renew: () => Promise<void>): Promise<void> {
    if (this.busy.has(id) || now < (this.retryAt.get(id)?.at ?? 0)) return;
    let pem: string;
    try { pem = cert(); } catch { return; } // credentials not there (yet); reconcile reports it
    if (now < renewAt(pem)) return;
    this.busy.add(id);
    try {
      await renew();
      this.retryAt.delete(id);
    } catch (err) {
      const msLeft = certInfo(pem).notAfter.getTime() - Date.now();
      const expired = msLeft <= 0;
      this.log[expired ? 'error' : 'warn']({ what: id, err: (err as Error).message }, expired ? 'certificate expired and could not be renewed; redeem a new token' : 'certificate renewal failed; retrying');
      const failures = (this.retryAt.get(id)?.failures ?? 0) + 1;
      this.retryAt.set(id, { at: Date.now() + renewRetryDelay(failures, msLeft, RENEW_CHECK_MS), failures });
    } finally {
      this.busy.delete(id);
    }
  }

  /** Counters and certificate dates for status, with the engine's refusals and closed links. */
  status(engine: { refused: Record<string, number>; linksRefusedTotal: number; linksClosed: number } | undefined) {
    const refused = { ...this.refused };
    // Both processes count some codes (a handshake timeout at the grant port here, at the link port there).
    for (const [code, n] of Object.entries(engine?.refused ?? {})) refused[code] = (refused[code] ?? 0) + n;
    return { refused, linksRefusedTotal: engine?.linksRefusedTotal ?? 0, linksClosed: engine?.linksClosed ?? 0, ...this.counts, ...this.dates, policy: this.policy };
  }
}
