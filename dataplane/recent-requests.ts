// A flow's last HTTP_REQUESTS_KEPT requests (issue 13), a ring of request columns made once per flow: a
// request costs a few stores and no object; HttpRequest objects are made only when the record is read.
// (An object kept per request outlived young collections and cost the engine's GC, and observing
// HTTP/1.1 is bounded to 5% of the requests/s of tcp.)
import { HTTP_REQUESTS_KEPT, type HttpRequest } from './port/report.js';
import { RequestColumns } from './request-columns.js';

export class RecentRequests {
  private readonly rows = new RequestColumns(HTTP_REQUESTS_KEPT);
  /** where the next request goes, and how many are kept */
  private next = 0;
  private size = 0;

  /** Keeps `q`'s fields (q itself is not kept: observers reuse theirs). */
  add(q: Readonly<HttpRequest>): void {
    this.rows.write(this.next, q);
    this.next = this.next + 1 === HTTP_REQUESTS_KEPT ? 0 : this.next + 1;
    if (this.size < HTTP_REQUESTS_KEPT) this.size++;
  }

  /** The kept requests, oldest first, as new objects (optional fields only where they were set). */
  list(): HttpRequest[] {
    const out: HttpRequest[] = [];
    const first = this.size < HTTP_REQUESTS_KEPT ? 0 : this.next;
    for (let k = 0; k < this.size; k++) out.push(this.rows.request((first + k) % HTTP_REQUESTS_KEPT));
    return out;
  }
}
