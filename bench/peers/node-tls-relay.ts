// A naive Node TLS relay, one side of a pair (config: bench/peers/node-tls-*.json). The client side
// accepts plain TCP and opens one mutual-TLS connection per flow; the server side terminates it.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

interface Config { side: 'client' | 'server'; listen: number; connect: number; ca: string; cert: string; key: string }
const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as Config;
const creds = { ca: fs.readFileSync(cfg.ca), cert: fs.readFileSync(cfg.cert), key: fs.readFileSync(cfg.key), minVersion: 'TLSv1.3' as const };

function join(a: net.Socket, b: net.Socket): void {
  a.setNoDelay(true);
  b.setNoDelay(true);
  a.pipe(b).pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
}

const server = cfg.side === 'client'
  ? net.createServer((s) => join(s, tls.connect({ ...creds, port: cfg.connect, host: '127.0.0.1', servername: 'localhost' })))
  : tls.createServer({ ...creds, requestCert: true, rejectUnauthorized: true }, (s) => join(s, net.connect({ port: cfg.connect, host: '127.0.0.1' })));
server.on('tlsClientError', () => undefined);
server.listen(cfg.listen, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
