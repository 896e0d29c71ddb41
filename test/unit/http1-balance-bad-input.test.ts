// Issue 13, the request-balanced listener's proxy in process against bad input that the integration
// tests (http-bad-clients, http-bad-servers) meet through real sites: a client that half-closes after
// its request still gets its answer (as from a direct server); a server's invalid status line is
// answered 502 while a request beside it gets the server's 200; half a head, then the client's end
// or reset, is counted malformed and reaches no server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import pino from 'pino';
import { RequestBalancer } from '../../dataplane/http-balance/request-balancer.js';
import type { Upstreams } from '../../dataplane/http-balance/upstreams.js';
import type { RouteTable } from '../../dataplane/routing/route-table.js';
import type { HttpRequest } from '../../dataplane/port/report.js';
import { badStatusServer } from '../helpers/bad-servers.js';
import { talk } from '../helpers/http-sites.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/cli.js';

const listen = (s: net.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));

/** A balancer whose one local target is the server on `serverPort`, fronted by a half-open-capable listener. */
async function balancer(serverPort: number) {
  const upstreams = { localConnectors: () => ['a'], connect: () => net.connect({ host: '127.0.0.1', port: serverPort }) } as unknown as Upstreams;
  const routes: RouteTable = { self: 'self', version: 1, paths: new Map(), keys: new Map([['k', [{ site: 'self', siteName: 'here', cost: 0, nextHop: 'self' }]]]) };
  const b = new RequestBalancer({ name: 'l', routingKey: 'k', host: '127.0.0.1', port: 0, type: 'http1', balance: 'request' }, { siteId: 'self', routes: () => routes, reachable: () => true, upstreams, log: pino({ level: 'silent' }) });
  const seen: HttpRequest[] = [];
  const malformed: string[] = [];
  let accepted = 0;
  const front = net.createServer({ allowHalfOpen: true }, (c) => { accepted++; b.accept(c, { request: (q) => seen.push(q), malformed: (why) => malformed.push(why) }); });
  const port = await listen(front);
  return { port, seen, malformed, accepted: () => accepted, close: () => { b.close(); front.close(); } };
}

test('a client that half-closes after its request gets the answer, then the end (not an aborted answer)', async () => {
  const srv = await badStatusServer(await freePort());
  const p = await balancer((srv.address() as net.AddressInfo).port);
  const r = await talk(p.port, 'GET /good HTTP/1.1\r\nHost: x\r\n\r\nGET /good2 HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.is(r.end, 'end');
  assert.is((r.text.match(/HTTP\/1\.1 200 OK\r\n/g) ?? []).length, 2, r.text);
  assert.ok(r.text.endsWith('\r\n\r\ngood\n'));
  assert.equal(p.seen.map((q) => q.status), [200, 200]);
  p.close(); srv.close();
});

test('an invalid status line from the server: 502 from svcnet, counted 502; a request beside it gets the server\'s 200', async () => {
  const srv = await badStatusServer(await freePort());
  const p = await balancer((srv.address() as net.AddressInfo).port);
  const [bad, good] = await Promise.all([talk(p.port, 'GET /bad HTTP/1.1\r\nHost: x\r\n\r\n'), talk(p.port, 'GET /good HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]);
  assert.match(bad.text, /^HTTP\/1\.1 502 Bad Gateway\r\n[\s\S]*\r\n\r\nsvcnet: (upstream failed|every target failed)/);
  assert.match(good.text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\ngood\n$/);
  assert.equal(p.seen.map((q) => q.status).sort(), [200, 502]);
  p.close(); srv.close();
});

test('half a head, then the client ends or resets: counted malformed each time; nothing reaches the server', async () => {
  let reached = 0;
  const srv = net.createServer((c) => { reached++; c.destroy(); });
  const p = await balancer(await listen(srv));
  for (const reset of [false, true]) {
    await new Promise<void>((resolve) => {
      const c = net.connect({ port: p.port, host: '127.0.0.1' }, () => c.write('GET /x HTTP/1.1\r\nHost: x\r\nAcc', () => { if (reset) c.resetAndDestroy(); else c.end(); }));
      c.resume(); // read the 400 and the end, or the close never comes
      c.on('error', () => {});
      c.on('close', () => resolve());
    });
  }
  // The balancer may see an end after the client's close: polled until both are counted (bounded).
  await waitFor('both counted', () => p.malformed.length >= 2);
  assert.equal(p.malformed, ['malformed_request', 'malformed_request']);
  assert.is(reached, 0);
  assert.equal(p.seen, []);
  p.close(); srv.close();
});

test.run();
