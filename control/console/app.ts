// The console: a hono app (built here, bound by the site runtime) with a live page of the whole
// network, a JSON API (status, flow records), live status by server-sent events and Prometheus /metrics.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { StatusEvents } from './status-events.js';
import type { RuntimeStatus } from '../state/site-store.js';
import type { FlowQuery, FlowRecord } from '../../dataplane/port/report.js';
import { CONSOLE_PAGE, CONSOLE_SCRIPT } from './page.js';
import { hostAllowed } from './host-check.js';
import { FAVICON } from './favicon.js';
import { flowQuery, flowMessage } from '../api/flows.js';
import { ApiError } from '../api/errors.js';
import { addLogin } from './login.js';
import type { ConsoleAuth } from './console-auth.js';
import { STALE_INTERVALS, type NetworkTraffic } from './traffic-view.js';
import type { ServiceHistory } from './service-history.js';
import { siteView } from './site-view.js';
import { addBenchRoute, type ConsoleBench } from './bench-route.js';

export interface ConsoleDeps {
  /** may wait for the data-plane engine's fresh status (a scrape then sees the counters as of now) */
  status(): RuntimeStatus | Promise<RuntimeStatus>;
  metrics(): string | Promise<string>;
  /** the engine's flow records that match (control/flows/flow-queries.ts) */
  flows?(q: FlowQuery): Promise<FlowRecord[]>;
  /** the port the console is bound to: only requests naming it (on a loopback name or `host`) are served */
  port: number;
  /** the address the console is bound to, when not loopback */
  host?: string;
  /** live status for /api/events (control/console/status-events.ts); without it the page polls */
  events?: StatusEvents;
  /** a console bound beyond loopback asks for a login (control/console/login.ts) */
  auth?: ConsoleAuth;
  /** the whole network's traffic summaries (control/console/traffic-view.ts, issue 12) */
  traffic?(): NetworkTraffic;
  /** each service's last 15 minutes across the network (control/console/service-history.ts) */
  history?: Pick<ServiceHistory, 'keys' | 'series'>;
  /** `traffic` events on the same stream as `status`, when the summaries change */
  trafficEvents?: StatusEvents;
  /** runs a bench from this site for the page's Measure button (bench-route.ts, issue 14) */
  bench?: ConsoleBench;
}

// The page loads only its own script and data; nothing inline runs, nothing frames it.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export function createConsoleApp(deps: ConsoleDeps): Hono {
  const app = new Hono();
  // DNS rebinding (issue 10 #12): a page of evil.example whose name now resolves to 127.0.0.1 would
  // reach the console as same-origin; its requests still say Host: evil.example, so they are refused.
  // With a login the Host check is moot (and a name of the host cannot be known in advance): a
  // rebound page is another origin, so it gets no session cookie, and TLS fails on its name.
  app.use('*', async (c, next) => {
    if (!deps.auth && !hostAllowed(c.req.header('host'), deps.port, deps.host)) {
      return c.text('forbidden: the Host header does not name this console (DNS rebinding protection); use http://127.0.0.1:PORT/ or http://localhost:PORT/\n', 403);
    }
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!c.res.headers.has(k)) c.res.headers.set(k, v);
  });
  if (deps.auth) addLogin(app, deps.auth);
  addBenchRoute(app, deps.bench);
  app.get('/', (c) => c.html(CONSOLE_PAGE));
  app.get('/console.js', (c) => c.body(CONSOLE_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/favicon.ico', (c) => c.body(new Uint8Array(FAVICON), 200, { 'content-type': 'image/x-icon', 'cache-control': 'max-age=86400' }));
  app.get('/api/status', async (c) => c.json({ ...await deps.status(), console: { eventStreams: deps.events?.clients ?? 0 } }));
  // Server-sent events: `status` (the RuntimeStatus JSON) on every change, coalesced; a bounded
  // number of streams, so a crowd of tabs or scripts cannot hold the site's memory (503, then the page polls).
  app.get('/api/events', (c) => {
    const events = deps.events;
    if (!events) return c.json({ error: 'this console has no event stream' }, 404);
    if (events.full) return c.text('too many event streams; retry later or poll /api/status\n', 503, { 'retry-after': '30' });
    return streamSSE(c, (stream) => new Promise<void>((done) => {
      const client = {
        send: (event: string, data: string) => stream.writeSSE({ event, data }),
        comment: (text: string) => stream.write(`: ${text}\n\n`),
        close: () => done(),
      };
      const remove = events.add(client);
      // Traffic events share the stream (its heartbeat is the status events' own).
      const removeTraffic = deps.trafficEvents?.add({ ...client, comment: async () => {} });
      // A closed tab or a dropped connection cancels the response: forget the stream at once.
      stream.onAbort(() => { remove?.(); removeTraffic?.(); done(); });
    }));
  });
  // The flow records as ListFlows gives them (control/api/flows.ts): ?key=&site=&outcome=&state=&limit=
  app.get('/api/flows', async (c) => {
    let q;
    try {
      const limit = c.req.query('limit');
      q = flowQuery({ routingKey: c.req.query('key'), site: c.req.query('site'), outcome: c.req.query('outcome'), state: c.req.query('state'), limit: limit === undefined ? undefined : Number(limit) || undefined });
    } catch (err) {
      if (err instanceof ApiError) return c.json({ error: err.message, field: err.field }, 400);
      throw err;
    }
    return c.json({ flows: deps.flows ? (await deps.flows(q)).map(flowMessage) : [] });
  });
  // The whole network's traffic: per site (stale when unreachable or silent), per key, per link.
  app.get('/api/traffic', (c) => c.json(deps.traffic?.() ?? { at: new Date().toISOString(), staleIntervals: STALE_INTERVALS, sites: [], services: [] }));
  // One site's page (site-view.ts): its links, listeners and connectors, traffic per key and per peer.
  app.get('/api/sites/:name', async (c) => {
    const name = c.req.param('name');
    if (name.length > 253) return c.json({ error: 'name: at most 253 characters' }, 400);
    const v = siteView(await deps.status(), deps.traffic?.(), name);
    return v ? c.json(v) : c.json({ error: `no site named ${JSON.stringify(name)} in the network` }, 404);
  });
  // The charts' data: /api/history lists the keys with a history, /api/history?key=K one key's last 15 minutes.
  app.get('/api/history', (c) => {
    const key = c.req.query('key');
    if (key === undefined) return c.json({ keys: deps.history?.keys() ?? [] });
    if (key.length > 253) return c.json({ error: 'key: at most 253 characters' }, 400);
    return c.json(deps.history?.series(key) ?? { key, windowMs: 0, points: [] });
  });
  app.get('/metrics', async (c) => c.text(await deps.metrics(), 200, { 'content-type': 'text/plain; version=0.0.4' }));
  app.get('/healthz', (c) => c.text('ok'));
  return app;
}
