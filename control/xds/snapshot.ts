// desired = f(resources): turns validated Listener, Connector and Link resources and the link
// credentials read from the store into the data plane's desired state, and versions it per type.
// Pure (no I/O, no logger): the caller reads the store and logs the problems returned here.
import { createHash, randomBytes } from 'node:crypto';
import type { Listener } from '../resources/listener.js';
import { listenerKeys } from '../resources/listener.js';
import type { Connector } from '../resources/connector.js';
import type { LinkResource as LinkDoc } from '../resources/link.js';
import type { TlsMaterial } from '../../dataplane/port/push.js';
import type { AppTlsSpec, AdmissionEntry, DataplaneSnapshot, DesiredState, ResourceType, ServerResource } from '../../dataplane/port/push.js';
import { SITE_TYPES } from './resource-types.js';

export interface SnapshotInput {
  listeners: Listener[];
  connectors: Connector[];
  links: LinkDoc[];
  /** link credentials by `spec.tlsCredentials` name; absent when the directory is missing */
  credentials: ReadonlyMap<string, TlsMaterial>;
  /** application TLS credentials (tls/NAME.json) by name, CAs split one per PEM (issue 15) */
  appTls?: ReadonlyMap<string, { cert?: string; key?: string; ca?: string[] }>;
  /** policy: may this connector's key be exposed (pki/policy.json exposedKeys) */
  exposes: (routingKey: string, connector: string) => boolean;
  /** the link server, when this site accepts links */
  server?: ServerResource;
  /** certificates issued here and whether each may link now */
  admission?: AdmissionEntry[];
}

/** Why a resource was left out of the desired state. */
export interface SnapshotProblem { kind: string; name: string; message: string }

/** The secret name a link's credentials are pushed under. */
export const secretName = (tlsCredentials: string): string => `link/${tlsCredentials}`;

/** The desired data-plane state of `input`, and the resources it had to leave out. */
export function desiredState(input: SnapshotInput): { state: DesiredState; problems: SnapshotProblem[] } {
  const problems: SnapshotProblem[] = [];
  // A listener or connector whose TLS credentials are gone is left out, never run in plain text.
  const tlsOf = (kind: string, name: string, creds: string | undefined, extra: Omit<AppTlsSpec, 'credentials' | 'key' | 'cert' | 'ca'>): AppTlsSpec | undefined | null => {
    if (creds === undefined) return undefined;
    const c = input.appTls?.get(creds);
    if (!c) { problems.push({ kind, name, message: `TLS credentials ${creds} missing; add them with svcnet tls create ${creds}` }); return null; }
    return { credentials: creds, ...(c.key ? { key: c.key } : {}), ...(c.cert ? { cert: c.cert } : {}), ...(c.ca ? { ca: c.ca } : {}), ...extra };
  };
  const listeners = input.listeners.flatMap((l) => {
    const keys = listenerKeys(l.spec);
    const mode = !l.spec.strategy ? 'single' as const : 'priority' in l.spec.strategy ? 'priority' as const : 'weighted' as const;
    const tls = tlsOf('Listener', l.metadata.name, l.spec.tlsCredentials, l.spec.requireClientCert ? { requireClientCert: true } : {});
    if (tls === null) return [];
    return [{ name: l.metadata.name, routingKey: keys[0].key, host: l.spec.host, port: l.spec.port, mode, keys, affinity: l.spec.affinity, type: l.spec.type, ...(tls ? { tls } : {}), ...(l.spec.balance === 'request' ? { balance: 'request' as const } : {}) }];
  });
  const connectors = input.connectors.filter((c) => input.exposes(c.spec.routingKey, c.metadata.name)).flatMap((c) => {
    const tls = tlsOf('Connector', c.metadata.name, c.spec.tlsCredentials, c.spec.verifyHostname === false ? { verifyHostname: false } : {});
    if (tls === null) return [];
    // The client certificate is sent only when asked for (Skupper's useClientCert).
    if (tls && !c.spec.useClientCert) { delete tls.key; delete tls.cert; }
    return [{ name: c.metadata.name, routingKey: c.spec.routingKey, host: c.spec.host, port: c.spec.port, type: c.spec.type, ...(tls ? { tls } : {}) }];
  });
  const certificates: DesiredState['certificates'] = [];
  const links: DesiredState['links'] = [];
  for (const l of input.links) {
    const cred = input.credentials.get(l.spec.tlsCredentials);
    if (!cred) { problems.push({ kind: 'Link', name: l.metadata.name, message: 'link credentials missing; redeem a token again' }); continue; }
    const secret = secretName(l.spec.tlsCredentials);
    if (!certificates.some((s) => s.name === secret)) certificates.push({ name: secret, ...cred });
    const ep = l.spec.endpoints[0];
    links.push({ name: l.metadata.name, host: ep.host, port: ep.port, cost: l.spec.cost, secret, proxy: l.spec.proxy });
  }
  return { state: { server: input.server ? [input.server] : [], admission: input.admission ?? [], certificates, links, listeners, connectors }, problems };
}

/** Gives each type a new version when (and only when) its content changed. */
export class SnapshotVersions {
  private readonly hashes = new Map<ResourceType, string>();
  private readonly versions = new Map<ResourceType, number>();
  private current: DataplaneSnapshot | undefined;

  /** The versioned snapshot of `state`; unchanged types keep their version and nonce. */
  next(state: DesiredState): DataplaneSnapshot {
    const out = {} as Record<ResourceType, DataplaneSnapshot[ResourceType]>;
    for (const type of SITE_TYPES) {
      const hash = createHash('sha256').update(JSON.stringify(state[type])).digest('hex').slice(0, 16);
      if (this.current && this.hashes.get(type) === hash) { out[type] = this.current[type]; continue; }
      const v = (this.versions.get(type) ?? 0) + 1;
      this.versions.set(type, v);
      this.hashes.set(type, hash);
      out[type] = { type, version: String(v), nonce: newNonce(), resources: state[type] } as DataplaneSnapshot[ResourceType];
    }
    this.current = out as DataplaneSnapshot;
    return this.current;
  }
}

/** A fresh nonce: tells the answers to two pushes of the same version apart. */
export function newNonce(): string { return randomBytes(6).toString('hex'); }
