// The control API's client on a stopped site: the handlers called directly on its directory (the
// CLI's session when no site runs). Apart from client.ts so that the gRPC clients of a running
// site do not load the handlers.
import { asApiError } from './errors.js';
import { createControlHandlers, watch as watchHandler } from './handlers.js';
import type { ApiContext } from './context.js';
import type { ControlClient } from './client.js';
import { runBenchmark } from '../bench/bench-api.js';

/** The handlers called directly (a stopped site: the CLI works on its directory). */
export function inProcessClient(ctx: ApiContext): ControlClient {
  const h = createControlHandlers(ctx);
  // The same error type a remote caller gets; an unexpected error keeps its message (it is local).
  const call = <R>(p: () => Promise<R>) => p().catch((err) => { throw asApiError(err, (err as Error).message); });
  return {
    apply: (r) => call(() => h.Apply(r)),
    delete: (r) => call(() => h.Delete(r)),
    get: (r) => call(() => h.Get(r)),
    list: (r) => call(() => h.List(r)),
    getNetwork: () => call(() => h.GetNetwork({})),
    getMetrics: () => call(() => h.GetMetrics({})),
    listFlows: (r) => call(() => h.ListFlows(r)),
    issueToken: (r) => call(() => h.IssueToken(r)),
    issueAdminCertificate: (r) => call(() => h.IssueAdminCertificate(r)),
    generateLink: (r) => call(() => h.GenerateLink(r)),
    rotateCertificates: (r) => call(() => h.RotateCertificates(r ?? {})),
    getPolicy: () => call(() => h.GetPolicy({})),
    setPolicy: (r) => call(() => h.SetPolicy(r)),
    revokeSite: (r) => call(() => h.RevokeSite(r)),
    watch: (req, onEvent) => ({ cancel: watchHandler(ctx, req, onEvent) }),
    runBenchmark: (req, onEvent, onEnd) => ({ cancel: runBenchmark(ctx, req, onEvent, onEnd) }),
    close: () => {},
  };
}
