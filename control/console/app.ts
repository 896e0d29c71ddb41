// The console: a hono app (built here, bound by the site runtime) with a live page of the whole
// network, a JSON status API and Prometheus /metrics.
import { Hono } from 'hono';
import type { RuntimeStatus } from '../state/site-store.js';
import { CONSOLE_PAGE } from './page.js';

export interface ConsoleDeps {
  status(): RuntimeStatus;
  metrics(): string;
}

export function createConsoleApp(deps: ConsoleDeps): Hono {
  const app = new Hono();
  app.get('/', (c) => c.html(CONSOLE_PAGE));
  app.get('/api/status', (c) => c.json(deps.status()));
  app.get('/metrics', (c) => c.text(deps.metrics(), 200, { 'content-type': 'text/plain; version=0.0.4' }));
  app.get('/healthz', (c) => c.text('ok'));
  return app;
}
