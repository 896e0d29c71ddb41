// Skupper v2 (skupper.io/v2alpha1) documents mapped onto svcnet.io/v1 ones. Fields with a meaning
// here are carried over; the rest (Kubernetes-only: selectors, service accounts, settings) are
// listed so the caller can warn that they were ignored.
import net from 'node:net';
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
  Listener(s) {
    const spec: Obj = {};
    const ignored = take(s, ['routingKey', 'port', 'type'], spec, 'spec').filter((f) => f !== 'spec.host' && f !== 'spec.observer');
    // Skupper v2 keeps `type` for the transport (tcp) and names the protocol to observe in `observer`
    // (auto, none, http1, http2); svcnet folds an explicit observer into its type (issue 13).
    if (s.observer === 'http1' || s.observer === 'http2') spec.type = spec.type === undefined || spec.type === 'tcp' ? s.observer : spec.type;
    else if (s.observer !== undefined && s.observer !== 'none') ignored.push(`spec.observer (${String(s.observer)})`);
    // In Skupper the host is the service name clients resolve; here it is the bind address.
    if (typeof s.host === 'string' && net.isIP(s.host)) spec.host = s.host;
    else if (s.host !== undefined) ignored.push('spec.host');
    return { spec, ignored };
  },
  Connector(s) {
    const spec: Obj = {};
    return { spec, ignored: take(s, ['routingKey', 'port', 'type', 'host'], spec, 'spec') };
  },
  Link(s) {
    const spec: Obj = {};
    const ignored = take(s, ['tlsCredentials', 'cost'], spec, 'spec').filter((f) => f !== 'spec.endpoints');
    if (Array.isArray(s.endpoints)) {
      spec.endpoints = s.endpoints.map((e, i) => {
        if (!isObj(e)) return e;
        const out: Obj = {};
        ignored.push(...take(e, ['host', 'port'], out, `spec.endpoints.${i}`));
        // Skupper writes endpoint ports as strings.
        if (typeof out.port === 'string' && /^\d+$/.test(out.port)) out.port = Number(out.port);
        return out;
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

/** Maps a skupper.io/v2alpha1 document of a known kind to svcnet.io/v1. */
export function fromSkupper(kind: Kind, raw: Obj): Mapped {
  const meta = isObj(raw.metadata) ? raw.metadata : {};
  const ignored = Object.keys(meta).filter((k) => k !== 'name').map((k) => `metadata.${k}`);
  const s = raw.spec === undefined ? {} : raw.spec;
  if (!isObj(s)) return { doc: { apiVersion: API_VERSION, kind, metadata: { name: meta.name }, spec: s }, ignored };
  const mapped = SPEC[kind](s);
  return { doc: { apiVersion: API_VERSION, kind, metadata: { name: meta.name }, spec: mapped.spec }, ignored: [...ignored, ...mapped.ignored] };
}
