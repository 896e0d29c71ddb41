// Shapes shared by every resource kind, and the one function that turns a schema failure into
// a message naming the bad field.
import { BENCH_KEY } from '../../common/bench-request.js';
import { isIP } from 'node:net';
import { z } from 'zod';
import { SAFE_NAME, SAFE_NAME_RULE } from '../state/safe-name.js';

export const API_VERSION = 'svcnet.io/v1';
export const SKUPPER_API_VERSION = 'skupper.io/v2alpha1';

/** Resource names: lowercase DNS labels, as in Kubernetes and Skupper. */
export const nameSchema = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lowercase letters, digits and dashes, starting and ending with a letter or digit').max(63);
/**
 * Fields that name a file or folder of the state directory (Link.spec.tlsCredentials): one safe
 * path component, as the store checks (issue 10 #5).
 */
export const fileNameSchema = z.string().regex(SAFE_NAME, SAFE_NAME_RULE);
/** Routing keys: letters, digits and . _ - : (no spaces, no slashes). */
export const routingKeySchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'may hold only letters, digits and . _ - :').max(253)
  // Reserved for `svcnet bench` (issue 14): bench streams only, never a listener's or connector's.
  .refine((k) => k !== BENCH_KEY, `"${BENCH_KEY}" is reserved for svcnet bench`);
export const portSchema = z.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be 1..65535').max(65535, 'must be 1..65535');
/** A DNS host name (labels of letters, digits, '-' and '_', not starting or ending with '-'; an optional final dot). */
const HOST_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
/** Hosts (bind addresses, servers, link endpoints): a host name or an IP literal (IPv6 without brackets) (issue 15). */
export const hostSchema = z.string().refine((h) => HOST_NAME.test(h) || isIP(h) !== 0, 'must be a host name or an IP address');

/** What a listener or connector carries (issue 13): opaque bytes, or HTTP/1.1 or HTTP/2 observed
 *  on the way. Bytes are carried unchanged in every type. */
export const SERVICE_TYPES = ['tcp', 'http1', 'http2'] as const;
export const serviceTypeSchema = z.enum(SERVICE_TYPES, { error: `must be ${SERVICE_TYPES.join(', ')}` });

/** Metadata of every resource: a name and, once stored, the version of the stored document. */
export function metadataSchema() {
  return z.object({ name: nameSchema, resourceVersion: z.string().optional() }).loose();
}

export interface ResourceStatus {
  ready: boolean;
  message: string;
}

/** A validation failure: the path of the first bad field and what is wrong with it. */
export class ValidationError extends Error {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

/** Every resource kind, in the order a batch is applied (a Site first, tokens before the links they make). */
export const KINDS = ['Site', 'AccessGrant', 'AccessToken', 'Link', 'Connector', 'Listener'] as const;
export type Kind = typeof KINDS[number];

/** Parses with `schema`, throwing a ValidationError that names the bad field. */
export function parseWith<T>(schema: z.ZodType<T>, raw: unknown, prefix = ''): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  // An unknown key is reported on its parent object; name the key itself so the user sees which.
  const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const field = [prefix, ...issue.path.map(String), unknown].filter(Boolean).join('.') || '(root)';
  throw new ValidationError(field, unknown !== undefined ? 'unknown field' : issue.message);
}

/** A Listener or Connector document with spec.routingKey set to metadata.name when absent (Skupper v2's
 *  CLI default, issue 15); `unless` names a spec field that replaces the key (a listener's strategy). */
export function withNameAsRoutingKey(raw: unknown, unless?: string): unknown {
  const d = raw as { metadata?: { name?: unknown }; spec?: Record<string, unknown> } | null;
  if (!d || typeof d !== 'object' || !d.spec || typeof d.spec !== 'object' || typeof d.metadata?.name !== 'string') return raw;
  if (d.spec.routingKey !== undefined || (unless !== undefined && d.spec[unless] !== undefined)) return raw;
  return { ...d, spec: { ...d.spec, routingKey: d.metadata.name } };
}
