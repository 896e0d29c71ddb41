// IssueToken, IssueAdminCertificate and the AccessToken redeemer: the API's use of the joining and
// PKI functions (control/token.ts, control/pki/ca.ts), which own the protocol and the certificates.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { issueToken as writeToken, redeemToken } from '../token.js';
import { signCsr, CsrError } from '../pki/ca.js';
import { nameSchema } from '../resources/common.js';
import type { AccessToken } from '../resources/access-token.js';
import { grantRequestProblem } from '../resources/access-grant.js';
import { ApiError } from './errors.js';
import { documentToResource } from './convert.js';
import type { ApiContext, Redeemer } from './context.js';
import type { IssueTokenRequest, IssueTokenResponse, IssueAdminCertificateRequest, IssueAdminCertificateResponse } from './types.js';

/** Prefix of the subject CN of API client certificates; site names cannot contain ':', so a link certificate never has it. */
export const ADMIN_CN_PREFIX = 'admin:';

// token.ts speaks in files (the CLI's unit of exchange); the API keeps tokens in memory, so they
// pass through a private temporary directory that is removed at once.
function withTempFile<T>(fn: (file: string) => Promise<T> | T): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-token-'));
  return Promise.resolve().then(() => fn(path.join(dir, 'token.yaml'))).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

/** Redeems a token through control/token.ts; the Link it stores is named `o.name`. */
export const redeemWithTokenModule: Redeemer = (store, token: AccessToken, o) =>
  withTempFile(async (file) => {
    fs.writeFileSync(file, YAML.stringify(token), { mode: 0o600 });
    return redeemToken(store, file, { name: o.name, cost: o.cost });
  });

/** IssueToken handler: a new grant and the token that redeems it. 0 (proto3's unset) means the default; out of GRANT_LIMITS is INVALID_ARGUMENT. */
export function issueToken(ctx: ApiContext, req: IssueTokenRequest): Promise<IssueTokenResponse> {
  const expiryMs = (req.expirySeconds || 900) * 1000;
  const redemptions = req.redemptions || 1;
  const bad = grantRequestProblem({ expiryMs, redemptions });
  if (bad) {
    const field = bad.field === 'expiry' ? 'expirySeconds' : 'redemptions';
    const reason = bad.field === 'expiry' ? 'must be 1..2592000 seconds (30 days)' : bad.reason;
    return Promise.reject(new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `${field}: ${reason}, not ${String(req[field]).slice(0, 40)}`, field));
  }
  return ctx.store.exclusive(async () => {
    const cfg = ctx.store.readConfig();
    if (!cfg.linkAccess.enabled) throw new ApiError('SVCNET_ERR_PRECONDITION', `site ${cfg.name} has no link access; apply a Site with spec.linkAccess.enabled: true (or create it with --link-access) to let other sites link to it`);
    const token = await withTempFile((file) => writeToken(ctx.store, file, { expiryMs, redemptions }));
    const rv = (ctx.store.get('AccessGrant', token.metadata.name) as { metadata: { resourceVersion?: string } } | undefined)?.metadata.resourceVersion ?? '';
    ctx.hub.publish('RESOURCE_APPLIED', { resource: { kind: 'AccessGrant', name: token.metadata.name, resourceVersion: rv, action: 'created' } });
    await ctx.site?.pkiChanged(); // the set of grants is PKI state (a certificate whose grant is gone is revoked)
    return { token: documentToResource('AccessToken', token), yaml: YAML.stringify(token) };
  });
}

/** IssueAdminCertificate handler: signs the caller's CSR as an API client certificate. */
export async function issueAdminCertificate(ctx: ApiContext, req: IssueAdminCertificateRequest): Promise<IssueAdminCertificateResponse> {
  if (!nameSchema.safeParse(req.name).success) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `name: "${req.name}" must be lowercase letters, digits and dashes`, 'name');
  const ca = ctx.store.readCa();
  try {
    const signed = signCsr(ca, req.csr, `${ADMIN_CN_PREFIX}${req.name}`, req.days ? req.days * 86_400_000 : undefined);
    ctx.log.info({ admin: req.name, serial: signed.serial }, 'API client certificate issued');
    return { certificate: signed.cert, ca: ca.cert, endpoint: ctx.site?.apiEndpoint ?? '' };
  } catch (err) {
    if (err instanceof CsrError || /request/i.test((err as Error).message)) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `csr: ${(err as Error).message}`, 'csr', { cause: err });
    throw err;
  }
}
