// Manifests (YAML or JSON, one or more documents per file) turned into validated svcnet.io/v1
// resources. All-or-nothing: the first bad document fails the whole load with its file, document
// number and field path, so a caller never applies half a file.
import YAML from 'yaml';
import { API_VERSION, SKUPPER_API_VERSION, KINDS, ValidationError, type Kind } from './common.js';
import { VALIDATE, type AnyResource } from './kinds.js';
import { fromSkupper } from './skupper.js';

export interface Manifest { source: string; text: string }

/** One document before validation, with where it came from (for messages). */
export interface RawDocument { source: string; index: number; raw: unknown }

export interface LoadedResource { source: string; index: number; kind: Kind; name: string; doc: AnyResource }

/** A document that cannot be applied: where it is, which field, and why. */
export class ManifestError extends Error {
  constructor(readonly where: string, readonly field: string, readonly reason: string) {
    super(field === '(yaml)' ? `${where}: ${reason}` : `${where}: ${field}: ${reason}`);
  }
}

/** Splits manifests into documents; a YAML syntax error fails with its line and column. */
export function parseManifests(manifests: Manifest[]): RawDocument[] {
  const out: RawDocument[] = [];
  for (const m of manifests) {
    const docs = YAML.parseAllDocuments(m.text, { prettyErrors: true, uniqueKeys: true });
    const list = Array.isArray(docs) ? docs : [docs];
    let index = 0;
    for (const d of list) {
      const err = d.errors[0];
      if (err) {
        const pos = err.linePos?.[0];
        const what = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        throw new ManifestError(`${m.source}${pos ? ` line ${pos.line}, column ${pos.col}` : ''}`, '(yaml)', `malformed YAML: ${what}`);
      }
      index++;
      const raw = d.toJS({ maxAliasCount: 100 }) as unknown;
      if (raw === null || raw === undefined) continue; // an empty document (e.g. a trailing ---)
      out.push({ source: m.source, index, raw });
    }
  }
  return out;
}

/** Validates documents; returns them in apply order with warnings about ignored Skupper fields. */
export function loadDocuments(docs: RawDocument[]): { resources: LoadedResource[]; warnings: string[] } {
  const resources: LoadedResource[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  for (const d of docs) {
    let where = `${d.source} document ${d.index}`;
    const r = d.raw as Record<string, unknown>;
    if (typeof r !== 'object' || Array.isArray(r)) throw new ManifestError(where, '(root)', 'must be a mapping with apiVersion, kind, metadata and spec');
    const kind = KINDS.find((k) => k === r.kind);
    if (!kind) throw new ManifestError(where, 'kind', r.kind === undefined ? 'required' : `unknown kind ${JSON.stringify(r.kind)}; expected one of ${KINDS.join(', ')}`);
    const name = typeof r.metadata === 'object' && r.metadata !== null ? (r.metadata as { name?: unknown }).name : undefined;
    where += typeof name === 'string' ? ` (${kind} ${name})` : ` (${kind})`;
    let raw: unknown = r;
    if (r.apiVersion === SKUPPER_API_VERSION) {
      const mapped = fromSkupper(kind, r);
      raw = mapped.doc;
      if (mapped.ignored.length) warnings.push(`${where}: ${SKUPPER_API_VERSION} fields ignored: ${mapped.ignored.join(', ')}`);
    } else if (r.apiVersion !== API_VERSION) {
      throw new ManifestError(where, 'apiVersion', r.apiVersion === undefined ? `required (${API_VERSION} or ${SKUPPER_API_VERSION})` : `must be ${API_VERSION} or ${SKUPPER_API_VERSION}, not ${JSON.stringify(r.apiVersion)}`);
    }
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
    resources.push({ source: d.source, index: d.index, kind, name: doc.metadata.name, doc });
  }
  resources.sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
  return { resources, warnings };
}
