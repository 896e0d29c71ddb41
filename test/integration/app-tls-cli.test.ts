// `svcnet tls create|list|delete` and `--tls-credentials` (issue 15 #5): output, one-line errors and
// exit codes (0 ok, 1 refused, 2 usage), on a site that is not running (the same API handlers).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { svcnet, svcnetOk, tempDir } from '../helpers/cli.js';
import { makeCert } from '../helpers/app-certs.js';

const root = tempDir();
const D = path.join(root, 'site');
const f = (name: string) => path.join(root, name);

test.before(async () => {
  const ca = makeCert('app-ca', { ca: true });
  const leaf = makeCert('web.example', { issuer: ca, san: ['web.example'] });
  const other = makeCert('other');
  const old = makeCert('old', { from: new Date('2020-01-01'), to: new Date('2021-01-01') });
  for (const [n, p] of Object.entries({ ca, leaf, other, old })) { fs.writeFileSync(f(`${n}.crt`), p.cert); fs.writeFileSync(f(`${n}.key`), p.key); }
  await svcnetOk(['site', 'create', 'west', '--dir', D]);
});

test.after(() => fs.rmSync(root, { recursive: true, force: true }));

test('tls create stores the credentials (0600) and says what they hold', async () => {
  const r = await svcnet(['tls', 'create', 'web', '--cert', f('leaf.crt'), '--key', f('leaf.key'), '--ca', f('ca.crt'), '--dir', D]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^TLS credentials web stored \(certificate CN=web\.example, expires \d{4}-\d\d-\d\dT[\d:.]+Z; 1 CA certificate\); the site is not running; it applies at the next start\n$/);
  assert.is(fs.statSync(path.join(D, 'tls', 'web.json')).mode & 0o777, 0o600);
  const trust = await svcnet(['tls', 'create', 'trust', '--ca', f('ca.crt'), '--dir', D]);
  assert.is(trust.code, 0, trust.stderr);
  assert.match(trust.stdout, /^TLS credentials trust stored \(1 CA certificate\)/);
});

test('tls create refuses bad files with one line and exit 1, bad calls with exit 2', async () => {
  const cases: [string[], number, RegExp][] = [
    [['--cert', f('leaf.crt'), '--key', f('other.key')], 1, /^error: TLS credentials bad: --key \S+other\.key: does not match the certificate CN=web\.example\n$/],
    [['--cert', f('old.crt'), '--key', f('old.key')], 1, /^error: TLS credentials bad: --cert \S+old\.crt: certificate CN=old expired on 2021-01-01T00:00:00\.000Z\n$/],
    [['--ca', f('old.crt')], 1, /^error: TLS credentials bad: --ca \S+old\.crt: certificate CN=old expired on/],
    [['--cert', f('nope.crt'), '--key', f('leaf.key')], 1, /^error: cannot read --cert \S+nope\.crt: no such file\n$/],
    [['--cert', f('leaf.key'), '--key', f('leaf.key')], 1, /^error: TLS credentials bad: --cert \S+: holds no PEM certificate/],
    [['--cert', f('leaf.crt')], 2, /^error: --cert needs --key FILE \(its private key\)\n$/],
    [[], 2, /^error: give --cert FILE --key FILE, --ca FILE, or both\n$/],
  ];
  for (const [args, code, err] of cases) {
    const r = await svcnet(['tls', 'create', 'bad', ...args, '--dir', D]);
    assert.is(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, err);
    assert.is(r.stdout, '');
  }
  const badName = await svcnet(['tls', 'create', 'Bad Name', '--ca', f('ca.crt'), '--dir', D]);
  assert.is(badName.code, 2);
  assert.not.ok(fs.existsSync(path.join(D, 'tls', 'bad.json')), 'nothing stored');
});

test('--tls-credentials on listener and connector create: credentials must exist and fit', async () => {
  let r = await svcnet(['listener', 'create', 'web', '8443', '--tls-credentials', 'web', '--require-client-cert', '--dir', D]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^listener web created \(routing key web, port 8443, type tcp, TLS credentials web\)/);
  r = await svcnet(['listener', 'create', 'nope', '8444', '--tls-credentials', 'missing', '--dir', D]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^error: request document 1 \(Listener nope\): TLS credentials "missing" not found; add them with "svcnet tls create missing --cert FILE --key FILE \[--ca FILE\]" or apply their Secret in the same request\n$/);
  r = await svcnet(['listener', 'create', 'ca-only', '8445', '--tls-credentials', 'trust', '--dir', D]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /credentials trust have no certificate and key to present to clients\n$/);
  r = await svcnet(['listener', 'create', 'stray', '8446', '--require-client-cert', '--dir', D]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^error: invalid listener: --require-client-cert needs spec\.tlsCredentials/);
  r = await svcnet(['connector', 'create', 'api', '443', '--host', 'web.example', '--tls-credentials', 'trust', '--use-client-cert', '--dir', D]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /credentials trust have no client certificate and key \(useClientCert\)\n$/);
  r = await svcnet(['connector', 'create', 'api', '443', '--host', 'web.example', '--tls-credentials', 'trust', '--no-verify-hostname', '--dir', D]);
  assert.is(r.code, 0, r.stderr);
  const yaml = await svcnetOk(['get', 'connector', 'api', '-o', 'yaml', '--dir', D]);
  assert.match(yaml, /tlsCredentials: trust\n\s+verifyHostname: false/);
  r = await svcnet(['connector', 'create', 'c2', '443', '--use-client-cert', '--dir', D]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^error: invalid connector: --tls-credentials is required by useClientCert and verifyHostname\n$/);
  // Replacing credentials in use: they must still give their users what they need.
  r = await svcnet(['tls', 'create', 'web', '--cert', f('leaf.crt'), '--key', f('leaf.key'), '--dir', D]);
  assert.is(r.code, 1);
  assert.is(r.stderr, 'error: TLS credentials web: listener web uses them, and they would have no CA (ca.crt) to check client certificates against\n');
  r = await svcnet(['listener', 'update', 'web', '--tls-credentials', 'trust', '--dir', D]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /credentials trust have no certificate and key to present to clients\n$/);
});

test('tls list shows each bundle and its users; tls delete refuses while in use', async () => {
  const list = await svcnetOk(['tls', 'list', '--dir', D]);
  const lines = list.trim().split('\n');
  assert.match(lines[0], /^NAME\s+CERTIFICATE\s+EXPIRES\s+KEY\s+CAS\s+USED BY$/);
  assert.match(lines[1], /^trust\s+-\s+-\s+no\s+1\s+connector api$/);
  assert.match(lines[2], /^web\s+CN=web\.example\s+\S+Z\s+yes\s+1\s+listener web$/);
  const json = JSON.parse(await svcnetOk(['tls', 'list', '-o', 'json', '--dir', D])) as { name: string; usedBy: string[] }[];
  assert.equal(json.map((x) => [x.name, x.usedBy]), [['trust', ['connector api']], ['web', ['listener web']]]);
  let r = await svcnet(['tls', 'delete', 'web', '--dir', D]);
  assert.is(r.code, 1);
  assert.is(r.stderr, 'error: TLS credentials web are used by listener web; delete those or change their tlsCredentials first\n');
  await svcnetOk(['listener', 'delete', 'web', '--dir', D]);
  r = await svcnet(['tls', 'delete', 'web', '--dir', D]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'TLS credentials web deleted\n');
  r = await svcnet(['tls', 'delete', 'web', '--dir', D]);
  assert.is(r.code, 1);
  assert.is(r.stderr, 'error: no TLS credentials named web\n');
});

test('a Skupper Certificate is refused with where application credentials go instead', async () => {
  fs.writeFileSync(f('cert.yaml'), 'apiVersion: skupper.io/v2alpha1\nkind: Certificate\nmetadata: {name: web-tls}\nspec: {ca: skupper-site-ca, subject: web, hosts: [web]}\n');
  const r = await svcnet(['apply', '-f', f('cert.yaml'), '--dir', D]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^error: \S+cert\.yaml document 1 \(Certificate web-tls\): kind: Certificate cannot apply outside Kubernetes: it asks the Kubernetes controller to issue a certificate into a Secret; svcnet does not issue application certificates: give your own with "svcnet tls create NAME --cert F --key F \[--ca F\]"/);
  assert.is(r.stderr.split('\n').length, 2, 'one line');
});

test.run();
