// AccessGrant: permission to join this site. The code is a secret; only its hash is stored.
import { z } from 'zod';
import { API_VERSION, metadataSchema, parseWith } from './common.js';

export const accessGrantSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('AccessGrant'),
  metadata: metadataSchema(),
  spec: z.object({
    redemptionsAllowed: z.number().int().min(1).default(1),
    expiresAt: z.string(),
    /** sha256 of the one-time code, hex */
    codeHash: z.string().regex(/^[0-9a-f]{64}$/),
  }).strict(),
  status: z.object({
    redeemed: z.number().int().min(0).default(0),
    /** certificates issued through this grant: serial and the site that got it */
    issued: z.array(z.object({ serial: z.string(), site: z.string(), at: z.string() })).default([]),
  }).default({ redeemed: 0, issued: [] }),
}).loose();

export type AccessGrant = z.infer<typeof accessGrantSchema>;

/** Validates a raw AccessGrant document. */
export function validateAccessGrant(raw: unknown): AccessGrant {
  return parseWith(accessGrantSchema, raw);
}
