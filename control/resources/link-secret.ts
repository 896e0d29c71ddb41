// A Link's credentials as a Kubernetes TLS Secret (apiVersion v1, type kubernetes.io/tls, data
// tls.key, tls.crt, ca.crt in base64), the form Skupper's `link generate` writes next to its Link.
// Applied, it becomes the site's links/NAME/credentials.json; it is never stored as a resource.
import { z } from 'zod';
import { fileNameSchema, parseWith } from './common.js';

/** The annotation that carries where the certificate is renewed (the issuing site's grant port). */
export const GRANT_URL_ANNOTATION = 'svcnet.io/grant-url';

const pem = (what: string) => z.base64('must be base64').transform((b) => Buffer.from(b, 'base64').toString('utf8'))
  .refine((t) => t.includes('-----BEGIN '), { message: `must hold a PEM ${what}` });

const secretSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  type: z.literal('kubernetes.io/tls').optional(),
  metadata: z.object({ name: fileNameSchema, annotations: z.record(z.string(), z.string()).optional() }).loose(),
  data: z.object({ 'tls.key': pem('private key'), 'tls.crt': pem('certificate'), 'ca.crt': pem('CA certificate') }).loose(),
}).loose();

/** Link credentials as the store keeps them. */
export interface LinkSecret { name: string; key: string; cert: string; ca: string; grantUrl?: string }

/** Whether a raw document is a Secret (handled here, not as a resource kind). */
export const isSecretDocument = (raw: unknown): boolean => (raw as { kind?: unknown } | null)?.kind === 'Secret';

/** Validates a Secret document; throws ValidationError naming the field. */
export function validateLinkSecret(raw: unknown): LinkSecret {
  const s = parseWith(secretSchema, raw);
  return { name: s.metadata.name, key: s.data['tls.key'], cert: s.data['tls.crt'], ca: s.data['ca.crt'], grantUrl: s.metadata.annotations?.[GRANT_URL_ANNOTATION] };
}

/** The Secret document for credentials `c` of link `name`. */
export function secretDocument(name: string, c: Omit<LinkSecret, 'name'>): Record<string, unknown> {
  const b64 = (t: string) => Buffer.from(t, 'utf8').toString('base64');
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
    metadata: { name, ...(c.grantUrl ? { annotations: { [GRANT_URL_ANNOTATION]: c.grantUrl } } : {}) },
    data: { 'tls.key': b64(c.key), 'tls.crt': b64(c.cert), 'ca.crt': b64(c.ca) },
  };
}
