// RunBenchmark (issue 14) as a plain function: checks the request at the edge (caps, `from`), runs
// it through the site's hooks and streams progress and the result to `send`. The gRPC server and
// the in-process client both call it; cancelling (the returned function) closes every flow.
import { ApiError, type ApiErrorCode } from '../api/errors.js';
import type { ApiContext } from '../api/context.js';
import type { BenchmarkEvent, RunBenchmarkRequest } from '../api/types.js';
import { checkBenchRequest, type BenchEnds } from '../../common/bench-request.js';
import { BenchRunError } from './bench-runs.js';

/** The API error for a run's end code. */
export function benchApiError(e: BenchRunError): ApiError {
  const codes: Record<BenchRunError['code'], ApiErrorCode> = {
    SVCNET_ERR_BENCH_BUSY: 'SVCNET_ERR_BENCH_BUSY', SVCNET_ERR_NO_ROUTE: 'SVCNET_ERR_PRECONDITION', SVCNET_ERR_INVALID_ARGUMENT: 'SVCNET_ERR_INVALID_ARGUMENT',
    SVCNET_ERR_BENCH_FAILED: 'SVCNET_ERR_BENCH_FAILED', SVCNET_ERR_CANCELLED: 'SVCNET_ERR_CANCELLED',
  };
  return new ApiError(codes[e.code] ?? 'SVCNET_ERR_BENCH_FAILED', e.message);
}

/** Starts a run; `send` gets each event, `end` the error that ended it (none after the result).
 *  Returns the cancel function. Bad requests end at once, before anything is sent. */
export function runBenchmark(ctx: ApiContext, req: RunBenchmarkRequest, send: (e: BenchmarkEvent) => void, end: (err?: ApiError) => void): () => void {
  const site = ctx.site;
  const self = ctx.store.readConfig();
  if (!site?.bench) { end(new ApiError('SVCNET_ERR_NOT_RUNNING', `site ${self.name} is not running; start it with "svcnet site run" to bench from it`)); return () => {}; }
  if (req.from && req.from !== self.name && req.from !== self.id) {
    end(new ApiError('SVCNET_ERR_PRECONDITION', `a bench runs from the site whose API is called (${self.name}), not ${String(req.from).slice(0, 64)}: call that site's API (its --dir or address)`, 'from'));
    return () => {};
  }
  const checked = checkBenchRequest({ to: req.to, flows: req.flows, durationMs: req.durationMs, size: req.size, maxBytes: req.maxBytes, ends: (req.ends || undefined) as BenchEnds | undefined });
  if ('error' in checked) { end(new ApiError('SVCNET_ERR_INVALID_ARGUMENT', checked.error, checked.error.split(':')[0])); return () => {}; }
  const run = site.bench(checked.req, (progress) => send({ progress }));
  run.result.then(
    (result) => { send({ result }); end(); },
    (err) => end(err instanceof BenchRunError ? benchApiError(err) : new ApiError('SVCNET_ERR_INTERNAL', (err as Error).message)),
  );
  return () => run.cancel();
}
