// Application TLS credentials (Skupper v2's `tlsCredentials` of a Listener or Connector, issue 15):
// a named bundle of a certificate and its key and/or CA certificates, checked here once at the edge
// (PEM that parses, a key that matches its certificate, nothing expired) and stored as tls/NAME.json.
// They come from `svcnet tls create` or from a Kubernetes TLS Secret applied with its Listener/Connector.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { fileNameSchema, parseWith, ValidationError } from './common.js';

/** The annotation `svcnet tls create` puts on its Secret: application credentials, not a link's. */
export const CREDENTIALS_ANNOTATION = 'svcnet.io/credentials';
export const APPLICATION = 'application';

/** Credentials as the store keeps them (PEM text; each part optional, at least a certificate or a CA). */
export interface TlsCredentials { name: string; cert?: string; key?: string; ca?: string }

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, in order; throws ValidationError naming `field` when one does not parse. */
function certificates(field: string, pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new ValidationError(field, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  return blocks.map((b, i) => {
    try { return new X509Certificate(b); } catch (err) { throw new ValidationError(field, `certificate ${i + 1} does not parse: ${(err as Error).message}`); }
  });
}

/** The certificate's subject as one line ("CN=web, O=acme"). */
export const subjectOf = (c: X509Certificate): string => c.subject.split('\n').filter(Boolean).join(', ');

function notExpired(field: string, c: X509Certificate, now: Date): void {
  if (new Date(c.validTo).getTime() < now.getTime()) throw new ValidationError(field, `certificate ${subjectOf(c)} expired on ${new Date(c.validTo).toISOString()}`);
  if (new Date(c.validFrom).getTime() > now.getTime()) throw new ValidationError(field, `certificate ${subjectOf(c)} is not valid before ${new Date(c.validFrom).toISOString()}`);
}

/**
 * Checks a bundle: the certificate chain and CAs parse and are valid at `now`, the key parses and
 * matches the first certificate. Throws ValidationError (field `cert`, `key` or `ca`) otherwise.
 */
export function checkTlsCredentials(c: TlsCredentials, now = new Date()): void {
  parseWith(fileNameSchema, c.name, 'name');
  if (c.cert && !c.key) throw new ValidationError('key', 'required with a certificate');
  if (c.key && !c.cert) throw new ValidationError('cert', 'required with a key');
  if (!c.cert && !c.ca) throw new ValidationError('cert', 'a certificate (with its key) or a CA is required');
  if (c.cert && c.key) {
    const chain = certificates('cert', c.cert);
    for (const x of chain) notExpired('cert', x, now);
    let key;
    try { key = createPrivateKey(c.key); } catch (err) { throw new ValidationError('key', `is not a PEM private key: ${(err as Error).message.split('\n')[0]}`); }
    if (!chain[0].checkPrivateKey(key)) throw new ValidationError('key', `does not match the certificate ${subjectOf(chain[0])}`);
  }
  if (c.ca) for (const x of certificates('ca', c.ca)) notExpired('ca', x, now);
}

/** The CA certificates of a bundle, one PEM each (the engine trusts each). */
export const caList = (ca: string | undefined): string[] | undefined => (ca ? ca.match(PEM_CERT) ?? undefined : undefined);

/** What a listener or connector needs of its credentials, or the reason they do not fit (one line). */
export function unfitFor(c: TlsCredentials, use: 'listener' | 'listener-client-cert' | 'connector' | 'connector-client-cert'): string | undefined {
  if (use.startsWith('listener') && !(c.cert && c.key)) return `credentials ${c.name} have no certificate and key to present to clients`;
  if (use === 'listener-client-cert' && !c.ca) return `credentials ${c.name} have no CA (ca.crt) to check client certificates against`;
  if (use === 'connector-client-cert' && !(c.cert && c.key)) return `credentials ${c.name} have no client certificate and key (useClientCert)`;
  return undefined;
}

const pem = z.base64('must be base64').transform((b) => Buffer.from(b, 'base64').toString('utf8'));
const secretSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  type: z.enum(['kubernetes.io/tls', 'Opaque']).optional(),
  metadata: z.object({ name: fileNameSchema }).loose(),
  data: z.object({ 'tls.crt': pem.optional(), 'tls.key': pem.optional(), 'ca.crt': pem.optional() }).loose(),
}).loose();

/** Whether a Secret document holds application credentials: annotated so, named by a Listener or
 *  Connector of the same request, or lacking a part link credentials must have. */
export function isApplicationSecret(raw: unknown, namedByServices: ReadonlySet<string>): boolean {
  const d = raw as { metadata?: { name?: unknown; annotations?: Record<string, unknown> }; data?: Record<string, unknown> } | null;
  if (d?.metadata?.annotations?.[CREDENTIALS_ANNOTATION] === APPLICATION) return true;
  if (typeof d?.metadata?.name === 'string' && namedByServices.has(d.metadata.name)) return true;
  const data = d?.data ?? {};
  return !(data['tls.key'] && data['tls.crt'] && data['ca.crt']);
}

/** A Secret document as checked credentials; throws ValidationError naming the field (data.tls.key …). */
export function credentialsFromSecret(raw: unknown, now = new Date()): TlsCredentials {
  const s = parseWith(secretSchema, raw);
  const c: TlsCredentials = { name: s.metadata.name, cert: s.data['tls.crt'] || undefined, key: s.data['tls.key'] || undefined, ca: s.data['ca.crt'] || undefined };
  try { checkTlsCredentials(c, now); } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(`data.${{ cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' }[err.field] ?? err.field}`, err.reason);
    throw err;
  }
  return c;
}

/** The Secret document of credentials `c` (what `svcnet tls create` applies), annotated as application credentials. */
export function applicationSecretDocument(c: TlsCredentials): Record<string, unknown> {
  const b64 = (t: string) => Buffer.from(t, 'utf8').toString('base64');
  const data: Record<string, string> = {};
  if (c.cert) data['tls.crt'] = b64(c.cert);
  if (c.key) data['tls.key'] = b64(c.key);
  if (c.ca) data['ca.crt'] = b64(c.ca);
  return { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: c.name, annotations: { [CREDENTIALS_ANNOTATION]: APPLICATION } }, data };
}

/** A line about stored credentials for `tls list`: subject and expiry of the certificate, CA count. */
export function describeCredentials(c: TlsCredentials): { name: string; subject: string; expires: string; key: boolean; cas: number } {
  const first = c.cert ? new X509Certificate((c.cert.match(PEM_CERT) ?? [c.cert])[0]) : undefined;
  return { name: c.name, subject: first ? subjectOf(first) : '', expires: first ? new Date(first.validTo).toISOString() : '', key: !!c.key, cas: caList(c.ca)?.length ?? 0 };
}

/**
 * The stored credentials named by `names` (undefined entries skipped), CAs split one per PEM, for
 * the desired state; unreadable ones are left out (desiredState() reports them missing).
 */
export function readAppTls(store: { readTlsCredentials(name: string): Omit<TlsCredentials, 'name'> | undefined }, names: (string | undefined)[]): Map<string, { cert?: string; key?: string; ca?: string[] }> {
  const out = new Map<string, { cert?: string; key?: string; ca?: string[] }>();
  for (const n of names) {
    if (n === undefined || out.has(n)) continue;
    let c;
    try { c = store.readTlsCredentials(n); } catch { continue; }
    if (c) out.set(n, { cert: c.cert, key: c.key, ca: caList(c.ca) });
  }
  return out;
}
