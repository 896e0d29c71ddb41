// Real HTTP/1.1 conversations for the observer's tests (issue 13), recorded once by running
// `node dist/test/helpers/http1-captures.js --write` (needs nginx and curl): curl and raw clients
// against Debian's nginx and a Node http server, through a recording proxy that keeps each
// connection's bytes in the order they passed. Stored in test/fixtures/http1-captures.json.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startNginx } from './apps.js';
import { freePorts } from './ports.js';

/** One connection: its chunks in passing order (0: client → server, 1: server → client), base64. */
export interface Capture { name: string; events: [0 | 1, string][]; expect: { method: string; segment: string; status: number }[] }

export const CAPTURES_FILE = fileURLToPath(new URL('../../../test/fixtures/http1-captures.json', import.meta.url));

/** The stored captures with their bytes decoded. */
export function loadCaptures(): { name: string; events: [0 | 1, Buffer][]; expect: Capture['expect'] }[] {
  const all = JSON.parse(fs.readFileSync(CAPTURES_FILE, 'utf8')) as Capture[];
  return all.map((c) => ({ ...c, events: c.events.map(([d, b]) => [d, Buffer.from(b, 'base64')] as [0 | 1, Buffer]) }));
}

/** A proxy on `port` to `target` that records every connection. */
function recorder(port: number, target: number, sink: [0 | 1, Buffer][][]): Promise<net.Server> {
  const srv = net.createServer((c) => {
    const events: [0 | 1, Buffer][] = [];
    sink.push(events);
    const s = net.connect(target, '127.0.0.1');
    c.on('data', (b) => { events.push([0, Buffer.from(b)]); s.write(b); });
    s.on('data', (b) => { events.push([1, Buffer.from(b)]); c.write(b); });
    c.on('end', () => s.end());
    s.on('end', () => c.end());
    c.on('error', () => s.destroy());
    s.on('error', () => c.destroy());
  });
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

/** Runs curl; its exit status does not matter (the recording is the point). */
const curl = (args: string[]) => new Promise<void>((resolve) => execFile('curl', ['-s', '-o', '/dev/null', ...args], () => resolve()));

/** Sends `parts` on one raw connection, one write each after `gapMs`, and waits for the server to close or for `waitMs`. */
function raw(port: number, parts: (string | Buffer)[], waitMs = 300, gapMs = 100): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let i = 0;
    const next = (): void => { if (i < parts.length) { s.write(parts[i++]); setTimeout(next, gapMs); } };
    s.on('connect', next);
    s.on('data', () => {});
    const done = (): void => { clearTimeout(t); s.destroy(); resolve(); };
    const t = setTimeout(done, waitMs + gapMs * parts.length);
    s.on('close', done);
    s.on('error', done);
  });
}

async function record(): Promise<Capture[]> {
  const [ngx, ngx2, node, pNgx, pNode] = await freePorts(5);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-h1cap-'));
  const www = path.join(dir, 'www');
  fs.mkdirSync(path.join(www, 'static'), { recursive: true });
  fs.writeFileSync(path.join(www, 'index.html'), '<h1>hello</h1>\n');
  fs.writeFileSync(path.join(www, 'static', 'app.js'), 'console.log(1);\n'.repeat(40));
  // nginx answers 304 only to the exact Last-Modified date.
  fs.utimesSync(path.join(www, 'index.html'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
  const app = startNginx(ngx, ngx2, dir, www);
  const server = http.createServer((req, res) => {
    if (req.url === '/empty') { res.writeHead(204); res.end(); return; }
    if (req.url?.startsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-sum' });
      res.write('first chunk\n'); res.write('second\n');
      res.addTrailers({ 'x-sum': '42' });
      res.end('last\n');
      return;
    }
    let n = 0;
    req.on('data', (b: Buffer) => { n += b.length; });
    req.on('end', () => { res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'text/plain' }); res.end(`got ${n}\n`); });
  });
  server.on('upgrade', (req, sock) => {
    sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    sock.on('data', (b) => sock.write(b));
  });
  server.on('connect', (req, sock) => {
    sock.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    sock.on('data', (b) => sock.write(b));
  });
  await new Promise<void>((r) => server.listen(node, '127.0.0.1', () => r()));
  await new Promise((r) => setTimeout(r, 500));
  const out: Capture[] = [];
  const cases: [string, number, () => Promise<void>, Capture['expect']][] = [
    ['curl keep-alive GETs to nginx (200, 404)', pNgx, () => curl([`http://127.0.0.1:${pNgx}/index.html`, `http://127.0.0.1:${pNgx}/static/app.js`, `http://127.0.0.1:${pNgx}/missing/x`]),
      [{ method: 'GET', segment: 'index.html', status: 200 }, { method: 'GET', segment: 'static', status: 200 }, { method: 'GET', segment: 'missing', status: 404 }]],
    ['curl HEAD to nginx', pNgx, () => curl(['-I', `http://127.0.0.1:${pNgx}/static/app.js`]), [{ method: 'HEAD', segment: 'static', status: 200 }]],
    ['curl If-Modified-Since to nginx (304)', pNgx, () => curl(['-H', 'If-Modified-Since: Wed, 01 Jan 2020 00:00:00 GMT', `http://127.0.0.1:${pNgx}/index.html`]), [{ method: 'GET', segment: 'index.html', status: 304 }]],
    ['curl HTTP/1.0 to nginx', pNgx, () => curl(['-0', `http://127.0.0.1:${pNgx}/index.html`]), [{ method: 'GET', segment: 'index.html', status: 200 }]],
    ['curl Connection: close to nginx', pNgx, () => curl(['-H', 'Connection: close', `http://127.0.0.1:${pNgx}/index.html`]), [{ method: 'GET', segment: 'index.html', status: 200 }]],
    ['pipelined GETs to nginx', pNgx, () => raw(pNgx, [`GET /index.html HTTP/1.1\r\nHost: x\r\n\r\nGET /static/app.js HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]),
      [{ method: 'GET', segment: 'index.html', status: 200 }, { method: 'GET', segment: 'static', status: 200 }, { method: 'GET', segment: 'nope', status: 404 }]],
    ['garbage to nginx (400)', pNgx, () => raw(pNgx, ['\x16\x03\x01 this is not http\r\n\r\n']), []],
    ['curl POST with a body to node', pNode, () => curl(['--data-binary', 'x'.repeat(3000), `http://127.0.0.1:${pNode}/api/items?x=1`]), [{ method: 'POST', segment: 'api', status: 201 }]],
    ['curl chunked POST with Expect: 100-continue to node', pNode, () => curl(['-H', 'Transfer-Encoding: chunked', '-H', 'Expect: 100-continue', '--data-binary', 'y'.repeat(5000), `http://127.0.0.1:${pNode}/upload`]), [{ method: 'POST', segment: 'upload', status: 201 }]],
    ['curl chunked response with trailers from node', pNode, () => curl([`http://127.0.0.1:${pNode}/stream/a`, `http://127.0.0.1:${pNode}/empty`]), [{ method: 'GET', segment: 'stream', status: 200 }, { method: 'GET', segment: 'empty', status: 204 }]],
    ['curl CONNECT tunnel through node', pNode, () => curl(['-p', '-x', `http://127.0.0.1:${pNode}`, '--max-time', '1', 'http://tunnelled.example:80/inside']), [{ method: 'CONNECT', segment: '', status: 200 }]],
    ['websocket-style upgrade to node', pNode, () => raw(pNode, ['GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', 'raw bytes after the upgrade GET / HTTP/1.1\r\n\r\n']), [{ method: 'GET', segment: 'chat', status: 101 }]],
    ['declined upgrade then keep-alive to nginx', pNgx, () => raw(pNgx, ['GET /index.html HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n', 'GET /static/app.js HTTP/1.1\r\nHost: x\r\n\r\n']),
      [{ method: 'GET', segment: 'index.html', status: 200 }, { method: 'GET', segment: 'static', status: 200 }]],
  ];
  try {
  for (const [name, port, run, expect] of cases) {
    const conns: [0 | 1, Buffer][][] = [];
    const srv = await recorder(port, port === pNgx ? ngx : node, conns);
    await run();
    await new Promise((r) => setTimeout(r, 200));
    srv.close();
    for (const events of conns) out.push({ name, events: events.map(([d, b]) => [d, b.toString('base64')]), expect });
  }
  } finally {
    server.close();
    app.stop();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

if (process.argv.includes('--write')) {
  const caps = await record();
  fs.writeFileSync(CAPTURES_FILE, JSON.stringify(caps, null, 1) + '\n');
  console.log(`${caps.length} captures written to ${CAPTURES_FILE}`);
  process.exit(0);
}
