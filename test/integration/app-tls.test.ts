// Application TLS (issue 15 #5, Skupper's tlsCredentials) with real TLS clients and servers: curl
// and openssl s_client against listeners that terminate TLS (one asking for client certificates),
// and connectors that originate TLS to nginx (hostname checked, a mismatch shown in status). Beta
// has the listeners and alpha the connectors, so flows cross a link; one pair on alpha alone
// (a local splice with TLS on both sides). Certificates are made at run time with openssl.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { which, nginxConfig, runNginx, type App } from '../helpers/apps.js';

const root = tempDir();
const A = path.join(root, 'a');
const B = path.join(root, 'b');
const pki = path.join(root, 'pki');
let ports: number[];
const apps: App[] = [];
const missing = ['openssl', 'curl', 'nginx'].filter((p) => !which(p));
const f = (name: string) => path.join(pki, name);

/** Runs a command; resolves with its exit code and output (a failing curl is a result here, not an error). */
function run(cmd: string, args: string[], input = ''): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = execFile(cmd, args, { timeout: 30_000 }, (err, out, errOut) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out, err: errOut }));
    c.stdin?.end(input);
  });
}

/** A CA `name` and certificates it signs: `leaf(ca, name, cn, san)`. */
function makeCa(name: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.crt`), '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
}
function leaf(ca: string, name: string, cn: string, san: string): void {
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}/O=svcnet test`], { stdio: 'ignore' });
  fs.writeFileSync(f(`${name}.ext`), `subjectAltName=${san}\n`);
  execFileSync('openssl', ['x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${ca}.crt`), '-CAkey', f(`${ca}.key`), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`)], { stdio: 'ignore' });
}

/** nginx serving `www` over TLS on `port` with the `cert` pair. */
function startTlsNginx(port: number, dir: string, www: string, cert: string): App {
  fs.mkdirSync(dir, { recursive: true });
  return runNginx(nginxConfig(dir, `  access_log off;
  default_type text/plain;
  server { listen 127.0.0.1:${port} ssl; server_name localhost; ssl_certificate ${f(`${cert}.crt`)}; ssl_certificate_key ${f(`${cert}.key`)}; root ${www}; }`), dir);
}

type Status = { listeners: { name: string; status: string; message: string }[]; connectors: { name: string; ready: boolean; message: string }[] };
const status = (dir: string) => runtimeStatus(dir) as unknown as Status | undefined;
const listenerReady = (dir: string, name: string) => waitFor(`listener ${name} ready`, () => status(dir)?.listeners.find((l) => l.name === name && l.status === 'ready'));

if (missing.length > 0) {
  test('application TLS (SKIPPED)', () => { console.log(`  SKIP app-tls: missing ${missing.join(', ')}`); });
} else {
  test.before(async () => {
    ports = await freePorts(16);
    fs.mkdirSync(pki);
    makeCa('server-ca');
    makeCa('client-ca');
    leaf('server-ca', 'listener', 'svcnet-listener', 'DNS:localhost,IP:127.0.0.1');
    leaf('server-ca', 'nginx', 'localhost', 'DNS:localhost');
    leaf('client-ca', 'client', 'app-client', 'DNS:app-client');
    leaf('server-ca', 'listener2', 'svcnet-listener-renewed', 'DNS:localhost,IP:127.0.0.1');
    await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
    await svcnetOk(['site', 'create', 'beta', '--dir', B]);
    runSite(A);
    runSite(B);
    await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B));
    await svcnetOk(['token', 'issue', path.join(root, 't.yaml'), '--dir', A]);
    await svcnetOk(['token', 'redeem', path.join(root, 't.yaml'), '--dir', B]);
    await waitFor('link ready', () => runtimeStatus(B)?.links.some((l) => l.status === 'ready'));
    // A plain HTTP server behind alpha's connector "plain".
    const server = http.createServer((req, res) => res.end(`plain says hi to ${req.url}\n`));
    await new Promise<void>((r) => server.listen(ports[2], '127.0.0.1', r));
    apps.push({ name: 'http', stop: async () => { server.close(); } });
    await svcnetOk(['connector', 'create', 'plain', String(ports[2]), '--dir', A]);
  });

  test.after(async () => {
    await stopAll();
    for (const a of apps.splice(0)) await a.stop().catch(() => {});
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a listener terminates TLS: curl --cacert reaches a plain HTTP server; s_client shows the certificate', async () => {
    await svcnetOk(['tls', 'create', 'listener-cert', '--cert', f('listener.crt'), '--key', f('listener.key'), '--dir', B]);
    await svcnetOk(['listener', 'create', 'plain', String(ports[3]), '--host', '127.0.0.1', '--tls-credentials', 'listener-cert', '--dir', B]);
    await listenerReady(B, 'plain');
    const url = `https://localhost:${ports[3]}/hello`;
    const ok = await run('curl', ['-sS', '--cacert', f('server-ca.crt'), url]);
    assert.is(ok.code, 0, ok.err);
    assert.is(ok.out, 'plain says hi to /hello\n');
    // Not trusted without the CA: curl refuses the certificate.
    const untrusted = await run('curl', ['-sS', url]);
    assert.is.not(untrusted.code, 0);
    const s = await run('openssl', ['s_client', '-connect', `127.0.0.1:${ports[3]}`, '-servername', 'localhost', '-CAfile', f('server-ca.crt')], 'Q\n');
    assert.match(s.out, /subject=.*CN\s*=\s*svcnet-listener/);
    assert.match(s.out, /Verify return code: 0 \(ok\)/);
    // Plain HTTP to a TLS port is a failed handshake, counted in the listener's status.
    await run('curl', ['-sS', `http://127.0.0.1:${ports[3]}/`]);
    const l = await waitFor('handshake failure in status', () => status(B)?.listeners.find((x) => x.name === 'plain' && /TLS handshake.* failed, last: /.test(x.message)));
    assert.match(l.message, /listening on 127\.0\.0\.1:\d+ \(TLS, credentials listener-cert\)/);
  });

  test('new credentials under the same name (renewal): the running listener presents the new certificate', async () => {
    const out = await svcnetOk(['tls', 'create', 'listener-cert', '--cert', f('listener2.crt'), '--key', f('listener2.key'), '--dir', B]);
    assert.match(out, /the running site applies it now/);
    await waitFor('the renewed certificate is served', async () => /CN\s*=\s*svcnet-listener-renewed/.test((await run('openssl', ['s_client', '-connect', `127.0.0.1:${ports[3]}`, '-servername', 'localhost'], 'Q\n')).out));
    const ok = await run('curl', ['-sS', '--cacert', f('server-ca.crt'), `https://localhost:${ports[3]}/renewed`]);
    assert.is(ok.out, 'plain says hi to /renewed\n', ok.err);
  });

  test('client certificates required: curl without one fails, with one signed by the CA succeeds', async () => {
    fs.writeFileSync(f('bundle-ca.crt'), fs.readFileSync(f('client-ca.crt')));
    await svcnetOk(['tls', 'create', 'mtls', '--cert', f('listener.crt'), '--key', f('listener.key'), '--ca', f('client-ca.crt'), '--dir', B]);
    await svcnetOk(['listener', 'create', 'mtls', String(ports[4]), '--routing-key', 'plain', '--host', '127.0.0.1', '--tls-credentials', 'mtls', '--require-client-cert', '--dir', B]);
    await listenerReady(B, 'mtls');
    const url = `https://localhost:${ports[4]}/secret`;
    const without = await run('curl', ['-sS', '--cacert', f('server-ca.crt'), url]);
    assert.is.not(without.code, 0, 'refused without a client certificate');
    // A certificate from another CA is refused too (the server's own is not a client CA's).
    const wrong = await run('curl', ['-sS', '--cacert', f('server-ca.crt'), '--cert', f('listener.crt'), '--key', f('listener.key'), url]);
    assert.is.not(wrong.code, 0, 'refused with a certificate of another CA');
    const withCert = await run('curl', ['-sS', '--cacert', f('server-ca.crt'), '--cert', f('client.crt'), '--key', f('client.key'), url]);
    assert.is(withCert.code, 0, withCert.err);
    assert.is(withCert.out, 'plain says hi to /secret\n');
    await waitFor('refusals in status', () => status(B)?.listeners.find((x) => x.name === 'mtls' && /client certificate required\); \d+ TLS handshakes? failed, last: /.test(x.message)));
  });

  test('a connector originates TLS to nginx (name checked, SNI); a name mismatch is refused and shown in status', async () => {
    const www = path.join(root, 'www');
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.txt'), 'nginx over TLS\n');
    apps.push(startTlsNginx(ports[5], path.join(root, 'nginx'), www, 'nginx'));
    await waitFor('nginx up', () => run('curl', ['-sf', '--cacert', f('server-ca.crt'), `https://localhost:${ports[5]}/index.txt`]).then((r) => r.code === 0));
    await svcnetOk(['tls', 'create', 'nginx-trust', '--ca', f('server-ca.crt'), '--dir', A]);
    await svcnetOk(['connector', 'create', 'nginx', String(ports[5]), '--host', 'localhost', '--tls-credentials', 'nginx-trust', '--dir', A]);
    await svcnetOk(['listener', 'create', 'nginx', String(ports[6]), '--host', '127.0.0.1', '--dir', B]);
    await listenerReady(B, 'nginx');
    const ok = await run('curl', ['-sS', `http://127.0.0.1:${ports[6]}/index.txt`]);
    assert.is(ok.code, 0, ok.err);
    assert.is(ok.out, 'nginx over TLS\n');
    // The same server by IP: its certificate names only "localhost", so the handshake is refused.
    await svcnetOk(['connector', 'create', 'nginx-ip', String(ports[5]), '--host', '127.0.0.1', '--tls-credentials', 'nginx-trust', '--dir', A]);
    await svcnetOk(['listener', 'create', 'nginx-ip', String(ports[7]), '--host', '127.0.0.1', '--dir', B]);
    await listenerReady(B, 'nginx-ip');
    const bad = await run('curl', ['-sS', `http://127.0.0.1:${ports[7]}/index.txt`]);
    assert.is.not(bad.code === 0 && bad.out === 'nginx over TLS\n', true, 'no content through a mismatched name');
    const c = await waitFor('mismatch in status', () => status(A)?.connectors.find((x) => x.name === 'nginx-ip' && /TLS to server 127\.0\.0\.1:\d+ failed/.test(x.message)));
    assert.match(c.message, /does not match certificate's altnames|not in the cert's list/);
    // verifyHostname: false (written so) lets the same connector through.
    await svcnetOk(['connector', 'create', 'nginx-ip-unchecked', String(ports[5]), '--host', '127.0.0.1', '--routing-key', 'nginx-unchecked', '--tls-credentials', 'nginx-trust', '--no-verify-hostname', '--dir', A]);
    await svcnetOk(['listener', 'create', 'nginx-unchecked', String(ports[8]), '--host', '127.0.0.1', '--dir', B]);
    await listenerReady(B, 'nginx-unchecked');
    const unchecked = await run('curl', ['-sS', `http://127.0.0.1:${ports[8]}/index.txt`]);
    assert.is(unchecked.out, 'nginx over TLS\n', unchecked.err);
  });

  test('TLS on both ends of a local splice: a TLS listener and a TLS connector on one site', async () => {
    await svcnetOk(['tls', 'create', 'listener-cert', '--cert', f('listener.crt'), '--key', f('listener.key'), '--dir', A]);
    await svcnetOk(['listener', 'create', 'local', String(ports[9]), '--routing-key', 'nginx', '--host', '127.0.0.1', '--tls-credentials', 'listener-cert', '--dir', A]);
    await listenerReady(A, 'local');
    const r = await run('curl', ['-sS', '--cacert', f('server-ca.crt'), `https://localhost:${ports[9]}/index.txt`]);
    assert.is(r.code, 0, r.err);
    assert.is(r.out, 'nginx over TLS\n');
  });

  test('Skupper v2 form: a kubernetes.io/tls Secret applied with the Listener that names it', async () => {
    const b64 = (n: string) => fs.readFileSync(f(n)).toString('base64');
    const file = path.join(root, 'skupper-tls.yaml');
    fs.writeFileSync(file, `apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: skupper-web}
data: {tls.crt: ${b64('listener.crt')}, tls.key: ${b64('listener.key')}}
---
apiVersion: skupper.io/v2alpha1
kind: Listener
metadata: {name: skupper-web, namespace: east}
spec: {routingKey: plain, host: 127.0.0.1, port: ${ports[10]}, tlsCredentials: skupper-web}
`);
    await svcnetOk(['apply', '-f', file, '--dir', B]);
    await listenerReady(B, 'skupper-web');
    const r = await run('curl', ['-sS', '--cacert', f('server-ca.crt'), `https://localhost:${ports[10]}/skupper`]);
    assert.is(r.out, 'plain says hi to /skupper\n', r.err);
    assert.equal(fs.statSync(path.join(B, 'tls', 'skupper-web.json')).mode & 0o777, 0o600);
  });
}

test.run();
