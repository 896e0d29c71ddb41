// A site's access policy (pki/policy.json): whether other sites may link to it at all, which peer
// site names may, and which routing keys its connectors may expose to the network. Modelled on
// Skupper's policy (allowedIncomingLinksHostnames, allowedExposedResources).
import { z } from 'zod';
import { parseWith, nameSchema, routingKeySchema } from '../resources/common.js';
import type { SiteStore } from '../state/site-store.js';

export const policySchema = z.object({
  /** false: every inbound link and every token redemption is refused (existing inbound links close) */
  linkAccess: z.boolean().default(true),
  /** site names that may link here; null = any site holding a valid certificate */
  allowedPeers: z.array(nameSchema).nullable().default(null),
  /** routing keys connectors here may serve to the network; null = all */
  exposedKeys: z.array(routingKeySchema).nullable().default(null),
  /** the lowest cost an inbound link may have: a dialer asking for less gets this (1..1000000) */
  inboundLinkCost: z.number().int().min(1).max(1_000_000).default(1),
  /** false: bench streams other sites open toward this site are refused (issue 14, docs/security.md);
   *  absent (the default) or true: served to any site of the network */
  bench: z.boolean().optional(),
}).strict();

export type SitePolicy = z.infer<typeof policySchema>;

/** The policy of a site that never set one: open, as before policies existed. */
export const DEFAULT_POLICY: Readonly<SitePolicy> = Object.freeze({ linkAccess: true, allowedPeers: null, exposedKeys: null, inboundLinkCost: 1 });

/** Reads pki/policy.json (or the default); a corrupt file is an error, never "allow all". */
export function loadPolicy(store: SiteStore): SitePolicy {
  const text = store.readPkiFile('policy.json');
  if (!text) return { ...DEFAULT_POLICY };
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { throw new Error('pki/policy.json is not valid JSON'); }
  return parseWith(policySchema, raw, 'policy');
}

/** Validates and stores a policy. */
export async function savePolicy(store: SiteStore, p: unknown): Promise<SitePolicy> {
  const v = parseWith(policySchema, p, 'policy');
  await store.writePkiFile('policy.json', JSON.stringify(v, null, 2) + '\n');
  return v;
}

/** Why `peer` may not link to (or join) this site under `p`, or null when it may. */
export function peerRefusal(p: SitePolicy, peer: string): string | null {
  if (!p.linkAccess) return 'link access is off by this site\'s policy';
  if (p.allowedPeers && !p.allowedPeers.includes(peer)) return `site "${peer}" is not in this site's allowed peers (${p.allowedPeers.join(', ') || 'none'})`;
  return null;
}

/** Whether a connector with routing key `key` may serve the network under `p`. */
export function keyExposed(p: SitePolicy, key: string): boolean {
  return p.exposedKeys === null || p.exposedKeys.includes(key);
}

/** Whether this site serves other sites' bench streams under `p` (issue 14). */
export function servesBench(p: SitePolicy): boolean {
  return p.bench !== false;
}
