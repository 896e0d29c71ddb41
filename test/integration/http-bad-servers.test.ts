// Issue 13, "bad input" from servers, through real sites: an HTTP/1.1 server whose answer has an
// invalid status line, and an h2c server whose HEADERS block HPACK cannot decode (tiny raw servers,
// test/helpers/bad-servers.ts), met by raw sockets and curl. The client sees what a direct connection shows (an observed listener
// passes the bytes; a request-balanced one answers 502 itself), the error is counted, and a good
// client of the same listener and server at the same time gets its answer. A stream-balanced http2
// listener shares one upstream connection among its clients' streams: a server's broken HPACK block
// ends that connection, so its stream gets svcnet's 502, and the next client's stream a new one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import type net from 'node:net';
import { stopAll, tempDir, waitFor } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { linkedPair, applyDoc, listenerReady, flows, metric, talk, type Pair } from '../helpers/http-sites.js';
import { badStatusServer, badHpackServer, BAD_HPACK_MARK } from '../helpers/bad-servers.js';

const root = tempDir();
let ports: number[];
let sites: Pair;
const servers: net.Server[] = [];
// The raw servers' ports, then beta's listeners: bs (observed), bsr (request-balanced), bh (observed h2c), bhr (stream-balanced h2c).
const P = { bs: 3, bh: 4 };
const L = { bs: 5, bsr: 6, bh: 7, bhr: 8 };
const BAD_GET = 'GET /bad HTTP/1.1\r\nHost: x\r\n\r\n';
const GOOD_GET = 'GET /good HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

const fallbacks = (key: string, reason: string) => metric(sites.consolePort, 'svcnet_http_observer_fallbacks_total', { routing_key: key, reason });
const requests = (key: string, cls: string) => metric(sites.consolePort, 'svcnet_http_requests_total', { routing_key: key, status_class: cls });

/** curl's GET over h2c (prior knowledge) on a new connection, with a long header when `marked` (the server's cue): "exit code|status|error line". */
function h2curl(port: number, marked: boolean): Promise<string> {
  const pad = marked ? ['-H', `x-pad: ${'a'.repeat(2 * BAD_HPACK_MARK)}`] : [];
  return new Promise((resolve) => execFile('curl', ['-sS', '--http2-prior-knowledge', ...pad, '-w', '%{http_code}', `http://127.0.0.1:${port}/x`], { timeout: 30_000 }, (e, out, err) =>
    resolve(`${e ? (e as { code?: number }).code : 0}|${out}|${err.trim()}`)));
}

test.before(async () => {
  ports = await freePorts(9);
  sites = await linkedPair(root, ports);
  servers.push(await badStatusServer(ports[P.bs]), await badHpackServer(ports[P.bh]));
  await applyDoc(sites.A, 'Connector', 'bs', { routingKey: 'bs', host: '127.0.0.1', port: ports[P.bs], type: 'http1' });
  await applyDoc(sites.A, 'Connector', 'bsr', { routingKey: 'bsr', host: '127.0.0.1', port: ports[P.bs], type: 'http1' });
  await applyDoc(sites.A, 'Connector', 'bh', { routingKey: 'bh', host: '127.0.0.1', port: ports[P.bh], type: 'http2' });
  await applyDoc(sites.A, 'Connector', 'bhr', { routingKey: 'bhr', host: '127.0.0.1', port: ports[P.bh], type: 'http2' });
  await applyDoc(sites.B, 'Listener', 'bs', { routingKey: 'bs', host: '127.0.0.1', port: ports[L.bs], type: 'http1' });
  await applyDoc(sites.B, 'Listener', 'bsr', { routingKey: 'bsr', host: '127.0.0.1', port: ports[L.bsr], type: 'http1', balance: 'request' });
  await applyDoc(sites.B, 'Listener', 'bh', { routingKey: 'bh', host: '127.0.0.1', port: ports[L.bh], type: 'http2' });
  await applyDoc(sites.B, 'Listener', 'bhr', { routingKey: 'bhr', host: '127.0.0.1', port: ports[L.bhr], type: 'http2', balance: 'request' });
  for (const l of ['bs', 'bsr', 'bh', 'bhr']) await listenerReady(sites.B, l);
});

test.after(async () => {
  await stopAll();
  for (const s of servers) s.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('an invalid status line, observed: the client gets the server\'s bytes as sent; malformed_response counted; a good client beside it gets 200', async () => {
  const direct = await talk(ports[P.bs], BAD_GET);
  assert.is(direct.text, 'HTTP/1.1 2x0 Oops\r\nContent-Length: 3\r\n\r\nno\n');
  const f0 = await fallbacks('bs', 'malformed_response');
  const [through, good] = await Promise.all([talk(ports[L.bs], BAD_GET), talk(ports[L.bs], GOOD_GET)]);
  assert.equal(through, direct);
  assert.is(good.text, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\ngood\n');
  await waitFor('malformed_response counted', async () => (await fallbacks('bs', 'malformed_response')) === f0 + 1);
  const rec = await waitFor('the record', async () => (await flows(sites.B, '--routing-key', 'bs', '--recent')).find((f) => f.httpError === 'malformed_response'));
  assert.is(rec.requestCount, 0, 'no request is listed with a status nobody can read');
});

test('an invalid status line, request-balanced: svcnet answers 502 (counted 5xx); a good request beside it gets the server\'s 200', async () => {
  const e0 = await requests('bsr', '5xx');
  const [bad, good] = await Promise.all([talk(ports[L.bsr], BAD_GET), talk(ports[L.bsr], GOOD_GET)]);
  assert.match(bad.text, /^HTTP\/1\.1 502 Bad Gateway\r\n[\s\S]*svcnet: (upstream failed|every target failed)/);
  assert.match(good.text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\ngood\n$/);
  await waitFor('the 502 counted', async () => (await requests('bsr', '5xx')) === e0 + 1);
});

test('a broken HPACK block from the server: the client sees the same error as directly; h2_malformed_hpack counted; a good h2c client beside it gets 200', async () => {
  // curl (nghttp2) refuses the block with a GOAWAY (COMPRESSION_ERROR); the server then closes.
  const direct = await h2curl(ports[P.bh], true);
  assert.match(direct, /^52\|000\|curl: \(52\) Empty reply from server$/, direct);
  assert.is(await h2curl(ports[P.bh], false), '0|200|');
  const f0 = await fallbacks('bh', 'h2_malformed_hpack');
  const [through, good] = await Promise.all([h2curl(ports[L.bh], true), h2curl(ports[L.bh], false)]);
  assert.is(through, direct);
  assert.is(good, '0|200|');
  await waitFor('h2_malformed_hpack counted', async () => (await fallbacks('bh', 'h2_malformed_hpack')) === f0 + 1);
});

test('a broken HPACK block from the server, stream-balanced: svcnet answers 502 (counted 5xx) instead of waiting on the dead upstream connection; good clients before and after get 200', async () => {
  const e0 = await requests('bhr', '5xx');
  assert.is(await h2curl(ports[L.bhr], false), '0|200|', 'before');
  // The upstream session nghttp2 ended is found after two quiet spells (UPSTREAM_QUIET_MS, 2 s each).
  assert.match(await h2curl(ports[L.bhr], true), /^0\|svcnet: upstream failed: the upstream HTTP\/2 session was ended by a connection error [^\n]*\n502\|$/);
  await waitFor('the 502 counted', async () => (await requests('bhr', '5xx')) === e0 + 1);
  assert.is(await h2curl(ports[L.bhr], false), '0|200|', 'after: a new upstream connection');
});

test.run();
