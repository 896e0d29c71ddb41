// Manifests (YAML or JSON, one or more documents per file) turned into validated svcnet.io/v1
// resources. All-or-nothing: the first bad document fails the whole load with its file, document
// number and field path, so a caller never applies half a file.
import { randomBytes } from 'node:crypto';
import YAML, { LineCounter, isScalar, visit, type Document } from 'yaml';
import { API_VERSION, SKUPPER_API_VERSION, KINDS, ValidationError, type Kind } from './common.js';
import { VALIDATE, type AnyResource } from './kinds.js';
import { fromSkupper, KUBERNETES_ONLY, SKUPPER_ALIASES, SkupperRefusal } from './skupper.js';
import { isSecretDocument, validateLinkSecret, type LinkSecret } from './link-secret.js';
import { isApplicationSecret, credentialsFromSecret, type TlsCredentials } from './tls-credentials.js';

export interface Manifest { source: string; text: string }

/** One document before validation, with where it came from (for messages). */
export interface RawDocument { source: string; index: number; raw: unknown }

export interface LoadedResource {
  source: string; index: number; kind: Kind; name: string; doc: AnyResource;
  /** an AccessGrant applied without a code: the code made for it (its token is shown once; only the hash is stored) */
  generatedCode?: string;
}

/** A document that cannot be applied: where it is, which field, and why. */
export class ManifestError extends Error {
  constructor(readonly where: string, readonly field: string, readonly reason: string) {
    super(field === '(yaml)' ? `${where}: ${reason}` : `${where}: ${field}: ${reason}`);
  }
}

/**
 * Bounds on what one request may hand the YAML parser (issue 10 #12): its text, its documents, the
 * nesting of flow collections, and aliases expanded per document. The parser costs tens of
 * microseconds and hundreds of bytes per node, so the text is the real bound: 256 KiB holds a
 * thousand listeners, and keeps a hostile file to a second or two of a busy core and ~100 MB.
 */
export const MANIFEST_LIMITS = Object.freeze({ maxBytes: 256 * 1024, maxDocuments: 1000, maxFlowDepth: 64, maxAliasCount: 100 });

/** Depth of `[`/`{` nesting, counted without regard to quotes (a manifest never needs 64): deeper input exhausts the parser's stack slowly. */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) { if (++depth > max) max = depth; } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

/** Splits manifests into documents; a YAML syntax error fails with its line and column, anything over MANIFEST_LIMITS with a one-line reason. */
export function parseManifests(manifests: Manifest[]): RawDocument[] {
  const bytes = manifests.reduce((n, m) => n + Buffer.byteLength(m.text, 'utf8'), 0);
  if (bytes > MANIFEST_LIMITS.maxBytes) {
    throw new ManifestError(manifests.length === 1 ? manifests[0].source : 'request', '(yaml)', `too large: ${bytes} bytes of manifests, at most ${MANIFEST_LIMITS.maxBytes} per request; split it`);
  }
  for (const m of manifests) {
    if (flowDepth(m.text) > MANIFEST_LIMITS.maxFlowDepth) throw new ManifestError(m.source, '(yaml)', `refused: [ ] and { } nested more than ${MANIFEST_LIMITS.maxFlowDepth} deep`);
  }
  const out: RawDocument[] = [];
  let total = 0;
  for (const m of manifests) {
    let docs: ReturnType<typeof YAML.parseAllDocuments>;
    const lines = new LineCounter();
    // Duplicate keys are found by duplicateKey() below: the parser's own check compares every pair of keys (seconds for one big mapping).
    try { docs = YAML.parseAllDocuments(m.text, { prettyErrors: true, uniqueKeys: false, lineCounter: lines }); } catch (err) {
      throw new ManifestError(m.source, '(yaml)', `malformed YAML: ${oneLine(err)}`); // e.g. nesting deep enough to exhaust the stack
    }
    const list = Array.isArray(docs) ? docs : [docs];
    let index = 0;
    for (const d of list) {
      const err = d.errors[0];
      if (err) {
        const pos = err.linePos?.[0];
        const what = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        throw new ManifestError(`${m.source}${pos ? ` line ${pos.line}, column ${pos.col}` : ''}`, '(yaml)', `malformed YAML: ${what}`);
      }
      const dup = duplicateKey(d);
      if (dup !== undefined) {
        const pos = lines.linePos(dup);
        throw new ManifestError(`${m.source} line ${pos.line}, column ${pos.col}`, '(yaml)', 'malformed YAML: Map keys must be unique');
      }
      index++;
      if (++total > MANIFEST_LIMITS.maxDocuments) throw new ManifestError(m.source, '(yaml)', `too many documents: at most ${MANIFEST_LIMITS.maxDocuments} per request`);
      let raw: unknown;
      // The yaml package refuses a document whose aliases expand too far (the "billion laughs") by throwing a ReferenceError.
      try { raw = d.toJS({ maxAliasCount: MANIFEST_LIMITS.maxAliasCount }) as unknown; } catch (e) {
        const bomb = /alias/i.test((e as Error).message);
        throw new ManifestError(`${m.source} document ${index}`, '(yaml)', bomb ? `refused: its aliases expand to too much data (more than ${MANIFEST_LIMITS.maxAliasCount} alias uses); write the values out` : `malformed YAML: ${oneLine(e)}`);
      }
      if (raw === null || raw === undefined) continue; // an empty document (e.g. a trailing ---)
      out.push({ source: m.source, index, raw });
    }
  }
  return out;
}

/** Offset of the first key that repeats an earlier scalar key of its mapping, or undefined: one pass with a set per mapping. */
function duplicateKey(doc: Document): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const { key } of map.items) {
        if (!isScalar(key)) continue; // a collection as a key: never equal to another in svcnet manifests, and not worth comparing
        const id = `${typeof key.value}:${String(key.value)}`;
        if (seen.has(id)) { found = key.range?.[0] ?? 0; return visit.BREAK; }
        seen.add(id);
      }
      return undefined;
    },
  });
  return found;
}

/** A new one-time code when a grant document names neither a code nor its hash. */
function codeFor(raw: unknown): string | undefined {
  const spec = (raw as { spec?: unknown }).spec;
  if (spec !== undefined && (typeof spec !== 'object' || spec === null)) return undefined; // validation names it
  const s = (spec ?? {}) as { code?: unknown; codeHash?: unknown };
  return s.code === undefined && s.codeHash === undefined ? randomBytes(18).toString('base64url') : undefined;
}

const oneLine = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0].slice(0, 200);

/** Validates documents; returns them in apply order with warnings about ignored Skupper fields. */
export function loadDocuments(docs: RawDocument[]): { resources: LoadedResource[]; warnings: string[]; secrets: LinkSecret[]; tlsCredentials: TlsCredentials[] } {
  const resources: LoadedResource[] = [];
  const warnings: string[] = [];
  const secrets: LinkSecret[] = [];
  const tlsCredentials: TlsCredentials[] = [];
  const seen = new Map<string, string>();
  // Secrets that a Listener or Connector of this request names hold application TLS credentials (issue 15).
  const named = new Set(docs.flatMap((d) => {
    const t = (d.raw as { kind?: unknown; spec?: { tlsCredentials?: unknown } } | null);
    return t && (t.kind === 'Listener' || t.kind === 'Connector') && typeof t.spec?.tlsCredentials === 'string' ? [t.spec.tlsCredentials] : [];
  }));
  for (const d of docs) {
    let where = `${d.source} document ${d.index}`;
    const r = d.raw as Record<string, unknown>;
    if (typeof r !== 'object' || Array.isArray(r)) throw new ManifestError(where, '(root)', 'must be a mapping with apiVersion, kind, metadata and spec');
    if (isSecretDocument(r)) { // a Link's credentials (svcnet link generate), written to links/, or an application's (tls/), not stored as a resource
      try { if (isApplicationSecret(r, named)) tlsCredentials.push(credentialsFromSecret(r)); else secrets.push(validateLinkSecret(r)); } catch (err) {
        if (err instanceof ValidationError) throw new ManifestError(`${where} (Secret)`, err.field, err.reason);
        throw err;
      }
      continue;
    }
    const skupper = r.apiVersion === SKUPPER_API_VERSION;
    const written = typeof r.kind === 'string' ? r.kind : undefined;
    const name = typeof r.metadata === 'object' && r.metadata !== null ? (r.metadata as { name?: unknown }).name : undefined;
    if (skupper && written && KUBERNETES_ONLY[written]) {
      throw new ManifestError(`${where} (${written}${typeof name === 'string' ? ` ${name}` : ''})`, 'kind', `${written} cannot apply outside Kubernetes: it ${KUBERNETES_ONLY[written]}`);
    }
    const kind = KINDS.find((k) => k === r.kind) ?? (skupper && written ? SKUPPER_ALIASES[written] : undefined);
    if (!kind) throw new ManifestError(where, 'kind', r.kind === undefined ? 'required' : `unknown kind ${JSON.stringify(r.kind)}; expected one of ${KINDS.join(', ')}${skupper ? `, or Skupper's ${Object.keys(SKUPPER_ALIASES).join(', ')}` : ''}`);
    where += typeof name === 'string' ? ` (${written} ${name})` : ` (${written})`;
    let raw: unknown = r;
    if (skupper) {
      let mapped;
      try { mapped = fromSkupper(written!, r); } catch (err) {
        if (err instanceof SkupperRefusal) throw new ManifestError(where, err.field, err.reason);
        throw err;
      }
      raw = mapped.doc;
      if (mapped.ignored.length) warnings.push(`${where}: ${SKUPPER_API_VERSION} fields ignored: ${mapped.ignored.join(', ')}`);
    } else if (r.apiVersion !== API_VERSION) {
      throw new ManifestError(where, 'apiVersion', r.apiVersion === undefined ? `required (${API_VERSION} or ${SKUPPER_API_VERSION})` : `must be ${API_VERSION} or ${SKUPPER_API_VERSION}, not ${JSON.stringify(r.apiVersion)}`);
    }
    // A grant without a code (Skupper's usual form): one is made here, as Skupper's controller does.
    const generatedCode = kind === 'AccessGrant' ? codeFor(raw) : undefined;
    if (generatedCode) raw = { ...(raw as object), spec: { ...((raw as { spec?: object }).spec ?? {}), code: generatedCode } };
    let doc: AnyResource;
    try {
      doc = VALIDATE[kind](raw);
    } catch (err) {
      if (err instanceof ValidationError) throw new ManifestError(where, err.field, err.reason);
      throw err;
    }
    const key = `${kind}/${doc.metadata.name}`;
    const first = seen.get(key);
    if (first) throw new ManifestError(where, 'metadata.name', `duplicate: ${key} is also defined in ${first}`);
    seen.set(key, `${d.source} document ${d.index}`);
    resources.push({ source: d.source, index: d.index, kind, name: doc.metadata.name, doc, ...(generatedCode ? { generatedCode } : {}) });
  }
  resources.sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
  return { resources, warnings, secrets, tlsCredentials };
}
