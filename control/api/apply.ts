// Apply: resources created or updated as one batch. Everything is parsed, validated and checked
// against the stored state (versions, names, ports, credentials) before the first write, so a
// refused request changes nothing; AccessTokens are redeemed first and undone if a later step fails.
import { parseManifests, loadDocuments, ManifestError, type RawDocument, type LoadedResource } from '../resources/yaml-loader.js';
import { API_VERSION, type Kind } from '../resources/common.js';
import type { LinkSecret } from '../resources/link-secret.js';
import { unfitFor, type TlsCredentials } from '../resources/tls-credentials.js';
import type { SiteConfig, BatchOp } from '../state/site-store.js';
import { ApiError } from './errors.js';
import { resourceToDocument, documentToResource } from './convert.js';
import { unixPem } from '../token.js';
import YAML from 'yaml';
import { readStored, siteDocument, withStatus, type StoredDoc } from './resources.js';
import type { ApiContext } from './context.js';
import type { ApplyRequest, ApplyResponse, ApplyResult } from './types.js';

interface Step { r: LoadedResource; current?: StoredDoc; next: StoredDoc; changed: boolean }

/** Parses and validates every input document; throws INVALID_ARGUMENT naming file, document and field. */
export function loadRequest(req: { resources?: ApplyRequest['resources']; manifests?: ApplyRequest['manifests'] }): ReturnType<typeof loadDocuments> {
  try {
    const docs: RawDocument[] = (req.resources ?? []).map((r, i) => {
      try { return { source: 'request', index: i + 1, raw: resourceToDocument(r) }; } catch (err) {
        if (err instanceof ApiError) throw new ManifestError(`request resource ${i + 1}`, err.field ?? '(root)', err.message.replace(/^[^:]*: /, ''));
        throw err;
      }
    });
    docs.push(...parseManifests(req.manifests ?? []));
    if (docs.length === 0) throw new ManifestError('request', '(root)', 'no resources to apply');
    return loadDocuments(docs);
  } catch (err) {
    if (err instanceof ManifestError) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', err.message, err.field, { cause: err });
    throw err;
  }
}

/** The document to store for `r`, given what is stored now (grants and tokens keep their status). */
function desired(r: LoadedResource, current: StoredDoc | undefined, cfg: SiteConfig): StoredDoc {
  const doc = r.doc as unknown as StoredDoc & { apiVersion: string; kind: string };
  const base = { apiVersion: doc.apiVersion, kind: doc.kind, metadata: { name: r.name }, spec: doc.spec };
  if (r.kind === 'Site') {
    // Fields left out keep their value; the id is output only.
    const { id: _id, ...given } = doc.spec as Record<string, unknown>;
    const now = siteDocument(cfg).spec;
    const la = given.linkAccess as Partial<SiteConfig['linkAccess']> | undefined;
    return { ...base, spec: { ...now, ...given, linkAccess: { ...(now.linkAccess as object), ...la } } };
  }
  if (r.kind === 'AccessGrant') {
    // Re-applying a codeless grant keeps the code and expiry it got the first time (a GitOps loop
    // must neither rotate its code nor extend it).
    const spec = r.generatedCode && current ? { ...base.spec, codeHash: current.spec.codeHash, expiresAt: current.spec.expiresAt } : base.spec;
    return { ...base, spec, status: current?.status ?? { redeemed: 0, issued: [] } };
  }
  if (r.kind === 'AccessToken') return { ...base, status: current && same(current.spec, doc.spec) ? current.status : undefined };
  return base;
}

/** The AccessToken of a grant applied without a code, as `token issue` writes it: shown once, since only the code's hash is kept. */
function grantToken(cfg: SiteConfig, caPem: string, name: string, code: string): Pick<ApplyResult, 'token' | 'tokenYaml'> {
  const token = { apiVersion: API_VERSION, kind: 'AccessToken', metadata: { name }, spec: { url: `${cfg.linkAccess.host}:${cfg.grantPort}`, code, ca: unixPem(caPem), site: cfg.name } };
  return { token: documentToResource('AccessToken', token as never), tokenYaml: YAML.stringify(token) };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function refuse(code: 'SVCNET_ERR_PRECONDITION' | 'SVCNET_ERR_ALREADY_EXISTS', r: LoadedResource, msg: string, field?: string): never {
  throw new ApiError(code, `${r.source} document ${r.index} (${r.kind} ${r.name}): ${msg}`, field);
}

/** Checks that the batch fits the stored state; throws before anything is written. */
function checkPlan(ctx: ApiContext, plan: Step[], cfg: SiteConfig, secrets: LinkSecret[], tlsCredentials: TlsCredentials[] = []): void {
  const inBatch = (kind: Kind, name: string) => plan.some((s) => s.r.kind === kind && s.r.name === name);
  const listeners = new Map<number, string>();
  for (const l of ctx.store.list('Listener') as StoredDoc[]) if (!inBatch('Listener', l.metadata.name)) listeners.set(Number(l.spec.port), l.metadata.name);
  for (const { r, next, current, changed } of plan) {
    if (r.kind === 'Site' && r.name !== cfg.name) refuse('SVCNET_ERR_PRECONDITION', r, `this site is named ${cfg.name}; a Site resource can only describe the site it is applied to`, 'metadata.name');
    if (r.kind === 'Listener') {
      const port = Number(next.spec.port);
      const other = listeners.get(port);
      if (other) refuse('SVCNET_ERR_PRECONDITION', r, `port ${port} is already used by listener ${other}`, 'spec.port');
      listeners.set(port, r.name);
    }
    if ((r.kind === 'Listener' || r.kind === 'Connector') && next.spec.tlsCredentials !== undefined) checkAppTls(ctx, r, next, tlsCredentials);
    if (r.kind === 'Link' && changed) {
      const cred = String(next.spec.tlsCredentials);
      const fromToken = plan.some((s) => s.r.kind === 'AccessToken' && s.r.name === cred) || secrets.some((x) => x.name === cred);
      if (!fromToken) {
        try { ctx.store.readLinkCredentials(cred); } catch {
          refuse('SVCNET_ERR_PRECONDITION', r, `credentials "${cred}" not found in the site's links/ folder; links are made by applying an AccessToken (svcnet token redeem)`, 'spec.tlsCredentials');
        }
      }
    }
    if (r.kind === 'AccessToken' && changed && !current && readStored(ctx, 'Link', r.name)) {
      refuse('SVCNET_ERR_ALREADY_EXISTS', r, `a Link named ${r.name} already exists; give the token another metadata.name or delete that link`, 'metadata.name');
    }
  }
}

/** Credentials replaced by this request must still fit the stored Listeners and Connectors that name them (issue 15). */
function checkReplacedTls(ctx: ApiContext, plan: Step[], creds: TlsCredentials[]): void {
  for (const kind of ['Listener', 'Connector'] as const) {
    for (const d of ctx.store.list(kind) as StoredDoc[]) {
      const spec = d.spec as { tlsCredentials?: string; requireClientCert?: boolean; useClientCert?: boolean };
      const c = creds.find((x) => x.name === spec.tlsCredentials);
      if (!c || plan.some((s) => s.r.kind === kind && s.r.name === d.metadata.name)) continue;
      const unfit = unfitFor(c, kind === 'Listener' ? (spec.requireClientCert ? 'listener-client-cert' : 'listener') : spec.useClientCert ? 'connector-client-cert' : 'connector');
      if (unfit) throw new ApiError('SVCNET_ERR_PRECONDITION', `TLS credentials ${c.name}: ${kind.toLowerCase()} ${d.metadata.name} uses them, and ${unfit.replace(/^credentials \S+ /, 'they would ')}`, 'data');
    }
  }
}

/** A Listener's or Connector's tlsCredentials must exist (in this request or tls/) and hold what it needs (issue 15). */
function checkAppTls(ctx: ApiContext, r: LoadedResource, next: StoredDoc, inBatch: TlsCredentials[]): void {
  const spec = next.spec as { tlsCredentials: string; requireClientCert?: boolean; useClientCert?: boolean };
  const name = spec.tlsCredentials;
  const c = inBatch.find((x) => x.name === name) ?? (() => { const s = ctx.store.readTlsCredentials(name); return s && { name, ...s }; })();
  if (!c) refuse('SVCNET_ERR_PRECONDITION', r, `TLS credentials "${name}" not found; add them with "svcnet tls create ${name} --cert FILE --key FILE [--ca FILE]" or apply their Secret in the same request`, 'spec.tlsCredentials');
  const use = r.kind === 'Listener' ? (spec.requireClientCert ? 'listener-client-cert' : 'listener') : spec.useClientCert ? 'connector-client-cert' : 'connector';
  const unfit = unfitFor(c, use);
  if (unfit) refuse('SVCNET_ERR_PRECONDITION', r, unfit, 'spec.tlsCredentials');
}

/** Apply handler: validates outside the lock, then checks and writes under it. */
export async function apply(ctx: ApiContext, req: ApplyRequest): Promise<ApplyResponse> {
  const { resources, warnings, secrets, tlsCredentials } = loadRequest(req);
  return ctx.store.exclusive(() => applyLoaded(ctx, resources, warnings, req, secrets, tlsCredentials));
}

async function applyLoaded(ctx: ApiContext, resources: LoadedResource[], warnings: string[], req: ApplyRequest, secrets: LinkSecret[] = [], tlsCredentials: TlsCredentials[] = []): Promise<ApplyResponse> {
  const cfg = ctx.store.readConfig();
  const plan: Step[] = [];
  for (const r of resources) {
    const current = readStored(ctx, r.kind, r.name);
    const wantRv = r.doc.metadata.resourceVersion;
    if (wantRv) {
      if (!current) throw new ApiError('SVCNET_ERR_NOT_FOUND', `${r.kind} ${r.name} does not exist (the request expects version ${wantRv})`);
      if (current.metadata.resourceVersion !== wantRv) {
        throw new ApiError('SVCNET_ERR_STALE_VERSION', `${r.kind} ${r.name} was changed by someone else: stored version ${current.metadata.resourceVersion}, request based on ${wantRv}; read it again and retry`, 'metadata.resourceVersion');
      }
    }
    if (req.createOnly && current) refuse('SVCNET_ERR_ALREADY_EXISTS', r, `${r.kind} ${r.name} already exists`, 'metadata.name');
    const next = desired(r, current, cfg);
    const changed = !current || !same(current.spec, next.spec) || (r.kind === 'AccessToken' && !next.status);
    plan.push({ r, current, next, changed });
  }
  checkPlan(ctx, plan, cfg, secrets, tlsCredentials);
  checkReplacedTls(ctx, plan, tlsCredentials);
  if (req.dryRun) {
    return { results: plan.map((s) => ({ resource: withStatus(ctx, s.r.kind, s.next), action: !s.changed ? 'unchanged' : s.current ? 'would-update' : 'would-create' })), warnings, appliedNow: false };
  }
  // Redemptions first: they are the only steps that can fail after validation (the network).
  const made: string[] = [];
  try {
    for (const s of plan) {
      if (s.r.kind !== 'AccessToken' || !s.changed) continue;
      const spec = s.next.spec as { linkCost?: number };
      const link = await ctx.redeem(ctx.store, s.r.doc as never, { name: s.r.name, cost: spec.linkCost });
      made.push(link.metadata.name);
      s.next.status = { redeemed: true, link: link.metadata.name, at: new Date().toISOString() };
    }
  } catch (err) {
    for (const name of made) { await ctx.store.delete('Link', name); await ctx.store.deleteLinkCredentials(name); }
    if (err instanceof ApiError) throw err;
    const msg = (err as Error).message;
    throw new ApiError(/cannot reach/.test(msg) ? 'SVCNET_ERR_UNAVAILABLE' : 'SVCNET_ERR_PRECONDITION', msg, undefined, { cause: err });
  }
  // Credentials from Secrets (svcnet link generate) before the Links that name them.
  for (const { name, ...c } of secrets) await ctx.store.writeLinkCredentials(name, c);
  // Application TLS credentials (issue 15) before the Listeners and Connectors that name them.
  for (const { name, ...c } of tlsCredentials) await ctx.store.writeTlsCredentials(name, c);
  // Every change of the request in one batch: a crash keeps all of it or none (SiteStore.commit).
  const batch: BatchOp[] = [];
  for (const s of plan) {
    if (!s.changed) continue;
    if (s.r.kind === 'Site') {
      const { id: _id, ...spec } = s.next.spec as unknown as Omit<SiteConfig, 'createdAt' | 'name'>;
      batch.push({ config: { ...cfg, ...spec } });
      warnings.push(`Site ${s.r.name}: new settings take effect at the next start of the site`);
    } else {
      batch.push({ kind: s.r.kind, name: s.r.name, doc: s.next });
    }
  }
  await ctx.store.commit(batch);
  const results: ApplyResult[] = [];
  for (const s of plan) {
    const action = !s.changed ? 'unchanged' : s.r.kind === 'AccessToken' ? 'redeemed' : s.current ? 'updated' : 'created';
    const stored = readStored(ctx, s.r.kind, s.r.name)!;
    if (s.changed) ctx.hub.publish('RESOURCE_APPLIED', { resource: { kind: s.r.kind, name: s.r.name, resourceVersion: stored.metadata.resourceVersion ?? '', action } });
    const result: ApplyResult = { resource: withStatus(ctx, s.r.kind, stored), action };
    if (s.r.generatedCode && !s.current) Object.assign(result, grantToken(cfg, ctx.store.readCa().cert, s.r.name, s.r.generatedCode));
    results.push(result);
  }
  if (made.length) for (const name of made) ctx.hub.publish('RESOURCE_APPLIED', { resource: { kind: 'Link', name, resourceVersion: readStored(ctx, 'Link', name)?.metadata.resourceVersion ?? '', action: 'created' } });
  ctx.site?.reconcile();
  // A grant's name decides whether what it issued is revoked (control/pki/registry.ts).
  if (plan.some((s) => s.changed && s.r.kind === 'AccessGrant')) await ctx.site?.pkiChanged();
  await ctx.site?.settled();
  // Statuses after the data plane has taken the change.
  if (ctx.site) for (const res of results) Object.assign(res.resource, { status: withStatus(ctx, res.resource.kind as Kind, readStored(ctx, res.resource.kind as Kind, res.resource.metadata.name)!).status });
  return { results, warnings, appliedNow: !!ctx.site };
}
