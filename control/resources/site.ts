// Site: this svcnet process itself — its name and the ports it opens. Stored in site.json (not
// under resources/); applying one changes settings that take effect at the next start.
import { z } from 'zod';
import { API_VERSION, metadataSchema, portSchema, hostSchema, parseWith } from './common.js';

const optionalPort = z.number({ error: 'must be a number' }).int('must be an integer').min(0, 'must be 0 (off) or 1..65535').max(65535, 'must be 0 (off) or 1..65535');

export const siteSpecSchema = z.object({
  /** whether other sites may link to this one, and where they reach it */
  linkAccess: z.object({ enabled: z.boolean(), host: hostSchema.optional(), port: portSchema.optional() }).strict().optional(),
  /** token redemption port (link access only) */
  grantPort: portSchema.optional(),
  /** console and /metrics port; 0 = off */
  consolePort: optionalPort.optional(),
  /** where the console listens; beyond loopback it serves HTTPS and asks for a login */
  consoleHost: hostSchema.optional(),
  /** TCP port of the mTLS control API for remote orchestrators; 0 = off */
  apiPort: optionalPort.optional(),
  /** the site id (output only; ignored on apply) */
  id: z.string().optional(),
}).strict();

export const siteSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Site'),
  metadata: metadataSchema(),
  spec: siteSpecSchema.default({}),
}).loose();

export type SiteResource = z.infer<typeof siteSchema>;

/** Validates a raw Site document. */
export function validateSite(raw: unknown): SiteResource {
  return parseWith(siteSchema, raw);
}
