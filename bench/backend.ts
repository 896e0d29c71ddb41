// The server behind every setup, run as its own process: one TCP port that dispatches on the first
// bytes of a connection. "S": stream bytes until the client leaves (bounded per flow); an HTTP
// method: a node:http server with 1 KiB and 64 KiB bodies; anything else: echo.
import net from 'node:net';
import http from 'node:http';
import { randomBytes } from 'node:crypto';

/** Upper bound of bytes streamed on one flow (the client stops long before, by time). */
const MAX_FLOW_BYTES = 32 * 2 ** 30;
const BLOCK = randomBytes(256 * 1024);
const BODIES: Record<string, Buffer> = { '/1k': randomBytes(1024), '/64k': randomBytes(64 * 1024) };

const httpServer = http.createServer((req, res) => {
  const body = BODIES[req.url ?? ''] ?? BODIES['/1k'];
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
  res.end(body);
});
httpServer.keepAliveTimeout = 120_000;

function stream(s: net.Socket): void {
  let sent = 0;
  const pump = () => {
    while (sent < MAX_FLOW_BYTES && !s.destroyed) {
      sent += BLOCK.length;
      if (!s.write(BLOCK)) { s.once('drain', pump); return; }
    }
    s.end();
  };
  pump();
}

const HTTP_METHOD = /^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH) /;

const server = net.createServer({ noDelay: true }, (s) => {
  s.on('error', () => s.destroy());
  s.once('data', (first) => {
    if (first[0] === 0x53) { s.on('data', () => undefined); stream(s); return; }
    if (HTTP_METHOD.test(first.subarray(0, 8).toString('latin1'))) {
      s.pause();
      s.unshift(first);
      httpServer.emit('connection', s);
      s.resume();
      return;
    }
    s.write(first);
    s.pipe(s);
  });
});
server.maxConnections = 100_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as net.AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
