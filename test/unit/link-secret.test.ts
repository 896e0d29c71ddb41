// A Link's credentials as a TLS Secret (issue 15, `svcnet link generate`): round trip, field-named
// refusals, and manifests that carry a Secret beside their resources.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { secretDocument, validateLinkSecret, GRANT_URL_ANNOTATION } from '../../control/resources/link-secret.js';
import { ValidationError } from '../../control/resources/common.js';
import { parseManifests, loadDocuments, ManifestError } from '../../control/resources/yaml-loader.js';

const creds = { key: '-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n', cert: '-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n', ca: '-----BEGIN CERTIFICATE-----\na\n-----END CERTIFICATE-----\n', grantUrl: 'east.example:55672' };

test('issue 15: a Secret made by secretDocument reads back as the same credentials', () => {
  const doc = secretDocument('link-east', creds);
  assert.is((doc.metadata as { annotations: Record<string, string> }).annotations[GRANT_URL_ANNOTATION], creds.grantUrl);
  assert.equal(validateLinkSecret(YAML.parse(YAML.stringify(doc))), { name: 'link-east', ...creds });
});

test('issue 15: a bad Secret is refused naming the field', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ data: { 'tls.key': 'not base64!', 'tls.crt': 'eA==', 'ca.crt': 'eA==' } }, 'data.tls.key'],
    [{ data: { 'tls.key': Buffer.from('plain').toString('base64'), 'tls.crt': 'eA==', 'ca.crt': 'eA==' } }, 'data.tls.key'],
    [{ metadata: { name: '../etc' } }, 'metadata.name'],
    [{ apiVersion: 'v2' }, 'apiVersion'],
  ];
  for (const [patch, field] of cases) {
    const doc = { ...secretDocument('link-east', creds), ...patch };
    try { validateLinkSecret(doc); assert.unreachable(field); } catch (err) {
      assert.instance(err, ValidationError);
      assert.is((err as ValidationError).field, field, JSON.stringify(patch));
    }
  }
});

test('issue 15: a manifest with a Link and its Secret loads the Link as a resource and the Secret apart', () => {
  const text = `apiVersion: svcnet.io/v1\nkind: Link\nmetadata: {name: link-east}\nspec: {endpoints: [{host: 127.0.0.1, port: 5000}], tlsCredentials: link-east}\n---\n${YAML.stringify(secretDocument('link-east', creds))}`;
  const r = loadDocuments(parseManifests([{ source: 'f.yaml', text }]));
  assert.equal(r.resources.map((x) => x.kind), ['Link']);
  assert.equal(r.secrets.map((x) => x.name), ['link-east']);
  const bad = text.replace(/tls\.crt: \S+/, 'tls.crt: "%%%"');
  try { loadDocuments(parseManifests([{ source: 'f.yaml', text: bad }])); assert.unreachable(); } catch (err) {
    assert.instance(err, ManifestError);
    assert.match((err as Error).message, /f\.yaml document 2 \(Secret\)/);
  }
});

test.run();
