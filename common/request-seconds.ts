// The buckets of svcnet_http_request_duration_seconds (issue 13), shared by both planes: the engine
// counts each observed request into them, the controller exports the counts. Counting at the engine
// keeps a batch a few numbers per label set however many requests passed (one sample per request
// cost the controller a prom-client observe each, a few µs per request at 10k req/s).

/** Upper bounds in seconds, from a loopback request to a slow upload. */
export const REQUEST_SECONDS_BOUNDS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A fresh count per bucket: one per bound, and the last for anything above the largest. */
export function emptyRequestBuckets(): number[] {
  return new Array<number>(REQUEST_SECONDS_BOUNDS.length + 1).fill(0);
}

/** The bucket `seconds` falls in: the first bound it does not exceed (Prometheus's `le`), else the last. */
export function requestBucket(seconds: number): number {
  const b = REQUEST_SECONDS_BOUNDS;
  let i = 0;
  while (i < b.length && seconds > b[i]) i++;
  return i;
}
