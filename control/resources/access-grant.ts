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

/**
 * What a caller may ask of a new grant (issue 10 #12): a token valid from 1 s to 30 days, redeemable
 * 1 to 1,000 times. A longer-lived or unbounded token is a standing secret; issue another instead.
 */
export const GRANT_LIMITS = Object.freeze({ minExpiryMs: 1000, maxExpiryMs: 30 * 86_400_000, minRedemptions: 1, maxRedemptions: 1000 });
const EXPIRY_RULE = 'must be 1s..30d';
const REDEMPTIONS_RULE = `must be an integer ${GRANT_LIMITS.minRedemptions}..${GRANT_LIMITS.maxRedemptions}`;

/** The first out-of-bounds field of a grant request ('expiry' or 'redemptions') and why, or undefined. */
export function grantRequestProblem(o: { expiryMs?: number; redemptions?: number }): { field: 'expiry' | 'redemptions'; reason: string } | undefined {
  const { expiryMs: e, redemptions: r } = o;
  if (e !== undefined && !(Number.isFinite(e) && e >= GRANT_LIMITS.minExpiryMs && e <= GRANT_LIMITS.maxExpiryMs)) return { field: 'expiry', reason: EXPIRY_RULE };
  if (r !== undefined && !(Number.isInteger(r) && r >= GRANT_LIMITS.minRedemptions && r <= GRANT_LIMITS.maxRedemptions)) return { field: 'redemptions', reason: REDEMPTIONS_RULE };
  return undefined;
}

/** Durations as Skupper writes them: 90s, 15m, 2h, 7d. Returns ms, or undefined if malformed. */
export function parseWindow(v: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)$/.exec(v);
  return m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'] : undefined;
}

// What a user may write when applying a grant: the code itself (hashed here, never stored) or its
// hash, and an absolute expiry or a window from now.
const accessGrantInputSpec = z.object({
  redemptionsAllowed: z.number().int().min(GRANT_LIMITS.minRedemptions, REDEMPTIONS_RULE).max(GRANT_LIMITS.maxRedemptions, REDEMPTIONS_RULE).default(1),
  expiresAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  expirationWindow: z.string().refine((v) => parseWindow(v) !== undefined, 'must look like 30s, 15m, 2h or 7d')
    .refine((v) => !grantRequestProblem({ expiryMs: parseWindow(v) }), EXPIRY_RULE).optional(),
  code: z.string().regex(/^[A-Za-z0-9_-]{22,}$/, 'must be at least 22 base64url characters (128 bits)').optional(),
  codeHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits (sha256)').optional(),
}).strict();

/** Turns an applied AccessGrant (code or codeHash; expiresAt or expirationWindow) into the stored form. */
export function normalizeAccessGrantInput(raw: unknown, now = Date.now()): AccessGrant {
  const doc = (raw ?? {}) as { spec?: unknown; status?: unknown };
  const spec = parseWith(accessGrantInputSpec, doc.spec ?? {}, 'spec');
  if (!spec.code && !spec.codeHash) throw new ValidationError('spec.code', 'required (or spec.codeHash); "svcnet token issue" makes both a grant and its token');
  if (spec.expiresAt && Date.parse(spec.expiresAt) > now + GRANT_LIMITS.maxExpiryMs) throw new ValidationError('spec.expiresAt', 'must be at most 30 days from now');
  const expiresAt = spec.expiresAt ?? new Date(now + parseWindow(spec.expirationWindow ?? '15m')!).toISOString();
  const codeHash = spec.codeHash ?? createHash('sha256').update(spec.code!, 'utf8').digest('hex');
  return validateAccessGrant({ ...doc, spec: { redemptionsAllowed: spec.redemptionsAllowed, expiresAt, codeHash } });
}
