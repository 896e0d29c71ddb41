// `svcnet link generate --format skupper`: the Link + Secret that `link generate` returns, rewritten
// in Skupper v2's form (`skupper link generate`): a skupper.io/v2alpha1 Link whose router endpoint is
// named "inter-router" with its port as a string, then the kubernetes.io/tls Secret unchanged. svcnet
// applies it as it applies Skupper's own (control/resources/skupper.ts maps it back).
import { yaml } from './output.js';
import { SKUPPER_API_VERSION } from '../resources/common.js';

/** Output formats of `link generate`. */
export const LINK_FORMATS = ['svcnet', 'skupper'] as const;
export type LinkFormat = typeof LINK_FORMATS[number];

/** The svcnet YAML of `link generate` (Link, then Secret) in Skupper v2's form. */
export function toSkupperLinkYaml(svcnetYaml: string): string {
  const docs = yaml().parseAllDocuments(svcnetYaml).map((d) => d.toJS() as Record<string, unknown>);
  return docs.map((d) => {
    if (d.kind !== 'Link') return yaml().stringify(d);
    const spec = d.spec as { endpoints: { host: string; port: number }[]; cost: number; tlsCredentials: string };
    // peerSite is svcnet's record of whom the link reaches; Skupper has no such field.
    return yaml().stringify({
      apiVersion: SKUPPER_API_VERSION, kind: 'Link', metadata: d.metadata,
      spec: { endpoints: spec.endpoints.map((e) => ({ name: 'inter-router', host: e.host, port: String(e.port) })), tlsCredentials: spec.tlsCredentials, cost: spec.cost },
    });
  }).join('---\n');
}
