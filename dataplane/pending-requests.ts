// HTTP requests observed since the flow records last folded them (issue 13). Appending one writes to
// columns made once and touches nothing of its flow; FlowRecords folds them in bulk into each flow's
// recent list and count and into the batch's groups when a batch, a query or a flow's end needs them.
// Why: per request, the flow's objects (record, ring, group) were each a cache miss in an engine whose
// caches the sockets and TLS had since used — most of what observing HTTP/1.1 cost (bound: 5% of the
// requests/s of tcp). Folded together, a flow's objects stay warm across its requests.
import type { HttpRequest } from './port/report.js';
import { RequestColumns } from './request-columns.js';

/** Requests waiting to be folded, each with the flow (`F`) it was observed on. */
export class PendingRequests<F> {
  private readonly rows: RequestColumns;
  /** references kept until overwritten: at most `capacity`, so nothing grows */
  private readonly flows: (F | undefined)[];
  /** requests waiting, from row 0 */
  size = 0;

  constructor(readonly capacity = 4096) {
    this.rows = new RequestColumns(capacity);
    this.flows = new Array<F | undefined>(capacity).fill(undefined);
  }

  /** Keeps `q`'s fields (not q: observers reuse theirs) for `flow`; returns whether the columns are now full (fold them). */
  push(flow: F, q: Readonly<HttpRequest>): boolean {
    const i = this.size++;
    this.rows.write(i, q);
    this.flows[i] = flow;
    return this.size === this.capacity;
  }

  /** The flow of request `i` (< size). */
  flow(i: number): F { return this.flows[i]!; }

  /** Writes request `i` (< size) into `r`: every field, target and grpcStatus undefined where the request had none. */
  read(i: number, r: HttpRequest): void { this.rows.read(i, r); }
}
