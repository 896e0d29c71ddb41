// Issue 15 (Missing 4): each kind of document among Skupper v2's sample manifests (config/samples of
// skupperproject/skupper, v2alpha1) either applies with the same meaning or is refused with one line
// saying why it cannot apply outside Kubernetes. The documents below are written here to the shape
// of those samples (same kinds and fields), not copied.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifests, loadDocuments, ManifestError } from '../../control/resources/yaml-loader.js';
import { KUBERNETES_ONLY } from '../../control/resources/skupper.js';
import { listenerKeys, type Listener } from '../../control/resources/listener.js';

const V = 'apiVersion: skupper.io/v2alpha1';
const load = (text: string) => loadDocuments(parseManifests([{ source: 'sample.yaml', text }]));
function refused(text: string): ManifestError {
  try { load(text); } catch (err) { assert.instance(err, ManifestError); return err as ManifestError; }
  throw new Error(`accepted: ${text}`);
}

test('issue 15: a Site with linkAccess "default" and ha applies with link access on; ha is named as ignored', () => {
  const { resources, warnings } = load(`${V}\nkind: Site\nmetadata: {name: west}\nspec: {linkAccess: default, ha: true}\n`);
  assert.equal(resources[0].doc.spec, { linkAccess: { enabled: true } });
  assert.match(warnings.join('\n'), /fields ignored: spec\.ha/);
});

test('issue 15: a MultiKeyListener becomes a listener whose keys fail over in the given order', () => {
  const { resources, warnings } = load(`${V}\nkind: MultiKeyListener\nmetadata: {name: backend}\nspec:\n  host: 127.0.0.1\n  port: 8080\n  strategy:\n    priority:\n      routingKeys: [backend-primary, backend-secondary]\n`);
  assert.is(resources[0].kind, 'Listener');
  const l = resources[0].doc as Listener;
  assert.is(l.spec.port, 8080);
  assert.is(l.spec.host, '127.0.0.1');
  assert.equal(listenerKeys(l.spec).map((k) => k.key), ['backend-primary', 'backend-secondary']);
  assert.equal(warnings, []);
  const bad = refused(`${V}\nkind: MultiKeyListener\nmetadata: {name: backend}\nspec: {port: 8080, strategy: {weighted: {}}}\n`);
  assert.is(bad.field, 'spec.strategy');
  assert.match(bad.message, /^sample\.yaml document 1 \(MultiKeyListener backend\): spec\.strategy: must be priority\.routingKeys/);
  const many = Array.from({ length: 257 }, (_, i) => `k${i}`).join(', ');
  assert.match(refused(`${V}\nkind: MultiKeyListener\nmetadata: {name: b}\nspec: {port: 1, strategy: {priority: {routingKeys: [${many}]}}}\n`).message, /at most 256/);
});

test('issue 15: a Listener\'s host is its bind address, as on Skupper\'s non-Kubernetes sites', () => {
  for (const host of ['backend', '10.0.0.5', 'db.example']) {
    const { resources } = load(`${V}\nkind: Listener\nmetadata: {name: backend}\nspec: {host: ${host}, port: 8080, routingKey: backend}\n`);
    assert.is((resources[0].doc as Listener).spec.host, host);
  }
});

test('issue 15: a Connector that selects pods (no host) is refused with one line; with a host it applies', () => {
  const e = refused(`${V}\nkind: Connector\nmetadata: {name: backend}\nspec: {routingKey: backend, port: 8080, selector: app=backend}\n`);
  assert.is(e.field, 'spec.selector');
  assert.not.match(e.message, /\n/);
  assert.match(e.message, /picks Kubernetes pods.*give spec\.host/);
  const { resources, warnings } = load(`${V}\nkind: Connector\nmetadata: {name: backend}\nspec: {routingKey: backend, port: 8080, host: 10.0.0.7, selector: app=backend}\n`);
  assert.is((resources[0].doc.spec as { host: string }).host, '10.0.0.7');
  assert.match(warnings.join('\n'), /spec\.selector/);
});

test('issue 15: a Link with inter-router and edge endpoints dials the inter-router one (ports written as strings)', () => {
  const { resources, warnings } = load(`${V}\nkind: Link\nmetadata: {name: my-token}\nspec:\n  endpoints:\n  - {group: skupper-router-1, host: 10.102.82.46, name: inter-router, port: "55671"}\n  - {group: skupper-router-1, host: 10.102.82.46, name: edge, port: "45671"}\n  tlsCredentials: my-token\n`);
  assert.equal((resources[0].doc.spec as { endpoints: unknown }).endpoints, [{ host: '10.102.82.46', port: 55671 }]);
  assert.match(warnings.join('\n'), /spec\.endpoints\.1 \(an edge-router port/);
  assert.not.match(warnings.join('\n'), /\.group|\.name/);
});

test('issue 15: an AccessGrant without a code gets one made; with a code it keeps it', () => {
  const { resources } = load(`${V}\nkind: AccessGrant\nmetadata: {name: my-grant}\nspec: {expirationWindow: 1h, redemptionsAllowed: 10}\n`);
  const g = resources[0];
  assert.match(g.generatedCode ?? '', /^[A-Za-z0-9_-]{24}$/);
  const spec = g.doc.spec as { redemptionsAllowed: number; expiresAt: string; codeHash: string };
  assert.is(spec.redemptionsAllowed, 10);
  assert.ok(Math.abs(Date.parse(spec.expiresAt) - Date.now() - 3600_000) < 60_000, spec.expiresAt);
  assert.match(spec.codeHash, /^[0-9a-f]{64}$/);
  const second = load(`${V}\nkind: AccessGrant\nmetadata: {name: my-grant}\nspec: {expirationWindow: 1h}\n`).resources[0];
  assert.is.not(second.generatedCode, g.generatedCode, 'a fresh code each time one is made');
  const given = load(`${V}\nkind: AccessGrant\nmetadata: {name: g}\nspec: {code: ${'A'.repeat(24)}}\n`).resources[0];
  assert.is(given.generatedCode, undefined);
});

test('issue 15: an AccessToken with Skupper\'s https://host:port/id url redeems at host:port', () => {
  const { resources } = load(`${V}\nkind: AccessToken\nmetadata: {name: my-token}\nspec:\n  code: L1qCl2mZ7D81gbXp3ax4YT0K\n  url: https://10.107.241.191:9090/86b80f6b-2b02-47ac-bab4-d285bb4f7b9d\n  ca: "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"\n`);
  assert.is((resources[0].doc.spec as { url: string }).url, '10.107.241.191:9090');
});

test('issue 15: Kubernetes-only kinds are refused with one line each, naming the kind and why', () => {
  const samples: Record<string, string> = {
    AttachedConnector: 'spec: {port: 8080, selector: app=backend, siteNamespace: west}',
    AttachedConnectorBinding: 'spec: {routingKey: backend, connectorNamespace: other}',
    RouterAccess: 'spec: {issuer: default}',
    SecuredAccess: 'spec: {issuer: default}',
    Certificate: 'spec: {client: true}',
  };
  assert.equal(Object.keys(samples).sort(), Object.keys(KUBERNETES_ONLY).sort(), 'every Kubernetes-only kind has a case');
  for (const [kind, spec] of Object.entries(samples)) {
    const e = refused(`${V}\nkind: ${kind}\nmetadata: {name: x, namespace: other}\n${spec}\n`);
    assert.is(e.field, 'kind');
    assert.not.match(e.message, /\n/);
    assert.match(e.message, new RegExp(`^sample\\.yaml document 1 \\(${kind} x\\): kind: ${kind} cannot apply outside Kubernetes: it `));
  }
  // The same names under svcnet's own apiVersion are simply unknown kinds.
  assert.match(refused('apiVersion: svcnet.io/v1\nkind: RouterAccess\nmetadata: {name: x}\n').message, /unknown kind "RouterAccess"/);
});

test.run();
