// The engine's application TLS (dataplane/app-tls.ts, issue 15) on loopback sockets: a listener's
// terminator bounds clients still in their handshake (per address, deadline) like the link port,
// hands on only finished handshakes, counts failures for status; a connector's TLS checks the
// server's name unless told not to, and a TLS socket's resetAndDestroy resets the TCP connection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import tls from 'node:tls';
import pino from 'pino';
import { TlsTerminator, connectTls } from '../../dataplane/app-tls.js';
import { makeCert } from '../helpers/app-certs.js';

const ca = makeCert('engine-ca', { ca: true });
const srv = makeCert('svc.test', { issuer: ca, san: ['svc.test', '127.0.0.1'] });
const log = pino({ level: 'silent' });

/** A TCP server handing its sockets to `t`; resolves with its port. */
async function serve(t: { accept(s: net.Socket): void }): Promise<{ port: number; close(): void }> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => t.accept(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}
const closed = (s: net.Socket) => new Promise<void>((r) => { if (s.destroyed) r(); else s.once('close', () => r()); });

test('terminator: a silent client is closed at the deadline, a second one from its address is refused at once; failures are counted', async () => {
  const secure: tls.TLSSocket[] = [];
  let failures = 0;
  const t = new TlsTerminator('web', { credentials: 'c', key: srv.key, cert: srv.cert }, (s) => secure.push(s), () => failures++, log, { perSource: 1, total: 4, handshakeMs: 300 });
  const srvr = await serve(t);
  const silent = net.connect(srvr.port, '127.0.0.1');
  silent.on('error', () => {});
  await new Promise((r) => silent.once('connect', r));
  await new Promise((r) => setTimeout(r, 50));
  const second = net.connect(srvr.port, '127.0.0.1');
  second.on('error', () => {});
  await closed(second);
  assert.is(t.refused.SVCNET_ERR_TOO_MANY_CONNECTIONS, 1);
  const t0 = Date.now();
  await closed(silent);
  assert.ok(Date.now() - t0 < 2000, 'closed at the deadline');
  assert.is(t.refused.SVCNET_ERR_HANDSHAKE_TIMEOUT, 1);
  // Plain text to the TLS port: a failed handshake, counted with its reason.
  const plain = net.connect(srvr.port, '127.0.0.1', () => plain.write('GET / HTTP/1.1\r\n\r\n'));
  plain.on('error', () => {});
  await closed(plain);
  await new Promise((r) => setTimeout(r, 50));
  assert.is(t.failures.count, 1);
  assert.is(failures, 1);
  assert.match(t.failures.summary(), /^1 TLS handshake failed, last: .+/);
  // A real client gets through, and the socket handed on resets its TCP connection.
  const c = tls.connect({ port: srvr.port, host: '127.0.0.1', ca: ca.cert, servername: 'svc.test' });
  const err = new Promise<string>((r) => c.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message)));
  await new Promise((r) => c.once('secureConnect', r));
  await new Promise((r) => setTimeout(r, 50));
  assert.is(secure.length, 1);
  secure[0].resetAndDestroy();
  assert.is(await err, 'ECONNRESET');
  t.close();
  srvr.close();
});

test('connector TLS: the server\'s name is checked (a mismatch is reported), unless verifyHostname is false', async () => {
  const server = tls.createServer({ key: srv.key, cert: srv.cert }, (s) => s.end('hello'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const dial = (host: string, spec: object) => new Promise<{ result?: string; data: string }>((resolve) => {
    let result: string | undefined;
    let data = '';
    const s = connectTls(host, port, { credentials: 'c', ca: [ca.cert], ...spec }, (e) => { result = e; });
    s.on('data', (d) => { data += d; });
    s.on('end', () => s.end()); // half-open allowed (flows need it): close our side too
    s.on('error', () => {});
    s.on('close', () => resolve({ result, data }));
  });
  const ok = await dial('127.0.0.1', {});
  assert.equal(ok, { result: undefined, data: 'hello' });
  const mismatch = await dial('localhost', {});
  assert.match(mismatch.result!, /Hostname\/IP does not match certificate's altnames/);
  assert.is(mismatch.data, '');
  const unchecked = await dial('localhost', { verifyHostname: false });
  assert.equal(unchecked, { result: undefined, data: 'hello' });
  const untrusted = await new Promise<string | undefined>((resolve) => {
    const s = connectTls('127.0.0.1', port, { credentials: 'c', ca: [makeCert('other-ca', { ca: true }).cert] }, resolve);
    s.on('error', () => {});
  });
  assert.match(untrusted!, /self.signed|unable to (get|verify)/i);
  server.close();
});

test.run();
