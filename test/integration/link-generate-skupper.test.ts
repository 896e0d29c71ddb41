// Issue 15: `svcnet link generate --format skupper` writes Skupper v2's form (a skupper.io/v2alpha1
// Link with an "inter-router" endpoint, port as a string, and its kubernetes.io/tls Secret), as
// `skupper link generate` does; a running svcnet site applies that file without warnings and links.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { svcnet, svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';

const root = tempDir();
const A = path.join(root, 'alpha');
const B = path.join(root, 'beta');
const FILE = path.join(root, 'skupper-link.yaml');

test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

test('link generate --format skupper: Skupper v2\'s Link + Secret, applied by svcnet as written', async () => {
  const ports = await freePorts(2);
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'beta', '--dir', B]);
  const id = JSON.parse(await svcnetOk(['site', 'status', '-o', 'json', '--dir', B])).id as string;
  const bad = await svcnet(['link', 'generate', 'beta', '--peer-id', id, '--format', 'kube', '--dir', A]);
  assert.is(bad.code, 2);
  assert.is(bad.stderr, 'error: --format must be svcnet or skupper, not "kube"\n');
  await svcnetOk(['link', 'generate', 'beta', '--peer-id', id, '--format', 'skupper', '-o', FILE, '--dir', A]);
  assert.is(fs.statSync(FILE).mode & 0o777, 0o600);
  const [link, secret] = YAML.parseAllDocuments(fs.readFileSync(FILE, 'utf8')).map((d) => d.toJS());
  assert.equal(link, {
    apiVersion: 'skupper.io/v2alpha1', kind: 'Link', metadata: { name: 'link-alpha' },
    spec: { endpoints: [{ name: 'inter-router', host: '127.0.0.1', port: String(ports[0]) }], tlsCredentials: 'link-alpha', cost: 1 },
  });
  assert.equal([secret.apiVersion, secret.kind, secret.type, secret.metadata.name, Object.keys(secret.data).sort()], ['v1', 'Secret', 'kubernetes.io/tls', 'link-alpha', ['ca.crt', 'tls.crt', 'tls.key']]);
  runSite(A);
  runSite(B);
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B));
  const r = await svcnet(['apply', '-f', FILE, '--dir', B]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Link link-alpha created/);
  assert.not.match(r.stdout + r.stderr, /ignored/i, 'no Skupper field left unused');
  await waitFor('beta linked to alpha', () => runtimeStatus(B)?.links.find((l) => l.name === 'link-alpha' && l.status === 'ready' && l.peer === 'alpha'), 20_000);
});

test.run();
