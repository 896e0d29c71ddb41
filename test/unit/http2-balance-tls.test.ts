// Issue 13 with issue 15: a stream-balanced (HTTP/2) listener behind application TLS, in process
// (TlsTerminator + StreamBalancer over a local h2c server). Offering h2 in ALPN (what listener.ts does
// for an http2 listener) lets an HTTP/2 client over TLS through; without it Node's HTTP/2 server
// refuses the TLS socket with its own "403 Missing ALPN Protocol", as it still does a client that
// offers no ALPN (h2 with prior knowledge over TLS): not supported in request mode.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import pino from 'pino';
import { StreamBalancer } from '../../dataplane/http-balance/stream-balancer.js';
import { TlsTerminator } from '../../dataplane/app-tls.js';
import type { Upstreams } from '../../dataplane/http-balance/upstreams.js';
import type { RouteTable } from '../../dataplane/routing/route-table.js';
import { makeCert } from '../helpers/app-certs.js';

const ca = makeCert('h2-ca', { ca: true });
const srv = makeCert('svc.test', { issuer: ca, san: ['svc.test', '127.0.0.1'] });
const log = pino({ level: 'silent' });
const listen = (s: net.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));

async function setup(alpn: string[] | undefined) {
  const server = http2.createServer();
  server.on('stream', (st, h) => { st.respond({ ':status': 200 }); st.end(`ok ${h[':path']}`); });
  const sport = await listen(server);
  const upstreams = { localConnectors: () => ['a'], connect: () => net.connect({ host: '127.0.0.1', port: sport }) } as unknown as Upstreams;
  const routes: RouteTable = { self: 'self', version: 1, paths: new Map(), keys: new Map([['k', [{ site: 'self', siteName: 'here', cost: 0, nextHop: 'self' }]]]) };
  const b = new StreamBalancer({ name: 'l', routingKey: 'k', host: '127.0.0.1', port: 0, type: 'http2', balance: 'request' }, { siteId: 'self', routes: () => routes, reachable: () => true, upstreams, log });
  const t = new TlsTerminator('l', { credentials: 'c', key: srv.key, cert: srv.cert }, (s) => b.accept(s, { request: () => {}, malformed: () => {} }), () => {}, log, undefined, alpn);
  const front = net.createServer({ allowHalfOpen: true }, (c) => t.accept(c));
  const port = await listen(front);
  return { port, close: () => { front.close(); b.close(); t.close(); server.close(); } };
}

/** A GET over HTTP/2 with TLS (ALPN h2): "alpn status body" or the error's code. */
function get(port: number): Promise<string> {
  return new Promise((resolve) => {
    const c = http2.connect(`https://127.0.0.1:${port}`, { ca: ca.cert });
    c.on('error', (e: NodeJS.ErrnoException) => resolve(`${e.code ?? ''} ${e.message}`));
    const st = c.request({ ':path': '/x' });
    let status = 0;
    let body = '';
    st.setEncoding('utf8');
    st.on('response', (h) => { status = Number(h[':status']); });
    st.on('data', (d: string) => { body += d; });
    // A session's error comes first when there is one; the stream's own otherwise.
    st.on('error', (e: NodeJS.ErrnoException) => setImmediate(() => { c.destroy(); resolve(`${e.code ?? ''} ${e.message}`); }));
    st.on('end', () => { resolve(`${(c.socket as unknown as { alpnProtocol: string }).alpnProtocol} ${status} ${body}`); c.close(); });
  });
}

test('ALPN h2 offered: an HTTP/2 client over TLS is balanced and answered', async () => {
  const p = await setup(['h2']);
  assert.is(await get(p.port), 'h2 200 ok /x');
  p.close();
});

test('ALPN h2 offered, a client that offers none (prior knowledge over TLS): still Node\'s 403', async () => {
  const p = await setup(['h2']);
  const got = await new Promise<string>((resolve) => {
    let text = '';
    const c = tls.connect({ port: p.port, host: '127.0.0.1', ca: ca.cert }, () => c.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00'));
    c.setEncoding('latin1');
    c.on('data', (d: string) => { text += d; });
    c.on('close', () => resolve(text));
    c.on('error', () => {});
  });
  assert.match(got, /^HTTP\/1\.0 403 Forbidden\r\n[\s\S]*Missing ALPN Protocol/);
  p.close();
});

test('no ALPN (as before): Node\'s HTTP/2 server refuses the TLS socket; the client sees a protocol error', async () => {
  const p = await setup(undefined);
  assert.is(await get(p.port), 'ERR_HTTP2_ERROR Protocol error', 'Node\'s HTTP/1.0 403 read as HTTP/2');
  p.close();
});

test.run();
