// Which CAs a site trusts and which certificate it presents, now: the current CA plus, during a
// rotation's overlap, the previous ones (pki/ca-previous.json). Also a gRPC certificate provider
// so the grant endpoint swaps its certificate without a restart.
import type * as grpc from '@grpc/grpc-js';
import type { SiteStore } from '../state/site-store.js';
import type { TlsMaterial } from '../../dataplane/port/push.js';

/** A CA replaced by a rotation, still trusted until `until` (when every leaf it signed has expired). */
export interface PreviousCa { cert: string; until: string }

/** Previous CAs recorded by rotations (expired ones included; callers filter by time). */
export function loadPreviousCas(store: SiteStore): PreviousCa[] {
  const text = store.readPkiFile('ca-previous.json');
  return text ? (JSON.parse(text) as PreviousCa[]) : [];
}

/** The CA certificates peers' certificates may chain to right now: current first. */
export function trustedCas(store: SiteStore, now = Date.now()): string[] {
  return [store.readCa().cert, ...loadPreviousCas(store).filter((p) => Date.parse(p.until) > now).map((p) => p.cert)];
}

/** What the link server and the grant endpoint present and trust. */
export function serverTls(store: SiteStore, now = Date.now()): TlsMaterial {
  const s = store.readServerCert();
  return { key: s.key, cert: s.cert, ca: trustedCas(store, now) };
}

type CaListener = (u: grpc.experimental.CaCertificateUpdate | null) => void;
type IdListener = (u: grpc.experimental.IdentityCertificateUpdate | null) => void;

/** A grpc-js certificate provider fed from memory: `update()` re-keys every server using it. */
export class TlsProvider implements grpc.experimental.CertificateProvider {
  private material: TlsMaterial;
  private readonly ca = new Set<CaListener>();
  private readonly id = new Set<IdListener>();

  constructor(material: TlsMaterial) { this.material = material; }

  /** The material now (the grant port's own TLS server reads it on each identity update). */
  current(): TlsMaterial { return this.material; }

  update(material: TlsMaterial): void {
    this.material = material;
    for (const l of this.ca) l(this.caUpdate());
    for (const l of this.id) l(this.idUpdate());
  }

  private caUpdate() { return { caCertificate: Buffer.from(this.material.ca.join('\n')) }; }
  private idUpdate() { return { certificate: Buffer.from(this.material.cert), privateKey: Buffer.from(this.material.key) }; }

  // grpc-js registers its own watcher only after adding these listeners: answer asynchronously.
  addCaCertificateListener(l: CaListener): void { this.ca.add(l); queueMicrotask(() => l(this.caUpdate())); }
  removeCaCertificateListener(l: CaListener): void { this.ca.delete(l); }
  addIdentityCertificateListener(l: IdListener): void { this.id.add(l); queueMicrotask(() => l(this.idUpdate())); }
  removeIdentityCertificateListener(l: IdListener): void { this.id.delete(l); }
}
