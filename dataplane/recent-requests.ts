// A flow's last HTTP_REQUESTS_KEPT requests (issue 13), kept as numbers and shared strings in arrays made
// once per flow. A request costs a few stores and no object; HttpRequest objects are made only when the
// record is read. (An object kept per request outlived young collections and cost the engine's GC, and
// observing HTTP/1.1 is bounded to 5% of the requests/s of tcp.)
import { HTTP_REQUESTS_KEPT, type HttpRequest } from './port/report.js';

/** Numbers kept per request, in this order; grpcStatus -1 when the response had none. */
const STATUS = 0, TO_SERVER = 1, TO_CLIENT = 2, DURATION = 3, GRPC_STATUS = 4, NUMS = 5;

export class RecentRequests {
  private readonly nums = new Float64Array(HTTP_REQUESTS_KEPT * NUMS);
  /** strings are shared (method names, a connection's repeated path segment): a store, not a copy */
  private readonly methods = new Array<string>(HTTP_REQUESTS_KEPT).fill('');
  private readonly paths = new Array<string>(HTTP_REQUESTS_KEPT).fill('');
  /** made on the first request that names a target (request-balanced listeners only) */
  private targets: (string | undefined)[] | undefined;
  /** where the next request goes, and how many are kept */
  private next = 0;
  private size = 0;

  /** Keeps `q`'s fields (q itself is not kept: observers reuse theirs). */
  add(q: Readonly<HttpRequest>): void {
    const i = this.next;
    const p = i * NUMS;
    const n = this.nums;
    n[p + STATUS] = q.status;
    n[p + TO_SERVER] = q.bytesToServer;
    n[p + TO_CLIENT] = q.bytesToClient;
    n[p + DURATION] = q.durationMs;
    n[p + GRPC_STATUS] = q.grpcStatus ?? -1;
    this.methods[i] = q.method;
    this.paths[i] = q.path;
    if (q.target !== undefined || this.targets !== undefined) (this.targets ??= new Array<string | undefined>(HTTP_REQUESTS_KEPT).fill(undefined))[i] = q.target;
    this.next = i + 1 === HTTP_REQUESTS_KEPT ? 0 : i + 1;
    if (this.size < HTTP_REQUESTS_KEPT) this.size++;
  }

  /** The kept requests, oldest first, as new objects (optional fields only where they were set). */
  list(): HttpRequest[] {
    const out: HttpRequest[] = [];
    const first = this.size < HTTP_REQUESTS_KEPT ? 0 : this.next;
    for (let k = 0; k < this.size; k++) {
      const i = (first + k) % HTTP_REQUESTS_KEPT;
      const p = i * NUMS;
      const n = this.nums;
      const q: HttpRequest = { method: this.methods[i], path: this.paths[i], status: n[p + STATUS], bytesToServer: n[p + TO_SERVER], bytesToClient: n[p + TO_CLIENT], durationMs: n[p + DURATION] };
      const target = this.targets?.[i];
      if (target !== undefined) q.target = target;
      if (n[p + GRPC_STATUS] >= 0) q.grpcStatus = n[p + GRPC_STATUS];
      out.push(q);
    }
    return out;
  }
}
