// Link: an outbound mTLS connection to another site, made by redeeming a token.
import { z } from 'zod';
import { API_VERSION, metadataSchema, portSchema, hostSchema, fileNameSchema, parseWith } from './common.js';

export const linkSpecSchema = z.object({
  endpoints: z.array(z.object({ host: hostSchema, port: portSchema }).strict()).min(1),
  cost: z.number().int().min(1).max(1_000_000).default(1),
  /** name of the credentials folder under links/ (credentials.json: key, certificate, trusted CA, renewal address); one path component */
  tlsCredentials: fileNameSchema,
  /** the site this link reaches, as recorded at redemption */
  peerSite: z.string().optional(),
  /** HTTP CONNECT proxy for the outbound connection, http://host:port */
  proxy: z.string().regex(/^http:\/\/[^\s/:]+:\d{1,5}\/?$/, 'must look like http://host:port').optional(),
}).strict();

export const linkSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Link'),
  metadata: metadataSchema(),
  spec: linkSpecSchema,
}).loose();

export type LinkResource = z.infer<typeof linkSchema>;

/** Validates a raw Link document. */
export function validateLink(raw: unknown): LinkResource {
  return parseWith(linkSchema, raw);
}
