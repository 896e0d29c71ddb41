// HTTP requests kept as columns (issue 13): numbers in one Float64Array, strings shared (method names, a
// connection's repeated path segment) — a request is a few stores and no object. The flow records keep
// two sets: the requests waiting to be folded (pending-requests.ts) and each flow's last ones (recent-requests.ts).
import type { HttpRequest } from './port/report.js';

/** Numbers kept per request, in this order; grpcStatus -1 when the response had none. */
const STATUS = 0, TO_SERVER = 1, TO_CLIENT = 2, DURATION = 3, GRPC_STATUS = 4, NUMS = 5;

export class RequestColumns {
  private readonly nums: Float64Array;
  private readonly methods: string[];
  private readonly paths: string[];
  /** made on the first request that names a target (request-balanced listeners only) */
  private targets: (string | undefined)[] | undefined;

  constructor(readonly capacity: number) {
    this.nums = new Float64Array(capacity * NUMS);
    this.methods = new Array<string>(capacity).fill('');
    this.paths = new Array<string>(capacity).fill('');
  }

  /** Keeps `q`'s fields in row `i` (not q itself: observers reuse theirs). */
  write(i: number, q: Readonly<HttpRequest>): void {
    const p = i * NUMS;
    const n = this.nums;
    n[p + STATUS] = q.status;
    n[p + TO_SERVER] = q.bytesToServer;
    n[p + TO_CLIENT] = q.bytesToClient;
    n[p + DURATION] = q.durationMs;
    n[p + GRPC_STATUS] = q.grpcStatus ?? -1;
    this.methods[i] = q.method;
    this.paths[i] = q.path;
    if (q.target !== undefined || this.targets !== undefined) (this.targets ??= new Array<string | undefined>(this.capacity).fill(undefined))[i] = q.target;
  }

  /** Writes row `i` into `r`: every field, target and grpcStatus undefined where the request had none. */
  read(i: number, r: HttpRequest): void {
    const p = i * NUMS;
    const n = this.nums;
    r.method = this.methods[i];
    r.path = this.paths[i];
    r.status = n[p + STATUS];
    r.bytesToServer = n[p + TO_SERVER];
    r.bytesToClient = n[p + TO_CLIENT];
    r.durationMs = n[p + DURATION];
    r.target = this.targets?.[i];
    r.grpcStatus = n[p + GRPC_STATUS] >= 0 ? n[p + GRPC_STATUS] : undefined;
  }

  /** Row `i` as a new object, with target and grpcStatus only where the request had them. */
  request(i: number): HttpRequest {
    const p = i * NUMS;
    const n = this.nums;
    const q: HttpRequest = { method: this.methods[i], path: this.paths[i], status: n[p + STATUS], bytesToServer: n[p + TO_SERVER], bytesToClient: n[p + TO_CLIENT], durationMs: n[p + DURATION] };
    const target = this.targets?.[i];
    if (target !== undefined) q.target = target;
    if (n[p + GRPC_STATUS] >= 0) q.grpcStatus = n[p + GRPC_STATUS];
    return q;
  }
}
