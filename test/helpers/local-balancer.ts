// The in-process fixture of the request-balancing unit tests (http1-balance-proxy, http2-balance-proxy):
// a balancer of routing key `k` whose "connectors" are local servers named by port (no sites), fed by a
// front server that hands it each client connection, with the requests and fallbacks it reports.
import net from 'node:net';
import pino from 'pino';
import type { Upstreams } from '../../dataplane/http-balance/upstreams.js';
import type { BalanceTarget } from '../../dataplane/http-balance/target-choice.js';
import type { BalancerDeps } from '../../dataplane/http-balance/request-balancer.js';
import type { ListenerBalancer } from '../../dataplane/http-balance/listener-balancer.js';
import type { RouteTable } from '../../dataplane/routing/route-table.js';
import type { ListenerSpec } from '../../dataplane/port/push.js';
import type { HttpRequest } from '../../dataplane/port/report.js';

export const listen = (s: net.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));

/** A balancer of `type` made by `make`; `ports[name]` says where connector `name`'s server is. `close` closes the front only. */
export async function localBalancer<B extends ListenerBalancer>(type: 'http1' | 'http2', ports: Record<string, number>, make: (spec: ListenerSpec, deps: BalancerDeps) => B) {
  const upstreams = {
    localConnectors: () => Object.keys(ports),
    connect: (t: BalanceTarget) => net.connect({ host: '127.0.0.1', port: ports[(t as { connector: string }).connector] }),
  } as unknown as Upstreams;
  const routes: RouteTable = { self: 'self', version: 1, paths: new Map(), keys: new Map([['k', [{ site: 'self', siteName: 'here', cost: 0, nextHop: 'self' }]]]) };
  const b = make({ name: 'l', routingKey: 'k', host: '127.0.0.1', port: 0, type, balance: 'request' }, { siteId: 'self', routes: () => routes, reachable: () => true, upstreams, log: pino({ level: 'silent' }) });
  const seen: HttpRequest[] = [];
  const malformed: string[] = [];
  const front = net.createServer({ allowHalfOpen: true }, (c) => b.accept(c, { request: (q) => seen.push(q), malformed: (why) => malformed.push(why) }));
  const port = await listen(front);
  return { b, port, seen, malformed, close: () => front.close() };
}
