// AccessToken: the file a joining site redeems: where the grant endpoint is, the one-time code,
// and the CA that the endpoint's certificate must chain to.
import { z } from 'zod';
import { API_VERSION, metadataSchema, parseWith } from './common.js';

export const accessTokenSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('AccessToken'),
  metadata: metadataSchema(),
  spec: z.object({
    /** host:port of the issuing site's grant endpoint */
    url: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port'),
    code: z.string().regex(/^[A-Za-z0-9_-]{22,}$/, 'must be the base64url one-time code (at least 128 bits)'),
    ca: z.string().includes('BEGIN CERTIFICATE', { message: 'must be a PEM CA certificate' }),
    /** name of the issuing site, for messages */
    site: z.string().optional(),
    /** cost of the link made when this token is redeemed (default 1) */
    linkCost: z.number().int().min(1).max(1_000_000).optional(),
  }).strict(),
}).loose();

export type AccessToken = z.infer<typeof accessTokenSchema>;

/** Validates a raw AccessToken document. */
export function validateAccessToken(raw: unknown): AccessToken {
  return parseWith(accessTokenSchema, raw);
}
