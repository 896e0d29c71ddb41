// The console's "Measure" button (issue 14 item 2): POST /api/bench {to, flows?, durationMs?} runs a
// bench from this site (control/bench/bench-api.ts through the site's hooks) and answers with
// server-sent events on the same response: `progress` about twice a second, then one `result` or
// one `error` ({code, message}). One console run at a time; closing the response cancels the run
// (the site closes every flow of it). A POST the page did not make (another origin) is refused.
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import type { ApiError } from '../api/errors.js';
import type { BenchmarkEvent, RunBenchmarkRequest } from '../api/types.js';

/** runBenchmark (control/bench/bench-api.ts) bound to the site's API context: returns the cancel. */
export type ConsoleBench = (req: RunBenchmarkRequest, send: (e: BenchmarkEvent) => void, end: (err?: ApiError) => void) => () => void;

/** The console's default run: short, so a click answers in seconds. */
export const CONSOLE_BENCH_DEFAULT_MS = 5_000;
const MAX_BODY_BYTES = 1024;

/**
 * Whether a state-changing request comes from the console's own page. Browsers say where a request
 * comes from in Sec-Fetch-Site, older ones in Origin (compared with Host); a script sends neither.
 * The JSON body adds a second guard: a cross-origin page cannot send application/json without a
 * CORS preflight, which the console never answers.
 */
export function fromConsolePage(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  try { return new URL(origin).host === c.req.header('host'); } catch { return false; }
}

/** The body's fields, or the one line saying which is wrong. Caps and defaults are bench-api's. */
function benchBody(raw: unknown): RunBenchmarkRequest | string {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'body: a JSON object {to, flows?, durationMs?}';
  const b = raw as Record<string, unknown>;
  if (typeof b.to !== 'string' || !b.to.trim()) return 'to: name the site to measure toward';
  for (const f of ['flows', 'durationMs'] as const) {
    if (b[f] !== undefined && (typeof b[f] !== 'number' || !Number.isInteger(b[f]))) return `${f}: must be an integer`;
  }
  return { to: b.to, flows: b.flows as number | undefined, durationMs: (b.durationMs as number | undefined) ?? CONSOLE_BENCH_DEFAULT_MS };
}

/** Adds POST /api/bench to `app` (after the Host check and the login gate). */
export function addBenchRoute(app: Hono, bench: ConsoleBench | undefined): void {
  let running = false;
  app.post('/api/bench', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: 'body: at most 1 KiB' }, 413) }), async (c) => {
    if (!fromConsolePage(c)) return c.json({ error: 'forbidden: a bench may only be started from this console\'s page (cross-origin POST refused)' }, 403);
    if (!(c.req.header('content-type') ?? '').startsWith('application/json')) return c.json({ error: 'body: send application/json' }, 415);
    let raw: unknown;
    try { raw = await c.req.json(); } catch { return c.json({ error: 'body: not valid JSON' }, 400); }
    const req = benchBody(raw);
    if (typeof req === 'string') return c.json({ error: req, field: req.split(':')[0] }, 400);
    if (!bench) return c.json({ error: 'this console cannot run a bench (the site is not running one)' }, 404);
    if (running) return c.json({ error: 'a bench from this console is already running; wait for it or close its page', code: 'SVCNET_ERR_BENCH_BUSY' }, 409);
    running = true;
    // Run it before answering, so a request refused at once (bad `to`, caps) is a plain 4xx.
    const events: Array<[string, unknown]> = [];
    let wake: (() => void) | undefined;
    let ended: ApiError | undefined | null = null;
    const push = (e: [string, unknown]) => { events.push(e); wake?.(); };
    const cancel = bench(req, (e) => push(e.result ? ['result', e.result] : ['progress', e.progress]), (err) => {
      ended = err;
      running = false;
      if (err) push(['error', { code: err.code, message: err.message }]);
      wake?.();
    });
    if (ended && events.length === 1) {
      const err = ended as ApiError;
      return c.json({ error: err.message, code: err.code, field: err.field }, err.code === 'SVCNET_ERR_BENCH_BUSY' ? 409 : err.code === 'SVCNET_ERR_INVALID_ARGUMENT' ? 400 : 422);
    }
    return streamSSE(c, async (stream) => {
      // The page closed the stream (Stop, a new hash, a closed tab): the run's flows are closed.
      stream.onAbort(() => { if (ended === null) cancel(); wake?.(); });
      while (!stream.aborted) {
        const e = events.shift();
        if (e) { await stream.writeSSE({ event: e[0], data: JSON.stringify(e[1]) }); continue; }
        if (ended !== null) break;
        await new Promise<void>((r) => { wake = r; });
        wake = undefined;
      }
    }, async (err, stream) => {
      if (ended === null) cancel();
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ code: 'SVCNET_ERR_INTERNAL', message: err.message }) });
    });
  });
}
