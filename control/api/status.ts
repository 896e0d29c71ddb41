// The status of each stored resource, from the running site's live report (or "site not running").
import type { Kind } from '../resources/common.js';
import type { RuntimeStatus } from '../state/site-store.js';
import type { ResourceStatus } from './types.js';

const NOT_RUNNING: ResourceStatus = { ready: false, state: 'site not running', message: 'stored; takes effect when the site starts' };

/** Status of `kind`/`name` given its stored document and the live report (undefined: stopped). */
export function statusOf(kind: Kind, doc: { metadata: { name: string }; spec: Record<string, unknown>; status?: Record<string, unknown> }, rt: RuntimeStatus | undefined,
  o: { now?: number; exposed?: (key: string) => boolean } = {}): ResourceStatus {
  const now = o.now ?? Date.now();
  const name = doc.metadata.name;
  switch (kind) {
    case 'AccessGrant': {
      const redeemed = Number(doc.status?.redeemed ?? 0);
      const expired = Date.parse(String(doc.spec.expiresAt)) <= now;
      const used = redeemed >= Number(doc.spec.redemptionsAllowed);
      return { ready: !expired && !used, state: expired ? 'expired' : used ? 'used' : 'active', message: `redeemed ${redeemed} of ${doc.spec.redemptionsAllowed}; expires ${doc.spec.expiresAt}`, redeemed };
    }
    case 'AccessToken': {
      const link = String(doc.status?.link ?? '');
      return { ready: !!link, state: link ? 'redeemed' : 'pending', message: link ? `redeemed; created Link ${link}` : 'not redeemed', link };
    }
    case 'Site':
      return rt ? { ready: true, state: 'running', message: `pid ${rt.pid}; ${rt.network.sites.length} site(s) in the network` } : { ready: false, state: 'not running', message: 'start it with "svcnet site run"' };
    default:
  }
  if (!rt) return NOT_RUNNING;
  if (kind === 'Listener') {
    const l = rt.listeners.find((x) => x.name === name);
    if (!l) return { ready: false, state: 'pending', message: 'not applied yet' };
    return { ready: l.status === 'ready', state: l.status, message: l.message, flowsActive: l.flowsActive, flowsOpened: l.flowsOpened };
  }
  if (kind === 'Connector') {
    const c = rt.connectors.find((x) => x.name === name);
    const key = String(doc.spec.routingKey);
    // Withheld by policy, the connector never reaches the engine: say why (issue 15), not "pending".
    if (!c && o.exposed && !o.exposed(key)) return { ready: false, state: 'withheld', message: `routing key ${key} is not exposed by this site's policy; expose it with "svcnet site policy --expose-keys"` };
    if (!c) return { ready: false, state: 'pending', message: 'not applied yet' };
    return { ready: c.ready, state: c.ready ? 'ready' : 'not ready', message: c.message, flowsActive: c.flowsActive, flowsOpened: c.flowsOpened };
  }
  const l = rt.links.find((x) => x.name === name && x.direction === 'outbound');
  if (!l) return { ready: false, state: 'pending', message: 'not applied yet' };
  return { ready: l.status === 'ready', state: l.status, message: l.message, peerSite: l.peer ?? String(doc.spec.peerSite ?? '') };
}
