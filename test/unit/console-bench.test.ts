// Issue 14 item 2: the console's POST /api/bench (control/console/bench-route.ts) over fake site
// hooks, in process: progress and the result as server-sent events, a second run refused while one
// runs, bad bodies refused with the field, cross-origin and non-JSON posts refused, closing the
// response cancels the run, the Host check and the login gate apply, and GET is not a route.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createConsoleApp } from '../../control/console/app.js';
import { ConsoleAuth } from '../../control/console/console-auth.js';
import { ApiError } from '../../control/api/errors.js';
import type { ConsoleBench } from '../../control/console/bench-route.js';
import type { BenchmarkEvent, RunBenchmarkRequest } from '../../control/api/types.js';
import type { RuntimeStatus } from '../../control/state/site-store.js';

const status = () => ({ pid: 1, updatedAt: '', site: { id: 'i', name: 'west' }, links: [], listeners: [], connectors: [], network: { sites: [] } }) as unknown as RuntimeStatus;
const H = { host: '127.0.0.1:8080', 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' };
const RESULT = {
  from: { id: 'w', name: 'west' }, to: { id: 'e', name: 'east' },
  path: { sites: [{ id: 'w', name: 'west' }, { id: 'e', name: 'east' }], links: [{ from: 'west', to: 'east', cost: 1 }], hops: 1 }, ends: 'socket' as const,
  throughput: { flows: 1, seconds: 5, bytes: 1e9, totalGbps: 1.6, perFlowGbps: [1.6] },
  latency: { size: 64, samples: 100, p50Ms: 0.1, p90Ms: 0.2, p99Ms: 0.5 },
  rate: { flows: 10, seconds: 1, flowsPerSec: 10, failed: 0 }, cpu: [], notes: [],
};

/** Fake hooks: each run waits until the test finishes it (or it is cancelled, which ends it as the site does). */
function fakeBench() {
  const runs: { req: RunBenchmarkRequest; send: (e: BenchmarkEvent) => void; end: (e?: ApiError) => void; cancelled: boolean }[] = [];
  const bench: ConsoleBench = (req, send, end) => {
    if (req.to === 'nowhere') { end(new ApiError('SVCNET_ERR_PRECONDITION', 'site "nowhere" is not in this site\'s network')); return () => {}; }
    const run = { req, send, end, cancelled: false };
    runs.push(run);
    return () => { run.cancelled = true; end(new ApiError('SVCNET_ERR_CANCELLED', 'bench cancelled; its flows were closed')); };
  };
  return { bench, runs };
}
const post = (app: ReturnType<typeof createConsoleApp>, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  app.request('/api/bench', { method: 'POST', headers: { ...H, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), signal });

/** The SSE blocks of a response body as [event, data]. */
function events(text: string): [string, unknown][] {
  return text.split('\n\n').filter((b) => b.trim()).map((b) => {
    const ev = /^event: ?(.*)$/m.exec(b)?.[1] ?? 'message';
    const data = b.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
    return [ev, JSON.parse(data)];
  });
}

test('a run streams its progress and then its result; the page default is 5 s', async () => {
  const f = fakeBench();
  const app = createConsoleApp({ status, metrics: () => '', port: 8080, bench: f.bench });
  const res = await post(app, { to: 'east' });
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  assert.equal(f.runs[0].req, { to: 'east', flows: undefined, durationMs: 5000 });
  f.runs[0].send({ progress: { phase: 'throughput', elapsedMs: 500, bytes: 1e8, gbps: 1.6 } });
  f.runs[0].send({ result: RESULT });
  f.runs[0].end();
  const ev = events(await res.text());
  assert.equal(ev.map((e) => e[0]), ['progress', 'result']);
  assert.is((ev[1][1] as typeof RESULT).throughput.totalGbps, 1.6);
  assert.is((ev[1][1] as typeof RESULT).path.hops, 1);
  // The run ended: the next one may start.
  const again = await post(app, { to: 'east', flows: 2, durationMs: 2000 });
  assert.is(again.status, 200);
  assert.equal(f.runs[1].req, { to: 'east', flows: 2, durationMs: 2000 });
  f.runs[1].end(new ApiError('SVCNET_ERR_BENCH_FAILED', 'a flow was reset'));
  assert.equal(events(await again.text()), [['error', { code: 'SVCNET_ERR_BENCH_FAILED', message: 'a flow was reset' }]]);
});

test('a second run while one runs is refused with SVCNET_ERR_BENCH_BUSY; closing the stream cancels the run', async () => {
  const f = fakeBench();
  const app = createConsoleApp({ status, metrics: () => '', port: 8080, bench: f.bench });
  const ctl = new AbortController();
  const first = await post(app, { to: 'east' }, {}, ctl.signal);
  assert.is(first.status, 200);
  const busy = await post(app, { to: 'north' });
  assert.is(busy.status, 409);
  const body = await busy.json() as { code: string; error: string };
  assert.is(body.code, 'SVCNET_ERR_BENCH_BUSY');
  assert.match(body.error, /already running/);
  assert.is(f.runs.length, 1, 'the busy request never reached the site');
  // The page goes away: its reader cancels the body, the route cancels the run (the site closes the flows).
  await first.body!.cancel();
  ctl.abort();
  for (let i = 0; i < 50 && !f.runs[0].cancelled; i++) await new Promise((r) => setImmediate(r));
  assert.ok(f.runs[0].cancelled, 'the run was cancelled');
  assert.is((await post(app, { to: 'east' })).status, 200, 'free again after the cancel');
});

test('bad bodies are 400 with the field; a refusal before the run starts is a plain error, not a stream', async () => {
  const f = fakeBench();
  const app = createConsoleApp({ status, metrics: () => '', port: 8080, bench: f.bench });
  for (const [body, field] of [['{', 'body'], ['[]', 'body'], [{}, 'to'], [{ to: '  ' }, 'to'], [{ to: 'east', flows: 'many' }, 'flows'], [{ to: 'east', durationMs: 1.5 }, 'durationMs']] as const) {
    const r = await post(app, body);
    assert.is(r.status, 400, JSON.stringify(body));
    const j = await r.json() as { error: string };
    assert.match(j.error, new RegExp(`^${field}:`), JSON.stringify(body));
  }
  assert.is((await post(app, 'x'.repeat(5000))).status, 413);
  const nowhere = await post(app, { to: 'nowhere' });
  assert.is(nowhere.status, 422);
  assert.equal(await nowhere.json(), { error: 'site "nowhere" is not in this site\'s network', code: 'SVCNET_ERR_PRECONDITION' });
  assert.is(f.runs.length, 0);
  assert.is((await post(app, { to: 'east' })).status, 200, 'refusals leave the console free');
});

test('cross-origin, non-JSON, wrong-Host and GET requests start nothing', async () => {
  const f = fakeBench();
  const app = createConsoleApp({ status, metrics: () => '', port: 8080, bench: f.bench });
  const cross = await post(app, { to: 'east' }, { 'sec-fetch-site': 'cross-site' });
  assert.is(cross.status, 403);
  assert.match((await cross.json() as { error: string }).error, /cross-origin/);
  assert.is((await post(app, { to: 'east' }, { 'sec-fetch-site': 'same-site' })).status, 403, 'a sibling subdomain is another origin');
  // A browser without Sec-Fetch-Site: its Origin must name this console.
  const headers = (o: Record<string, string>) => { const h: Record<string, string> = { ...H, ...o }; delete h['sec-fetch-site']; return h; };
  const plain = (o: Record<string, string>) => app.request('/api/bench', { method: 'POST', headers: headers(o), body: JSON.stringify({ to: 'east' }) });
  assert.is((await plain({ origin: 'http://evil.example' })).status, 403);
  assert.is((await plain({ origin: 'null' })).status, 403);
  // A form post (no preflight) is refused for its content type.
  assert.is((await post(app, 'to=east', { 'content-type': 'application/x-www-form-urlencoded' })).status, 415);
  assert.is((await post(app, 'to=east', { 'content-type': 'text/plain' })).status, 415);
  // DNS rebinding: a page of evil.example rebound to 127.0.0.1 is same-origin, but its Host is refused.
  assert.is((await post(app, { to: 'east' }, { host: 'evil.example:8080' })).status, 403);
  assert.is((await app.request('/api/bench', { headers: H })).status, 404, 'GET is not a route');
  assert.is(f.runs.length, 0, 'nothing started');
  const same = await plain({ origin: 'http://127.0.0.1:8080' });
  assert.is(same.status, 200, 'the console\'s own origin may');
  f.runs[0].end();
  await same.text();
});

test('behind a login (console beyond loopback) a bench needs a session', async () => {
  const f = fakeBench();
  const auth = new ConsoleAuth('a-long-console-password', { now: () => 0, token: () => 'tok' });
  const app = createConsoleApp({ status, metrics: () => '', port: 8443, host: '0.0.0.0', auth, bench: f.bench });
  const anon = await post(app, { to: 'east' }, { host: 'console.lan:8443' });
  assert.is(anon.status, 401);
  const session = auth.openSession();
  const ok = await post(app, { to: 'east' }, { host: 'console.lan:8443', cookie: `svcnet_session=${session}` });
  assert.is(ok.status, 200);
  f.runs[0].end();
  await ok.text();
  assert.is(f.runs.length, 1);
});

test('a console without bench hooks says so', async () => {
  const app = createConsoleApp({ status, metrics: () => '', port: 8080 });
  const r = await post(app, { to: 'east' });
  assert.is(r.status, 404);
});

test.run();
