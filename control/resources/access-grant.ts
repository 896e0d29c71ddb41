// AccessGrant: permission to join this site. The code is a secret; only its hash is stored.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { API_VERSION, metadataSchema, parseWith, ValidationError } from './common.js';

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

/** Durations as Skupper writes them: 90s, 15m, 2h, 7d. Returns ms, or undefined if malformed. */
export function parseWindow(v: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)$/.exec(v);
  return m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'] : undefined;
}

// What a user may write when applying a grant: the code itself (hashed here, never stored) or its
// hash, and an absolute expiry or a window from now.
const accessGrantInputSpec = z.object({
  redemptionsAllowed: z.number().int().min(1).default(1),
  expiresAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  expirationWindow: z.string().refine((v) => parseWindow(v) !== undefined, 'must look like 30s, 15m, 2h or 7d').optional(),
  code: z.string().regex(/^[A-Za-z0-9_-]{22,}$/, 'must be at least 22 base64url characters (128 bits)').optional(),
  codeHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits (sha256)').optional(),
}).strict();

/** Turns an applied AccessGrant (code or codeHash; expiresAt or expirationWindow) into the stored form. */
export function normalizeAccessGrantInput(raw: unknown, now = Date.now()): AccessGrant {
  const doc = (raw ?? {}) as { spec?: unknown; status?: unknown };
  const spec = parseWith(accessGrantInputSpec, doc.spec ?? {}, 'spec');
  if (!spec.code && !spec.codeHash) throw new ValidationError('spec.code', 'required (or spec.codeHash); "svcnet token issue" makes both a grant and its token');
  const expiresAt = spec.expiresAt ?? new Date(now + parseWindow(spec.expirationWindow ?? '15m')!).toISOString();
  const codeHash = spec.codeHash ?? createHash('sha256').update(spec.code!, 'utf8').digest('hex');
  return validateAccessGrant({ ...doc, spec: { redemptionsAllowed: spec.redemptionsAllowed, expiresAt, codeHash } });
}
