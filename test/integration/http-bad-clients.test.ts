// Issue 13, "bad input" from clients, through real sites to Debian's nginx: garbage on an http1 and an
// http2 listener, a request head over 64 KiB, a client that sends half a request and vanishes. Each
// case: the bad client sees what the same bytes sent straight to nginx show (an observed listener
// passes nginx's own answer; a request-balanced one answers 400/431 itself — docs/observability.md),
// the flow record and /metrics count it, and a good client on the same listener at the same time
// gets its file. A request-balanced http2 listener (Node's HTTP/2 server) meets garbage and a HEADERS
// block HPACK cannot decode with a GOAWAY of its own, as nginx does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import http2 from 'node:http2';
import path from 'node:path';
import { stopAll, tempDir, waitFor } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { which, type App } from '../helpers/apps.js';
import { linkedPair, applyDoc, listenerReady, run, startNginxServers, flows, metric, talk, undated, type Pair } from '../helpers/http-sites.js';
import { BAD_HPACK_CLIENT } from '../helpers/bad-servers.js';

const root = tempDir();
const ngx = path.join(root, 'nginx');
let ports: number[];
let sites: Pair;
let nginx: App | undefined;
const HAVE = which('nginx') !== undefined && which('curl') !== undefined;
// nginx's ports, then beta's listeners: web (observed), webr (request-balanced), h2 (observed), h2r (stream-balanced).
const P = { web: 3, h2: 4 };
const L = { web: 5, webr: 6, h2: 7, h2r: 8 };
// h2r's client idle timeout, which is what ends a session nghttp2 gave up on (client-idle.ts).
process.env.SVCNET_H2_CLIENT_IDLE_MS = '1000';
const BAD_HPACK = BAD_HPACK_CLIENT;
const FRAME_NAMES: Record<number, string> = { 4: 'SETTINGS', 8: 'WINDOW_UPDATE', 6: 'PING', 3: 'RST_STREAM' };
/** The frames of an HTTP/2 answer by type (SETTINGS ACKs included), a GOAWAY with its error code. */
function frameList(text: string): string[] {
  const b = Buffer.from(text, 'latin1');
  const out: string[] = [];
  for (let i = 0; i + 9 <= b.length; i += 9 + b.readUIntBE(i, 3)) {
    out.push(b[i + 3] === 7 ? `GOAWAY(${b.readUInt32BE(i + 13)})` : FRAME_NAMES[b[i + 3]] ?? `type${b[i + 3]}`);
  }
  return out;
}
const GARBAGE = '\x16\x03\x01\x02\x00 this is no HTTP request\r\n\r\n';
const BIG_HEAD = `GET /index.txt HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`;

/** A good HTTP/1.1 client: two GETs on one connection; both must be 200 with the file. */
const goodH1 = async (port: number) => {
  const out = await run('curl', ['-sS', '-w', '|%{http_code}\\n', `http://127.0.0.1:${port}/index.txt`, `http://127.0.0.1:${port}/index.txt`]);
  assert.is(out, 'good\n|200\ngood\n|200\n', `the good client on ${port}`);
};
/** A good h2c client: one GET over HTTP/2; must be 200 with the file. */
const goodH2 = async (port: number) => {
  const out = await run('curl', ['-sS', '--http2-prior-knowledge', '-w', '|%{http_version} %{http_code}', `http://127.0.0.1:${port}/index.txt`]);
  assert.is(out, 'good\n|2 200', `the good h2c client on ${port}`);
};

const fallbacks = (key: string, reason: string) => metric(sites.consolePort, 'svcnet_http_observer_fallbacks_total', { routing_key: key, reason });
/** Runs `bad` beside a good client; then waits for the fallback counter of (key, reason) to have grown by one. */
async function counted<T>(key: string, reason: string, bad: () => Promise<T>, good: () => Promise<void>): Promise<T> {
  const before = await fallbacks(key, reason);
  const [r] = await Promise.all([bad(), good()]);
  await waitFor(`${key}: one more ${reason} fallback`, async () => (await fallbacks(key, reason)) === before + 1);
  return r;
}

if (!HAVE) {
  test('bad clients (SKIPPED)', () => { console.log('  SKIP: nginx or curl not installed; .ci/run installs them'); });
} else {
  test.before(async () => {
    ports = await freePorts(9);
    sites = await linkedPair(root, ports);
    fs.mkdirSync(path.join(ngx, 'www'), { recursive: true });
    fs.writeFileSync(path.join(ngx, 'www', 'index.txt'), 'good\n');
    nginx = startNginxServers(ngx, [{ name: 'web', port: ports[P.web], root: path.join(ngx, 'www') }, { name: 'h2', port: ports[P.h2], root: path.join(ngx, 'www'), h2: true }]);
    await waitFor('nginx up', () => run('curl', ['-sf', `http://127.0.0.1:${ports[P.web]}/index.txt`]).then(() => true));
    for (const [key, port, type] of [['web', P.web, 'http1'], ['webr', P.web, 'http1'], ['h2', P.h2, 'http2'], ['h2r', P.h2, 'http2']] as const) {
      await applyDoc(sites.A, 'Connector', key, { routingKey: key, host: '127.0.0.1', port: ports[port], type });
    }
    await applyDoc(sites.B, 'Listener', 'web', { routingKey: 'web', host: '127.0.0.1', port: ports[L.web], type: 'http1' });
    await applyDoc(sites.B, 'Listener', 'webr', { routingKey: 'webr', host: '127.0.0.1', port: ports[L.webr], type: 'http1', balance: 'request' });
    await applyDoc(sites.B, 'Listener', 'h2', { routingKey: 'h2', host: '127.0.0.1', port: ports[L.h2], type: 'http2' });
    await applyDoc(sites.B, 'Listener', 'h2r', { routingKey: 'h2r', host: '127.0.0.1', port: ports[L.h2r], type: 'http2', balance: 'request' });
    for (const l of ['web', 'webr', 'h2', 'h2r']) await listenerReady(sites.B, l);
  });

  test.after(async () => {
    await stopAll();
    await nginx?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('garbage on an http1 listener: nginx\'s own 400 when observed, svcnet\'s 400 when request-balanced; counted; a good client unaffected', async () => {
    const direct = await talk(ports[P.web], GARBAGE);
    assert.match(direct.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const observed = await counted('web', 'malformed_request', () => talk(ports[L.web], GARBAGE), () => goodH1(ports[L.web]));
    assert.equal([undated(observed.text), observed.end], [undated(direct.text), direct.end], 'observed: byte for byte what nginx sent');
    const balanced = await counted('webr', 'malformed_request', () => talk(ports[L.webr], GARBAGE), () => goodH1(ports[L.webr]));
    assert.match(balanced.text, /^HTTP\/1\.1 400 Bad Request\r\n/, 'request mode: the same status, from svcnet (Node\'s parser)');
    assert.is(balanced.end, 'end');
  });

  test('garbage on an http2 listener: what nginx sends back passes unchanged; counted as h2_bad_preface; a good h2c client unaffected', async () => {
    const direct = await talk(ports[P.h2], GARBAGE);
    const through = await counted('h2', 'h2_bad_preface', () => talk(ports[L.h2], GARBAGE), () => goodH2(ports[L.h2]));
    assert.equal(through, direct);
  });

  test('garbage on a stream-balanced http2 listener: Node\'s GOAWAY where nginx sends its own, connection closed; counted h2_protocol_error; a good h2c client unaffected', async () => {
    const direct = await talk(ports[P.h2], GARBAGE);
    assert.equal([frameList(direct.text), direct.end], [['SETTINGS', 'WINDOW_UPDATE', 'GOAWAY(1)'], 'end'], 'nginx: PROTOCOL_ERROR');
    const balanced = await counted('h2r', 'h2_protocol_error', () => talk(ports[L.h2r], GARBAGE), () => goodH2(ports[L.h2r]));
    // Node destroys the session on the error it reports, which sends INTERNAL_ERROR.
    assert.equal([frameList(balanced.text), balanced.end], [['SETTINGS', 'WINDOW_UPDATE', 'GOAWAY(2)'], 'end'], 'request mode: Node\'s HTTP/2 end refuses it');
    await goodH2(ports[L.h2r]);
  });

  test('a HEADERS block HPACK cannot decode: GOAWAY (COMPRESSION_ERROR) directly, observed and stream-balanced; counted (h2_malformed_hpack, h2_connection_error); a good h2c client unaffected', async () => {
    const direct = await talk(ports[P.h2], BAD_HPACK);
    const goaway = `GOAWAY(${http2.constants.NGHTTP2_COMPRESSION_ERROR})`;
    assert.ok(frameList(direct.text).includes(goaway), frameList(direct.text).join(','));
    assert.is(direct.end, 'end');
    const observed = await counted('h2', 'h2_malformed_hpack', () => talk(ports[L.h2], BAD_HPACK), () => goodH2(ports[L.h2]));
    assert.equal(observed, direct, 'observed: nginx\'s bytes');
    // nghttp2 ends the session without a word to Node's JavaScript; the idle timeout finds and closes it.
    const balanced = await counted('h2r', 'h2_connection_error', () => talk(ports[L.h2r], BAD_HPACK), () => goodH2(ports[L.h2r]));
    assert.ok(frameList(balanced.text).includes(goaway), frameList(balanced.text).join(','));
    assert.is(balanced.end, 'end');
    await goodH2(ports[L.h2r]);
  });

  test('a request head over 64 KiB: nginx\'s 400 passes when observed (head_too_large), svcnet answers 431 when request-balanced', async () => {
    const direct = await talk(ports[P.web], BIG_HEAD);
    assert.match(direct.text, /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*Request Header Or Cookie Too Large/);
    const observed = await counted('web', 'head_too_large', () => talk(ports[L.web], BIG_HEAD), () => goodH1(ports[L.web]));
    assert.is(undated(observed.text), undated(direct.text));
    const balanced = await counted('webr', 'head_too_large', () => talk(ports[L.webr], BIG_HEAD), () => goodH1(ports[L.webr]));
    assert.match(balanced.text, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });

  test('half a request head, then the client vanishes (a reset): nothing reaches it either way; counted (request_cut_short observed, malformed_request balanced)', async () => {
    const HALF = 'GET /index.txt HTTP/1.1\r\nHost: x\r\nAcc';
    const vanish = (port: number) => new Promise<number>((resolve) => {
      let got = 0;
      const c = net.connect({ port, host: '127.0.0.1' }, () => c.write(HALF, () => { c.resetAndDestroy(); resolve(got); }));
      c.on('data', (d) => { got += d.length; });
      c.on('error', () => resolve(got));
    });
    assert.is(await vanish(ports[P.web]), 0, 'direct: nginx had nothing to say to half a head');
    const seen0 = new Set((await flows(sites.B, '--routing-key', 'web')).map((f) => f.id));
    assert.is(await counted('web', 'request_cut_short', () => vanish(ports[L.web]), () => goodH1(ports[L.web])), 0);
    // Half a head is no request: the record lists none, names the cut and keeps the bytes that came.
    const rec = await waitFor('the vanished flow', async () => (await flows(sites.B, '--routing-key', 'web')).find((f) => !seen0.has(f.id) && f.httpError === 'request_cut_short'));
    assert.equal([rec.requestCount, rec.bytesToServer], [0, HALF.length]);
    assert.is(await counted('webr', 'malformed_request', () => vanish(ports[L.webr]), () => goodH1(ports[L.webr])), 0);
  });
}

test.run();
