// HTTP requests observed since the flow records last folded them (issue 13). Appending one writes to
// columns made once and touches nothing of its flow; FlowRecords folds them in bulk into each flow's
// recent list and count and into the batch's groups when a batch, a query or a flow's end needs them.
// Why: per request, the flow's objects (record, ring, group) were each a cache miss in an engine whose
// caches the sockets and TLS had since used — most of what observing HTTP/1.1 cost (bound: 5% of the
// requests/s of tcp). Folded together, a flow's objects stay warm across its requests.
import type { HttpRequest } from './port/report.js';

/** Numbers kept per request, in this order; grpcStatus -1 when the response had none. */
const STATUS = 0, TO_SERVER = 1, TO_CLIENT = 2, DURATION = 3, GRPC_STATUS = 4, NUMS = 5;

/** Requests waiting to be folded, each with the flow (`F`) it was observed on. */
export class PendingRequests<F> {
  private readonly nums: Float64Array;
  /** references kept until overwritten: at most `capacity` of each, so nothing grows */
  private readonly flows: (F | undefined)[];
  private readonly methods: string[];
  private readonly paths: string[];
  private readonly targets: (string | undefined)[];
  /** requests waiting, from slot 0 */
  size = 0;

  constructor(readonly capacity = 4096) {
    this.nums = new Float64Array(capacity * NUMS);
    this.flows = new Array<F | undefined>(capacity).fill(undefined);
    this.methods = new Array<string>(capacity).fill('');
    this.paths = new Array<string>(capacity).fill('');
    this.targets = new Array<string | undefined>(capacity).fill(undefined);
  }

  /** Keeps `q`'s fields (not q: observers reuse theirs) for `flow`; returns whether the columns are now full (fold them). */
  push(flow: F, q: Readonly<HttpRequest>): boolean {
    const i = this.size++;
    const p = i * NUMS;
    const n = this.nums;
    n[p + STATUS] = q.status;
    n[p + TO_SERVER] = q.bytesToServer;
    n[p + TO_CLIENT] = q.bytesToClient;
    n[p + DURATION] = q.durationMs;
    n[p + GRPC_STATUS] = q.grpcStatus ?? -1;
    this.flows[i] = flow;
    this.methods[i] = q.method;
    this.paths[i] = q.path;
    this.targets[i] = q.target;
    return this.size === this.capacity;
  }

  /** The flow of request `i` (< size). */
  flow(i: number): F { return this.flows[i]!; }

  /** Writes request `i` (< size) into `r`: every field, target and grpcStatus undefined where the request had none. */
  read(i: number, r: HttpRequest): void {
    const p = i * NUMS;
    const n = this.nums;
    r.method = this.methods[i];
    r.path = this.paths[i];
    r.status = n[p + STATUS];
    r.bytesToServer = n[p + TO_SERVER];
    r.bytesToClient = n[p + TO_CLIENT];
    r.durationMs = n[p + DURATION];
    r.target = this.targets[i];
    r.grpcStatus = n[p + GRPC_STATUS] >= 0 ? n[p + GRPC_STATUS] : undefined;
  }
}
