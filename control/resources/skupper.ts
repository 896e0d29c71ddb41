// Skupper v2 (skupper.io/v2alpha1) documents mapped onto svcnet.io/v1 ones. Fields with a meaning
// here are carried over; the rest (Kubernetes-only: selectors, service accounts, settings) are
// listed so the caller can warn that they were ignored.
import { API_VERSION, type Kind } from './common.js';

type Obj = Record<string, unknown>;
export interface Mapped { doc: Obj; ignored: string[] }

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Copies `keys` of `from` that are set; returns the keys of `from` that were not copied. */
function take(from: Obj, keys: string[], into: Obj, prefix: string): string[] {
  const left: string[] = [];
  for (const [k, v] of Object.entries(from)) {
    if (keys.includes(k)) { if (v !== undefined && v !== null) into[k] = v; } else left.push(`${prefix}.${k}`);
  }
  return left;
}

/** A Skupper document that cannot mean anything outside Kubernetes: the field and the one-line reason. */
export class SkupperRefusal extends Error {
  constructor(readonly field: string, readonly reason: string) { super(`${field}: ${reason}`); }
}

/** Skupper v2 kinds with no meaning outside Kubernetes, and why (applying one is refused with this line). */
export const KUBERNETES_ONLY: Readonly<Record<string, string>> = Object.freeze({
  AttachedConnector: 'binds pods of another Kubernetes namespace; outside Kubernetes use a Connector with spec.host',
  AttachedConnectorBinding: 'binds a Kubernetes namespace\'s AttachedConnector; outside Kubernetes use a Connector with spec.host',
  RouterAccess: 'configures how Kubernetes exposes the router (a Service, Route or Ingress); here the Site\'s spec.linkAccess opens the link port',
  SecuredAccess: 'exposes a Kubernetes Service through a Route, Ingress or LoadBalancer; here a Listener binds a port directly',
  // Decided in issue 15: a Certificate asks Skupper's controller to issue a key and certificate for
  // a Secret; svcnet issues none for applications (they come from the operator's own CA), so it is
  // refused with where the files go instead.
  Certificate: 'asks the Kubernetes controller to issue a certificate into a Secret; svcnet does not issue application certificates: give your own with "svcnet tls create NAME --cert F --key F [--ca F]" or apply them as a kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt), and name it in tlsCredentials (link certificates are made by token redeem and link generate)',
});

/** Skupper kinds that become another svcnet kind. */
export const SKUPPER_ALIASES: Readonly<Record<string, Kind>> = Object.freeze({ MultiKeyListener: 'Listener' });

/** MultiKeyListener: a listener whose strategy chooses among several routing keys (by priority, failing over). */
function multiKeyListener(s: Obj): { spec: Obj; ignored: string[] } {
  const spec: Obj = {};
  const ignored = take(s, ['port', 'host'], spec, 'spec').filter((f) => f !== 'spec.strategy');
  const st = s.strategy;
  const keys = isObj(st) && isObj(st.priority) ? st.priority.routingKeys : undefined;
  if (!Array.isArray(keys)) throw new SkupperRefusal('spec.strategy', 'must be priority.routingKeys: a list of routing keys, highest priority first (the one strategy Skupper defines)');
  if (keys.length > 256) throw new SkupperRefusal('spec.strategy.priority.routingKeys', 'at most 256 keys, as in Skupper');
  spec.strategy = { priority: { routingKeysByPriority: keys } };
  return { spec, ignored };
}

// One mapper per kind: spec in, svcnet spec out, plus the fields it had to ignore.
const SPEC: Record<Kind, (s: Obj) => { spec: Obj; ignored: string[] }> = {
  Site(s) {
    const spec: Obj = {};
    const ignored = take(s, [], {}, 'spec').filter((f) => f !== 'spec.linkAccess');
    // "none" (or absent) means no inbound links; any other value exposes the link port.
    if (typeof s.linkAccess === 'string') spec.linkAccess = { enabled: s.linkAccess !== 'none' };
    else if (s.linkAccess !== undefined) spec.linkAccess = s.linkAccess; // let validation name the bad type
    return { spec, ignored };
  },
  // As on Skupper's non-Kubernetes sites (`skupper system`), a listener's host is the address it
  // binds: an IP, or a name this host resolves (on Kubernetes it names the Service that is made).
  Listener(s) {
    const spec: Obj = {};
    const ignored = take(s, ['routingKey', 'port', 'type', 'host', 'tlsCredentials', 'requireClientCert'], spec, 'spec').filter((f) => f !== 'spec.observer');
    // Skupper v2 keeps `type` for the transport (tcp) and names the protocol to observe in `observer`
    // (auto, none, http1, http2); svcnet folds an explicit observer into its type (issue 13).
    if (s.observer === 'http1' || s.observer === 'http2') spec.type = spec.type === undefined || spec.type === 'tcp' ? s.observer : spec.type;
    else if (s.observer !== undefined && s.observer !== 'none') ignored.push(`spec.observer (${String(s.observer)})`);
    return { spec, ignored };
  },
  Connector(s) {
    const spec: Obj = {};
    // A pod selector without a host means "the pods of this label": there are none outside Kubernetes.
    if (s.host === undefined && s.selector !== undefined) throw new SkupperRefusal('spec.selector', 'picks Kubernetes pods, which a site outside Kubernetes does not have; give spec.host (the server\'s address) instead');
    return { spec, ignored: take(s, ['routingKey', 'port', 'type', 'host', 'tlsCredentials', 'useClientCert', 'verifyHostname'], spec, 'spec') };
  },
  Link(s) {
    const spec: Obj = {};
    const ignored = take(s, ['tlsCredentials', 'cost'], spec, 'spec').filter((f) => f !== 'spec.endpoints');
    if (Array.isArray(s.endpoints)) {
      // Skupper lists a router's port per role; every svcnet link is a peer link, so the
      // "inter-router" endpoint is the one to dial and the "edge" ones are left out.
      const peerRole = s.endpoints.some((e) => isObj(e) && e.name === 'inter-router');
      spec.endpoints = s.endpoints.flatMap((e, i) => {
        if (!isObj(e)) return [e];
        if (peerRole && e.name === 'edge') { ignored.push(`spec.endpoints.${i} (an edge-router port; svcnet dials the inter-router one)`); return []; }
        const out: Obj = {};
        ignored.push(...take(e, ['host', 'port'], out, `spec.endpoints.${i}`).filter((f) => !/\.(name|group)$/.test(f)));
        // Skupper writes endpoint ports as strings.
        if (typeof out.port === 'string' && /^\d+$/.test(out.port)) out.port = Number(out.port);
        return [out];
      });
    } else if (s.endpoints !== undefined) spec.endpoints = s.endpoints;
    return { spec, ignored };
  },
  AccessGrant(s) {
    const spec: Obj = {};
    return { spec, ignored: take(s, ['redemptionsAllowed', 'expirationWindow', 'code'], spec, 'spec') };
  },
  AccessToken(s) {
    const spec: Obj = {};
    const ignored = take(s, ['code', 'ca', 'linkCost'], spec, 'spec').filter((f) => f !== 'spec.url');
    // Skupper's url is https://host:port/grant-id; svcnet redeems at host:port.
    if (typeof s.url === 'string') {
      const m = /^(?:https?:\/\/)?([^/\s:]+:\d{1,5})(\/.*)?$/.exec(s.url);
      spec.url = m ? m[1] : s.url;
      if (m?.[2] && m[2] !== '/') ignored.push('spec.url (path)');
    } else if (s.url !== undefined) spec.url = s.url;
    return { spec, ignored };
  },
};

/**
 * Maps a skupper.io/v2alpha1 document to svcnet.io/v1: `skupperKind` is its kind as written (a known
 * kind or one of SKUPPER_ALIASES). Throws SkupperRefusal when the document cannot apply here.
 */
export function fromSkupper(skupperKind: string, raw: Obj): Mapped & { kind: Kind } {
  const kind = SKUPPER_ALIASES[skupperKind] ?? (skupperKind as Kind);
  const meta = isObj(raw.metadata) ? raw.metadata : {};
  const ignored = Object.keys(meta).filter((k) => k !== 'name').map((k) => `metadata.${k}`);
  const s = raw.spec === undefined ? {} : raw.spec;
  if (!isObj(s)) return { kind, doc: { apiVersion: API_VERSION, kind, metadata: { name: meta.name }, spec: s }, ignored };
  const mapped = skupperKind === 'MultiKeyListener' ? multiKeyListener(s) : SPEC[kind](s);
  return { kind, doc: { apiVersion: API_VERSION, kind, metadata: { name: meta.name }, spec: mapped.spec }, ignored: [...ignored, ...mapped.ignored] };
}
