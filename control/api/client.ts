// Clients of the control API: over the local unix socket, over TCP with mutual TLS (remote
// orchestrators), or in-process on a stopped site's directory (in-process-client.ts). All three
// have the same methods and fail with ApiError, so the CLI does not care which one it holds.
// The gRPC clients load neither the handlers nor the server, so a CLI command on a running site
// starts without them.
import * as grpc from '@grpc/grpc-js';
import { controlService, apiSocketPath } from './service.js';
import { fromServiceError, ApiError } from './errors.js';
import type * as T from './types.js';

export interface ControlClient {
  apply(req: T.ApplyRequest): Promise<T.ApplyResponse>;
  delete(req: T.DeleteRequest): Promise<T.DeleteResponse>;
  get(req: T.GetRequest): Promise<T.Resource>;
  list(req: T.ListRequest): Promise<T.ListResponse>;
  getNetwork(): Promise<T.Network>;
  getMetrics(): Promise<T.Metrics>;
  listFlows(req: T.ListFlowsRequest): Promise<T.ListFlowsResponse>;
  issueToken(req: T.IssueTokenRequest): Promise<T.IssueTokenResponse>;
  issueAdminCertificate(req: T.IssueAdminCertificateRequest): Promise<T.IssueAdminCertificateResponse>;
  generateLink(req: T.GenerateLinkRequest): Promise<T.GenerateLinkResponse>;
  rotateCertificates(req?: T.RotateCertificatesRequest): Promise<T.RotateCertificatesResponse>;
  getPolicy(): Promise<T.Policy>;
  setPolicy(req: T.SetPolicyRequest): Promise<T.SetPolicyResponse>;
  revokeSite(req: T.RevokeSiteRequest): Promise<T.RevokeSiteResponse>;
  /** RunBenchmark (issue 14): progress and the result to `onEvent`; `onEnd` once, with the error that
   *  ended the run if any. cancel() closes the run's flows. */
  runBenchmark(req: T.RunBenchmarkRequest, onEvent: (e: T.BenchmarkEvent) => void, onEnd: (err?: ApiError) => void): { cancel(): void };
  /** Streams events to `onEvent` until cancelled; `onEnd` gets the error that ended it, if any. */
  watch(req: T.WatchRequest, onEvent: (e: T.Event) => void, onEnd?: (err?: ApiError) => void): { cancel(): void };
  close(): void;
}

const RPCS = { apply: 'Apply', delete: 'Delete', get: 'Get', list: 'List', getNetwork: 'GetNetwork', getMetrics: 'GetMetrics', listFlows: 'ListFlows', issueToken: 'IssueToken', issueAdminCertificate: 'IssueAdminCertificate', generateLink: 'GenerateLink', rotateCertificates: 'RotateCertificates', getPolicy: 'GetPolicy', setPolicy: 'SetPolicy', revokeSite: 'RevokeSite' } as const;

/** A client of the service at `target` (grpc target syntax) with `creds`. */
export function grpcClient(target: string, creds: grpc.ChannelCredentials, o: { timeoutMs?: number; who?: string } = {}): ControlClient {
  const Client = grpc.makeGenericClientConstructor(controlService(), 'ControlService');
  const c = new Client(target, creds) as unknown as Record<string, (...a: unknown[]) => unknown> & grpc.Client;
  const to = { target, who: o.who, timeoutMs: o.timeoutMs ?? 60_000 };
  const unary = (rpc: string) => (req: unknown = {}) => new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + to.timeoutMs);
    c[rpc](req, { deadline }, (err: grpc.ServiceError | null, res: unknown) => (err ? reject(fromServiceError(err, to)) : resolve(res)));
  });
  const client = Object.fromEntries(Object.entries(RPCS).map(([m, rpc]) => [m, unary(rpc)])) as unknown as ControlClient;
  client.watch = (req, onEvent, onEnd) => {
    const call = c.Watch(req) as grpc.ClientReadableStream<T.Event>;
    let ended = false;
    const end = (err?: ApiError) => { if (!ended) { ended = true; onEnd?.(err); } };
    call.on('data', onEvent);
    call.on('error', (err: grpc.ServiceError) => end(err.code === grpc.status.CANCELLED ? undefined : fromServiceError(err, to)));
    call.on('end', () => end());
    return { cancel: () => call.cancel() };
  };
  client.runBenchmark = (req, onEvent, onEnd) => {
    const call = c.RunBenchmark(req) as grpc.ClientReadableStream<T.BenchmarkEvent>;
    let ended = false;
    const end = (err?: ApiError) => { if (!ended) { ended = true; onEnd(err); } };
    call.on('data', onEvent);
    call.on('error', (err: grpc.ServiceError) => end(fromServiceError(err, to)));
    call.on('end', () => end());
    return { cancel: () => call.cancel() };
  };
  client.close = () => c.close();
  return client;
}

/** The local client of a running site: its unix socket. */
export function unixClient(dir: string, o: { timeoutMs?: number; who?: string } = {}): ControlClient {
  return grpcClient(`unix://${apiSocketPath(dir)}`, grpc.credentials.createInsecure(), o);
}

/** A remote client: TCP with the certificate from `svcnet admin issue`. */
export function tlsClient(address: string, pem: { key: string; cert: string; ca: string }, o: { timeoutMs?: number; who?: string } = {}): ControlClient {
  return grpcClient(address, grpc.credentials.createSsl(Buffer.from(pem.ca), Buffer.from(pem.key), Buffer.from(pem.cert)), o);
}
