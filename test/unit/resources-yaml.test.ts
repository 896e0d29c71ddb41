// Manifests: YAML/JSON parsing, validation with field paths, Skupper v2alpha1 mapping and warnings,
// duplicate names and apply order (issue 3).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifests, loadDocuments, ManifestError } from '../../control/resources/yaml-loader.js';

const load = (text: string, source = 'f.yaml') => loadDocuments(parseManifests([{ source, text }]));
function fails(text: string, re: RegExp, field?: string): void {
  try { load(text); } catch (err) {
    assert.instance(err, ManifestError);
    assert.match((err as Error).message, re);
    if (field) assert.is((err as ManifestError).field, field);
    return;
  }
  assert.unreachable(`accepted: ${text}`);
}

const listener = (spec: string, name = 'web') => `apiVersion: svcnet.io/v1\nkind: Listener\nmetadata: {name: ${name}}\nspec: ${spec}\n`;

test('a svcnet.io/v1 listener gets its defaults', () => {
  const { resources, warnings } = load(listener('{routingKey: web, port: 8080}'));
  assert.is(resources.length, 1);
  assert.equal(warnings, []);
  const spec = resources[0].doc.spec as { host: string; type: string };
  assert.is(spec.host, '0.0.0.0');
  assert.is(spec.type, 'tcp');
});

test('bad fields are named by path, with file and document', () => {
  const table: [string, RegExp, string][] = [
    [listener('{routingKey: web, port: 70000}'), /^f\.yaml document 1 \(Listener web\): spec\.port: must be 1\.\.65535$/, 'spec.port'],
    [listener('{routingKey: web, port: 0}'), /spec\.port: must be 1\.\.65535/, 'spec.port'],
    [listener('{routingKey: web, port: "80"}'), /spec\.port: must be a number/, 'spec.port'],
    [listener('{routingKey: "a/b", port: 80}'), /spec\.routingKey: may hold only letters/, 'spec.routingKey'],
    [listener('{routingKey: "a b", port: 80}'), /spec\.routingKey/, 'spec.routingKey'],
    [listener('{routingKey: web, port: 80, colour: red}'), /spec\.colour: unknown field/, 'spec.colour'],
    [listener('{routingKey: web, port: 80}', 'Web_1'), /metadata\.name: must be lowercase/, 'metadata.name'],
    ['apiVersion: svcnet.io/v1\nkind: Gadget\nmetadata: {name: x}\n', /kind: unknown kind "Gadget"; expected one of/, 'kind'],
    ['apiVersion: svcnet.io/v1\nmetadata: {name: x}\n', /kind: required/, 'kind'],
    ['apiVersion: example.com/v9\nkind: Listener\nmetadata: {name: x}\nspec: {}\n', /apiVersion: must be svcnet\.io\/v1 or skupper\.io\/v2alpha1/, 'apiVersion'],
    ['- just\n- a list\n', /\(root\): must be a mapping/, '(root)'],
    ['kind: Listener\nmetadata: {name: x\n', /^f\.yaml line \d+, column \d+: malformed YAML/, '(yaml)'],
    ['a: 1\na: 2\n', /malformed YAML: Map keys must be unique/, '(yaml)'],
  ];
  for (const [text, re, field] of table) fails(text, re, field);
});

test('the second document of a file is named when it is the bad one', () => {
  fails(listener('{routingKey: a, port: 1}', 'one') + '---\n' + listener('{routingKey: b, port: 99999}', 'two'), /f\.yaml document 2 \(Listener two\): spec\.port/);
});

test('a duplicate name within a request is refused, naming both places', () => {
  fails(listener('{routingKey: a, port: 1}') + '---\n' + listener('{routingKey: b, port: 2}'), /metadata\.name: duplicate: Listener\/web is also defined in f\.yaml document 1/);
});

test('empty documents are skipped; JSON works too', () => {
  const { resources } = loadDocuments(parseManifests([
    { source: 'a.yaml', text: '---\n' + listener('{routingKey: a, port: 1}') + '---\n' },
    { source: 'b.json', text: JSON.stringify({ apiVersion: 'svcnet.io/v1', kind: 'Connector', metadata: { name: 'db' }, spec: { routingKey: 'db', port: 5432 } }) },
  ]));
  assert.equal(resources.map((r) => `${r.kind}/${r.name}`), ['Connector/db', 'Listener/web']);
});

test('resources come out in apply order: Site, grants, tokens, links, connectors, listeners', () => {
  const token = 'apiVersion: svcnet.io/v1\nkind: AccessToken\nmetadata: {name: t}\nspec: {url: "h:1", code: "AAAAAAAAAAAAAAAAAAAAAA", ca: "-----BEGIN CERTIFICATE-----"}\n';
  const { resources } = load(listener('{routingKey: a, port: 1}') + '---\n' + token + '---\napiVersion: svcnet.io/v1\nkind: Site\nmetadata: {name: s}\n');
  assert.equal(resources.map((r) => r.kind), ['Site', 'AccessToken', 'Listener']);
});

test('Skupper v2alpha1 Listener/Connector map, and ignored fields are listed', () => {
  const text = `apiVersion: skupper.io/v2alpha1
kind: Connector
metadata: {name: backend, namespace: shop}
spec: {routingKey: backend, port: 8080, selector: app=backend, host: 10.0.0.5, includeNotReadyPods: true}
---
apiVersion: skupper.io/v2alpha1
kind: Listener
metadata: {name: backend}
spec: {routingKey: backend, port: 8080, host: backend}
`;
  const { resources, warnings } = load(text);
  const c = resources.find((r) => r.kind === 'Connector')!.doc.spec as { host: string; port: number };
  assert.is(c.host, '10.0.0.5');
  assert.is(c.port, 8080);
  const l = resources.find((r) => r.kind === 'Listener')!.doc.spec as { host: string };
  // Issue 15 (Missing 4): the host is the bind address, as on Skupper's non-Kubernetes sites
  // (it was dropped before, as the name of a Kubernetes Service).
  assert.is(l.host, 'backend');
  assert.is(warnings.length, 1);
  assert.match(warnings.join('\n'), /Connector backend\): skupper\.io\/v2alpha1 fields ignored: metadata\.namespace, spec\.selector, spec\.includeNotReadyPods/);
});

test('Skupper Site, Link (string ports) and AccessToken (https url) map', () => {
  const text = `apiVersion: skupper.io/v2alpha1
kind: Site
metadata: {name: east}
spec: {linkAccess: default, serviceAccount: x}
---
apiVersion: skupper.io/v2alpha1
kind: Link
metadata: {name: to-west}
spec:
  endpoints: [{name: inter-router, host: 10.1.1.1, port: "55671"}]
  tlsCredentials: to-west
  cost: 3
---
apiVersion: skupper.io/v2alpha1
kind: AccessToken
metadata: {name: tok}
spec: {url: "https://10.1.1.1:55672/5e9a1d3c", code: "AAAAAAAAAAAAAAAAAAAAAA", ca: "-----BEGIN CERTIFICATE-----"}
`;
  const { resources, warnings } = load(text);
  const byKind = Object.fromEntries(resources.map((r) => [r.kind, r.doc.spec]));
  assert.equal((byKind.Site as { linkAccess: unknown }).linkAccess, { enabled: true });
  assert.equal((byKind.Link as { endpoints: unknown }).endpoints, [{ host: '10.1.1.1', port: 55671 }]);
  assert.is((byKind.Link as { cost: number }).cost, 3);
  assert.is((byKind.AccessToken as { url: string }).url, '10.1.1.1:55672');
  assert.match(warnings.join('\n'), /spec\.serviceAccount/);
  // An endpoint's name is its router role ("inter-router" is the one dialled; issue 15), so it is read, not ignored.
  assert.not.match(warnings.join('\n'), /spec\.endpoints\.0\.name/);
  assert.match(warnings.join('\n'), /spec\.url \(path\)/);
});

test('a Skupper document with a bad field is still rejected with its path', () => {
  fails('apiVersion: skupper.io/v2alpha1\nkind: Connector\nmetadata: {name: c}\nspec: {routingKey: c, port: 123456}\n', /spec\.port: must be 1\.\.65535/, 'spec.port');
});

test('AccessGrant input: a code is hashed, an expiration window becomes expiresAt', () => {
  const { resources } = load('apiVersion: svcnet.io/v1\nkind: AccessGrant\nmetadata: {name: g}\nspec: {code: "AAAAAAAAAAAAAAAAAAAAAA", expirationWindow: 2h}\n');
  const spec = resources[0].doc.spec as { codeHash: string; expiresAt: string; code?: string };
  assert.match(spec.codeHash, /^[0-9a-f]{64}$/);
  assert.is(spec.code, undefined);
  const left = Date.parse(spec.expiresAt) - Date.now();
  assert.ok(left > 7_100_000 && left <= 7_200_000, String(left));
  // Issue 15 (Missing 4): a grant without a code gets one made (its token is shown once by apply).
  const made = load('apiVersion: svcnet.io/v1\nkind: AccessGrant\nmetadata: {name: g}\nspec: {}\n').resources[0];
  assert.match(made.generatedCode ?? '', /^[A-Za-z0-9_-]{24}$/);
});

test.run();
