// An Upgrade (WebSocket) or CONNECT request of a request-balanced listener (issue 13): its client
// connection is pinned to one target on a connection of its own (never pooled) and, from the request
// head on, carried as raw bytes both ways, so the server's answer (101 or not) and everything after
// it pass unchanged. The head is written again from Node's parse: names, values and order as sent.
import type net from 'node:net';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { requestHead } from './hop-headers.js';
import type { HttpRequest } from '../port/report.js';

/** Joins `client` (its request parsed, `head` the bytes after it) to `upstream`; `ended` once, at the end. */
export function tunnel(req: http.IncomingMessage, client: net.Socket, head: Buffer, upstream: Duplex, ended: (q: Omit<HttpRequest, 'target'>, failed: boolean) => void): void {
  const t0 = performance.now();
  let status = 0;
  let toServer = head.length;
  let toClient = 0;
  let over = false;
  const end = (failed: boolean): void => {
    if (over) return;
    over = true;
    const url = req.url ?? '';
    ended({ method: req.method ?? 'OTHER', path: (url.startsWith('/') ? url.slice(1).split(/[/?#]/, 1)[0] : '').slice(0, 64), status, bytesToServer: toServer, bytesToClient: toClient, durationMs: performance.now() - t0 }, failed);
  };
  upstream.write(requestHead(req.method ?? 'GET', req.url ?? '/', req.httpVersion, req.rawHeaders));
  if (head.length > 0) upstream.write(head);
  upstream.on('data', (c: Buffer) => {
    // The status of the server's first answer line, for the record ("HTTP/1.1 101 …").
    if (toClient === 0 && c.length >= 12) status = Number(c.subarray(9, 12).toString('latin1')) || 0;
    toClient += c.length;
  });
  client.on('data', (c: Buffer) => { toServer += c.length; });
  client.pipe(upstream);
  upstream.pipe(client);
  const fail = (): void => { client.destroy(); upstream.destroy(); end(true); };
  client.on('error', fail);
  upstream.on('error', fail);
  client.on('close', () => { upstream.destroy(); end(false); });
  upstream.on('close', () => { if (!client.destroyed) client.end(); end(false); });
}
