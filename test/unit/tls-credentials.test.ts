// Application TLS credentials (issue 15 #5): checked once at the edge with one-line errors, Secrets
// told apart from link credentials, Skupper fields carried over, the desired state never running a
// TLS listener in plain text, and the push and its wire form keeping every TLS setting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { makeCert } from '../helpers/app-certs.js';
import { checkTlsCredentials, credentialsFromSecret, isApplicationSecret, applicationSecretDocument, unfitFor, readAppTls } from '../../control/resources/tls-credentials.js';
import { ValidationError } from '../../control/resources/common.js';
import { parseManifests, loadDocuments } from '../../control/resources/yaml-loader.js';
import { validateConnector } from '../../control/resources/connector.js';
import { validateListener } from '../../control/resources/listener.js';
import { desiredState } from '../../control/xds/snapshot.js';
import { validatePush } from '../../dataplane/xds/validate.js';
import { toResponse, fromResponse } from '../../control/xds/wire.js';
import type { AppTlsSpec } from '../../dataplane/port/push.js';

const ca = makeCert('app-ca', { ca: true });
const leaf = makeCert('web', { issuer: ca, san: ['localhost'] });
const other = makeCert('other');
const expired = makeCert('old', { issuer: ca, from: new Date('2020-01-01'), to: new Date('2021-01-01') });

function fails(c: Parameters<typeof checkTlsCredentials>[0]): ValidationError {
  try { checkTlsCredentials(c); } catch (err) { if (err instanceof ValidationError) return err; throw err; }
  throw new Error('accepted');
}

test('credentials: a matching pair, a CA alone, or both pass; each flaw is one line naming its field', () => {
  checkTlsCredentials({ name: 'web', cert: leaf.cert, key: leaf.key });
  checkTlsCredentials({ name: 'trust', ca: ca.cert });
  checkTlsCredentials({ name: 'both', cert: leaf.cert + ca.cert, key: leaf.key, ca: ca.cert });
  const cases: [Parameters<typeof checkTlsCredentials>[0], string, RegExp][] = [
    [{ name: 'x', cert: leaf.cert, key: other.key }, 'key', /^does not match the certificate CN=web$/],
    [{ name: 'x', cert: expired.cert, key: expired.key }, 'cert', /^certificate CN=old expired on 2021-01-01T00:00:00\.000Z$/],
    [{ name: 'x', ca: expired.cert }, 'ca', /expired on 2021-01-01/],
    [{ name: 'x', cert: leaf.cert }, 'key', /required with a certificate/],
    [{ name: 'x', key: leaf.key }, 'cert', /required with a key/],
    [{ name: 'x' }, 'cert', /a certificate \(with its key\) or a CA is required/],
    [{ name: 'x', cert: 'hello', key: leaf.key }, 'cert', /holds no PEM certificate/],
    [{ name: 'x', cert: leaf.cert, key: 'not a key' }, 'key', /is not a PEM private key/],
    [{ name: '../up', ca: ca.cert }, 'name', /./],
  ];
  for (const [c, field, reason] of cases) {
    const e = fails(c);
    assert.is(e.field, field, `${JSON.stringify(c.name)} ${field}`);
    assert.match(e.reason, reason);
    assert.not.match(e.message, /\n/);
  }
  const future = makeCert('later', { from: new Date(Date.now() + 86_400_000), to: new Date(Date.now() + 2 * 86_400_000) });
  assert.match(fails({ name: 'x', cert: future.cert, key: future.key }).reason, /is not valid before/);
});

test('what a listener and a connector need of their credentials', () => {
  const pair = { name: 'p', cert: leaf.cert, key: leaf.key };
  const trust = { name: 't', ca: ca.cert };
  assert.is(unfitFor(pair, 'listener'), undefined);
  assert.match(unfitFor(trust, 'listener')!, /no certificate and key to present/);
  assert.match(unfitFor(pair, 'listener-client-cert')!, /no CA \(ca\.crt\) to check client certificates/);
  assert.is(unfitFor(trust, 'connector'), undefined);
  assert.match(unfitFor(trust, 'connector-client-cert')!, /no client certificate and key/);
});

test('Secrets: application ones (annotated, named by a Listener/Connector, or not a full link triple) go to tls/, the rest stay link credentials', () => {
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const full = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { 'tls.crt': b64(leaf.cert), 'tls.key': b64(leaf.key), 'ca.crt': b64(ca.cert) } };
  assert.is(isApplicationSecret(full, new Set()), false);
  assert.is(isApplicationSecret(full, new Set(['s'])), true);
  assert.is(isApplicationSecret({ ...full, data: { 'ca.crt': b64(ca.cert) } }, new Set()), true);
  assert.is(isApplicationSecret(applicationSecretDocument({ name: 's', cert: leaf.cert, key: leaf.key, ca: ca.cert }), new Set()), true);
  assert.equal(credentialsFromSecret(applicationSecretDocument({ name: 's', ca: ca.cert })), { name: 's', cert: undefined, key: undefined, ca: ca.cert });
  try { credentialsFromSecret({ ...full, data: { ...full.data, 'tls.key': b64(other.key) } }); assert.unreachable(); } catch (err) {
    assert.is((err as ValidationError).field, 'data.tls.key');
  }
  // In a manifest: the Secret a Listener names becomes application credentials; a Link's stays a link's.
  const text = [
    YAML.stringify(full),
    YAML.stringify({ apiVersion: 'skupper.io/v2alpha1', kind: 'Listener', metadata: { name: 'web' }, spec: { port: 8443, host: '127.0.0.1', tlsCredentials: 's' } }),
    YAML.stringify({ ...full, metadata: { name: 'link-creds' } }),
  ].join('---\n');
  const r = loadDocuments(parseManifests([{ source: 'm.yaml', text }]));
  assert.equal(r.tlsCredentials.map((c) => c.name), ['s']);
  assert.equal(r.secrets.map((c) => c.name), ['link-creds']);
  assert.is((r.resources[0].doc.spec as { tlsCredentials?: string }).tlsCredentials, 's');
  assert.equal(r.warnings, []);
});

test('Skupper fields: a Connector\'s tlsCredentials, useClientCert and verifyHostname carry over; svcnet checks a name unless told not to', () => {
  const text = YAML.stringify({ apiVersion: 'skupper.io/v2alpha1', kind: 'Connector', metadata: { name: 'db' }, spec: { host: 'db.local', port: 5432, tlsCredentials: 'db-tls', useClientCert: true, verifyHostname: false } });
  const c = loadDocuments(parseManifests([{ source: 'c.yaml', text }])).resources[0].doc.spec;
  assert.equal({ ...c }, { routingKey: 'db', port: 5432, host: 'db.local', type: 'tcp', tlsCredentials: 'db-tls', useClientCert: true, verifyHostname: false });
  assert.throws(() => validateConnector({ apiVersion: 'svcnet.io/v1', kind: 'Connector', metadata: { name: 'x' }, spec: { port: 1, useClientCert: true } }), /spec\.tlsCredentials: is required by useClientCert/);
  assert.throws(() => validateListener({ apiVersion: 'svcnet.io/v1', kind: 'Listener', metadata: { name: 'x' }, spec: { port: 1, requireClientCert: true } }), /spec\.requireClientCert: needs spec\.tlsCredentials/);
  assert.throws(() => validateListener({ apiVersion: 'svcnet.io/v1', kind: 'Listener', metadata: { name: 'x' }, spec: { port: 1, tlsCredentials: '../x' } }), /spec\.tlsCredentials/);
});

test('desired state: TLS PEMs inline; missing credentials leave the listener out (never plain); a client certificate only with useClientCert', () => {
  const listener = (name: string, creds?: string) => validateListener({ apiVersion: 'svcnet.io/v1', kind: 'Listener', metadata: { name }, spec: { port: 9000 + name.length, tlsCredentials: creds, requireClientCert: creds === 'mtls' ? true : undefined } });
  const connector = (name: string, spec: object) => validateConnector({ apiVersion: 'svcnet.io/v1', kind: 'Connector', metadata: { name }, spec: { port: 443, host: 'localhost', ...spec } });
  const appTls = readAppTls({ readTlsCredentials: (n) => (n === 'web' ? { cert: leaf.cert, key: leaf.key, ca: ca.cert + ca.cert } : n === 'mtls' ? { cert: leaf.cert, key: leaf.key, ca: ca.cert } : undefined) }, ['web', 'mtls', 'gone', undefined]);
  const { state, problems } = desiredState({
    listeners: [listener('web', 'web'), listener('mtls', 'mtls'), listener('gone', 'gone'), listener('plain')],
    connectors: [connector('c1', { tlsCredentials: 'web' }), connector('c2', { tlsCredentials: 'web', useClientCert: true, verifyHostname: false })],
    links: [], credentials: new Map(), appTls, exposes: () => true,
  });
  assert.equal(state.listeners.map((l) => l.name), ['web', 'mtls', 'plain']);
  assert.equal(problems, [{ kind: 'Listener', name: 'gone', message: 'TLS credentials gone missing; add them with svcnet tls create gone' }]);
  assert.equal(state.listeners[0].tls, { credentials: 'web', key: leaf.key, cert: leaf.cert, ca: [ca.cert.trim(), ca.cert.trim()] });
  assert.is(state.listeners[1].tls?.requireClientCert, true);
  assert.is(state.listeners[2].tls, undefined);
  assert.equal(state.connectors[0].tls, { credentials: 'web', ca: [ca.cert.trim(), ca.cert.trim()] });
  assert.equal(state.connectors[1].tls, { credentials: 'web', key: leaf.key, cert: leaf.cert, ca: [ca.cert.trim(), ca.cert.trim()], verifyHostname: false });
});

test('push: the engine refuses TLS it cannot use; the router wire keeps every setting (verifyHostname false included)', () => {
  const push = (tls: AppTlsSpec, type: 'listeners' | 'connectors' = 'listeners') => ({ type, version: '1', nonce: 'n', resources: [{ name: 'l', routingKey: 'k', host: '127.0.0.1', port: 1, tls }] });
  assert.is(validatePush(push({ credentials: 'w', key: leaf.key, cert: leaf.cert }) as never, { certificates: [] }), null);
  assert.match(validatePush(push({ credentials: 'w', ca: [ca.cert] }) as never, { certificates: [] })!, /needs a certificate and key/);
  assert.match(validatePush(push({ credentials: 'w', key: leaf.key, cert: leaf.cert, requireClientCert: true }) as never, { certificates: [] })!, /no CA to check them/);
  assert.match(validatePush(push({ credentials: 'w', key: leaf.key }, 'connectors') as never, { certificates: [] })!, /go together/);
  assert.is(validatePush(push({ credentials: 'w', ca: [ca.cert] }, 'connectors') as never, { certificates: [] }), null);
  for (const tls of [{ credentials: 'w', ca: [ca.cert], verifyHostname: false }, { credentials: 'w', key: leaf.key, cert: leaf.cert, ca: [ca.cert], requireClientCert: true }, { credentials: 'w' }] as AppTlsSpec[]) {
    const p = push(tls, 'connectors');
    const wire = toResponse(p as never, { routerId: 'r', routerName: 'r' });
    // proto3 defaults, as the replica's decoder fills them in
    const decoded = JSON.parse(JSON.stringify(wire)) as { connectors: { tls: Record<string, unknown> }[] };
    decoded.connectors[0].tls = { key: '', cert: '', ca: [], requireClientCert: false, skipHostnameCheck: false, ...decoded.connectors[0].tls };
    assert.equal((fromResponse(decoded as never).resources[0] as { tls: AppTlsSpec }).tls, tls);
  }
  const plain = { type: 'listeners', versionInfo: '1', nonce: 'n', listeners: [{ name: 'l', routingKey: 'k', host: 'h', port: 1, tls: null }] };
  assert.is((fromResponse(plain as never).resources[0] as { tls?: unknown }).tls, undefined);
});

test.run();
